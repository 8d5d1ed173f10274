#pragma once
// Internal: one accepted connection until it is a WebSocket or has its HTTP answer.
// Reads one request (bounded header and body, bounded time); upgrades `/ws` to a
// ws_session with the negotiated subprotocol, hands every other request to the
// router. One request per connection keeps it small.

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

namespace switchyard::transport {

inline constexpr auto http_read_timeout = std::chrono::seconds(10);
inline constexpr std::size_t max_http_header_bytes = 8 * 1024;
inline constexpr std::size_t max_http_body_bytes = 64 * 1024;

template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
public:
  http_session(Stream&& stream, actors::node_context& ctx, session_registry& registry,
               const http_router& router, const std::atomic<bool>& stopping)
      : stream_(std::move(stream)), ctx_(ctx), registry_(registry), router_(router),
        stopping_(stopping) {
    parser_.header_limit(max_http_header_bytes);
    parser_.body_limit(max_http_body_bytes);
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
        respond({http::status::payload_too_large, "request too large\n"}, 11);
      }
      return;
    }
    auto req = parser_.release();
    if (websocket::is_upgrade(req)) {
      return upgrade(std::move(req));
    }
    respond(router_.route(req), req.version());
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
    auto res = std::make_shared<http::response<http::string_body>>(reply.status, version);
    res->set(http::field::server, "switchyard");
    res->set(http::field::content_type, reply.content_type);
    res->keep_alive(false);
    res->body() = std::move(reply.body);
    res->prepare_payload();
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
};

} // namespace switchyard::transport
