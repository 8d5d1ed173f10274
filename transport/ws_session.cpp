#include "transport/ws_session.hpp"

#include "actors/node_context.hpp"
#include "transport/log.hpp"
#include "transport/session_registry.hpp"

#include <chrono>
#include <utility>

namespace switchyard::transport {

namespace {

std::string remote_of(beast::tcp_stream& stream) {
  beast::error_code ec;
  auto ep = stream.socket().remote_endpoint(ec);
  return ec ? std::string{"?"} : ep.address().to_string() + ":" + std::to_string(ep.port());
}

} // namespace

ws_session::ws_session(beast::tcp_stream&& stream, actors::node_context& ctx,
                       session_registry& registry, std::size_t max_frame_bytes)
    : ws_(std::move(stream)), ctx_(ctx), registry_(registry), queue_(max_frame_bytes) {
  remote_ = remote_of(beast::get_lowest_layer(ws_));
  ws_.read_message_max(max_frame_bytes);
  ws_.auto_fragment(false);
}

ws_session::~ws_session() = default;

void ws_session::run(http::request<http::string_body> req, protocol::encoding enc, std::string subprotocol) {
  enc_ = enc;
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = std::chrono::seconds(60); // Beast pings a silent peer at half of it
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [sub = std::move(subprotocol)](websocket::response_type& res) {
        res.set(http::field::server, "switchyard");
        if (!sub.empty()) {
          res.set(http::field::sec_websocket_protocol, sub);
        }
      }));
  ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, shared_from_this()));
}

void ws_session::on_accept(beast::error_code ec) {
  if (ec) {
    log().debug("ws.handshake_failed remote={} error=\"{}\"", remote_,
                                    ec.message());
    return finish();
  }
  registry_.add(shared_from_this());
  conn_ = actors::connection_handle::spawn(ctx_, enc_, weak_from_this(), remote_);
  ws_.text(enc_ == protocol::encoding::json);
  do_read();
}

void ws_session::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
}

void ws_session::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    auto& logger = log();
    if (ec == websocket::error::message_too_big) {
      logger.info("ws.closed remote={} code=1009 reason=frame_too_large", remote_);
    } else if (ec != websocket::error::closed) {
      logger.debug("ws.read_failed remote={} error=\"{}\"", remote_, ec.message());
    }
    return finish();
  }
  conn_.frame(beast::buffers_to_string(buffer_.data()));
  buffer_.consume(buffer_.size());
  // Beast reads into its own frame buffer first, so the message buffer can be given
  // back between messages: an idle connection then holds none.
  buffer_.shrink_to_fit();
  do_read();
}

void ws_session::write(actors::outbound_frame frame) {
  backlog_ += frame.parts.size();
  net::post(ws_.get_executor(), [self = shared_from_this(), f = std::move(frame)]() mutable {
    if (self->finished_ || self->closing_) {
      return;
    }
    for (auto& part : f.parts) {
      self->queue_.push(std::move(part));
    }
    self->do_write();
  });
}

std::size_t ws_session::backlog() const {
  return backlog_.load(std::memory_order_relaxed);
}

void ws_session::notify_when_drained() {
  notify_drained_ = true;
  // The backlog may have drained before the flag was set: check on the strand.
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (!self->writing_ && self->queue_.empty() && !self->finished_ &&
        self->notify_drained_.exchange(false)) {
      self->conn_.written();
    }
  });
}

void ws_session::do_write() {
  if (writing_ || queue_.empty()) {
    return;
  }
  writing_ = true;
  // Everything queued leaves as one frame, copied into one buffer: Asio passes at most
  // 64 buffers to one writev, so gathering many small messages would cost more syscalls.
  wbuf_.clear();
  in_flight_ = queue_.take_frame(wbuf_, enc_ == protocol::encoding::json);
  ws_.async_write(net::buffer(wbuf_),
                  beast::bind_front_handler(&ws_session::on_write, shared_from_this()));
}

void ws_session::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  backlog_ -= in_flight_;
  in_flight_ = 0;
  if (queue_.empty()) {
    std::string{}.swap(wbuf_); // idle connections hold no write buffer
  }
  if (ec) {
    log().debug("ws.write_failed remote={} error=\"{}\"", remote_,
                                    ec.message());
    return finish();
  }
  if (!queue_.empty()) {
    return do_write();
  }
  if (notify_drained_.exchange(false)) {
    conn_.written();
  }
  if (close_) {
    start_close();
  }
}

void ws_session::close(uint16_t code, std::string reason) {
  net::post(ws_.get_executor(), [self = shared_from_this(), code, r = std::move(reason)]() mutable {
    if (self->finished_ || self->close_) {
      return;
    }
    websocket::close_reason why{static_cast<websocket::close_code>(code)};
    why.reason = std::move(r);
    self->close_ = std::move(why);
    if (!self->writing_ && self->queue_.empty()) {
      self->start_close();
    }
  });
}

void ws_session::start_close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  // The read loop ends with error::closed once the peer answers (or the timeout hits).
  ws_.async_close(*close_, [self = shared_from_this()](beast::error_code) {});
}

void ws_session::finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  conn_.closed();
  registry_.remove(this);
}

} // namespace switchyard::transport
