#pragma once
// Internal: one accepted connection until it is a WebSocket or has its HTTP answer.
// Reads one request (bounded header and body, bounded time); upgrades `/ws` to a
// ws_session with the negotiated subprotocol, hands every other request to the
// router and writes its answer, which may come later from an actor thread. One request
// per connection keeps it small.

#include "actors/node_context.hpp"
#include "protocol/message.hpp"
#include "transport/http_router.hpp"
#include "transport/net.hpp"
#include "transport/session_registry.hpp"
#include "transport/stream_ops.hpp"
#include "transport/subprotocol.hpp"
#include "transport/ws_session.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace switchyard::transport {

inline constexpr auto http_read_timeout = std::chrono::seconds(10);
inline constexpr std::size_t max_http_header_bytes = 8 * 1024;
/// An answer that takes longer than this (an actor that never replied) becomes a 503.
inline constexpr auto http_answer_timeout = std::chrono::seconds(30);

template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
public:
  http_session(Stream&& stream, actors::node_context& ctx, session_registry& registry,
               const http_router& router, const std::atomic<bool>& stopping)
      : stream_(std::move(stream)), ctx_(ctx), registry_(registry), router_(router),
        stopping_(stopping), answer_deadline_(stream_.get_executor()) {
    parser_.header_limit(max_http_header_bytes);
    // PROTOCOL.md: a body over limits.max_frame_bytes is too_large (413).
    parser_.body_limit(static_cast<std::uint64_t>(ctx_.limits.max_frame_bytes));
  }

  void run() {
    expire_after(stream_, http_read_timeout);
    http::async_read(stream_, buffer_, parser_,
                     beast::bind_front_handler(&http_session::on_read, this->shared_from_this()));
  }

private:
  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec == http::error::header_limit || ec == http::error::body_limit) {
        respond(http_error(protocol::error_code::too_large,
                           ec == http::error::header_limit
                               ? "request headers over " + std::to_string(max_http_header_bytes) +
                                     " bytes"
                               : "request body over limits.max_frame_bytes (" +
                                     std::to_string(ctx_.limits.max_frame_bytes) + " bytes)"),
                11);
      }
      return;
    }
    auto req = parser_.release();
    if (websocket::is_upgrade(req)) {
      return upgrade(std::move(req));
    }
    const auto version = req.version();
    answer_deadline_.expires_after(http_answer_timeout);
    answer_deadline_.async_wait(
        [self = this->shared_from_this(), version](beast::error_code timer_ec) {
          if (!timer_ec) {
            self->respond(http_error(protocol::error_code::unavailable, "no answer in time; retry"),
                          version);
          }
        });
    router_.route(req, [self = this->shared_from_this(), version](http_reply reply) {
      net::post(self->stream_.get_executor(), [self, version, reply = std::move(reply)]() mutable {
        self->respond(std::move(reply), version);
      });
    });
  }

  void upgrade(http::request<http::string_body> req) {
    if (target_path({req.target().data(), req.target().size()}) != "/ws") {
      return respond({http::status::not_found, "WebSocket endpoint is /ws\n"}, req.version());
    }
    if (stopping_) {
      return respond({http::status::service_unavailable, "draining\n"}, req.version());
    }
    protocol::encoding enc = protocol::encoding::json;
    std::string chosen;
    auto offered = req[http::field::sec_websocket_protocol];
    if (!negotiate({offered.data(), offered.size()}, enc, chosen)) {
      return respond({http::status::bad_request,
                      "unsupported subprotocol; offer switchyard.v1.json or "
                      "switchyard.v1.msgpack\n"},
                     req.version());
    }
    using ws_layer = decltype(websocket_layer(std::move(stream_)));
    std::make_shared<ws_session<ws_layer>>(websocket_layer(std::move(stream_)), ctx_, registry_)
        ->run(std::move(req), enc, std::move(chosen));
  }

  void respond(http_reply reply, unsigned version) {
    if (std::exchange(answered_, true)) {
      return;
    }
    answer_deadline_.cancel();
    auto res = std::make_shared<http::response<http::string_body>>(reply.status, version);
    res->set(http::field::server, "switchyard");
    res->set(http::field::content_type, reply.content_type);
    for (auto& [name, value] : reply.headers) {
      res->set(name, std::move(value));
    }
    res->keep_alive(false);
    res->body() = std::move(reply.body);
    res->prepare_payload();
    expire_after(stream_, http_read_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code, std::size_t) {
                        shutdown_send(self->stream_);
                      });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  actors::node_context& ctx_;
  session_registry& registry_;
  const http_router& router_;
  const std::atomic<bool>& stopping_;
  net::steady_timer answer_deadline_;
  bool answered_ = false;
};

} // namespace switchyard::transport
