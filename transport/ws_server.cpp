#include "transport/ws_server.hpp"

#include "actors/node_context.hpp"
#include "transport/log.hpp"
#include "transport/net.hpp"
#include "transport/session_registry.hpp"
#include "transport/ws_session.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace switchyard::transport {

namespace {

constexpr auto http_read_timeout = std::chrono::seconds(10);
constexpr std::size_t max_http_header_bytes = 8 * 1024;
constexpr std::size_t max_http_body_bytes = 64 * 1024;
constexpr auto shutdown_grace = std::chrono::seconds(5);
constexpr uint16_t close_going_away = 1001;

/// Picks the subprotocol from the client's offer (first known one wins). No offer
/// means JSON; an offer of only unknown ones is refused (returns false).
bool negotiate(std::string_view offered, protocol::encoding& enc, std::string& chosen) {
  if (offered.empty()) {
    enc = protocol::encoding::json;
    return true;
  }
  while (!offered.empty()) {
    auto comma = offered.find(',');
    auto token = offered.substr(0, comma);
    offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
      token.remove_prefix(1);
    }
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
      token.remove_suffix(1);
    }
    if (token == protocol::json_subprotocol || token == protocol::msgpack_subprotocol) {
      enc = token == protocol::json_subprotocol ? protocol::encoding::json : protocol::encoding::msgpack;
      chosen = std::string{token};
      return true;
    }
  }
  return false;
}

/// Reads one HTTP request; upgrades `/ws` to a WebSocket session, answers the health
/// paths, refuses the rest. One request per connection keeps it small.
class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(tcp::socket&& socket, actors::node_context& ctx, session_registry& registry,
               const std::atomic<bool>& stopping)
      : stream_(std::move(socket)), ctx_(ctx), registry_(registry), stopping_(stopping) {
    parser_.header_limit(max_http_header_bytes);
    parser_.body_limit(max_http_body_bytes);
  }

  void run() {
    stream_.expires_after(http_read_timeout);
    http::async_read(stream_, buffer_, parser_,
                     beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  }

private:
  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      return;
    }
    auto req = parser_.release();
    if (websocket::is_upgrade(req)) {
      return upgrade(std::move(req));
    }
    if (req.target() == "/healthz") {
      return respond(http::status::ok, "ok\n", req.version());
    }
    if (req.target() == "/readyz") {
      return stopping_ ? respond(http::status::service_unavailable, "draining\n", req.version())
                       : respond(http::status::ok, "ready\n", req.version());
    }
    respond(http::status::not_found, "not found\n", req.version());
  }

  void upgrade(http::request<http::string_body> req) {
    if (req.target() != "/ws") {
      return respond(http::status::not_found, "WebSocket endpoint is /ws\n", req.version());
    }
    if (stopping_) {
      return respond(http::status::service_unavailable, "draining\n", req.version());
    }
    protocol::encoding enc = protocol::encoding::json;
    std::string chosen;
    auto offered = req[http::field::sec_websocket_protocol];
    if (!negotiate({offered.data(), offered.size()}, enc, chosen)) {
      return respond(http::status::bad_request,
                     "unsupported subprotocol; offer switchyard.v1.json or "
                     "switchyard.v1.msgpack\n",
                     req.version());
    }
    auto session = std::make_shared<ws_session>(
        std::move(stream_), ctx_, registry_, static_cast<std::size_t>(ctx_.limits.max_frame_bytes));
    session->run(std::move(req), enc, std::move(chosen));
  }

  void respond(http::status status, std::string body, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(status, version);
    res->set(http::field::server, "switchyard");
    res->set(http::field::content_type, "text/plain");
    res->keep_alive(false);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code, std::size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  actors::node_context& ctx_;
  session_registry& registry_;
  const std::atomic<bool>& stopping_;
};

} // namespace

struct ws_server::impl {
  impl(actors::node_context& c, server_options o)
      : ctx(c), opts(std::move(o)), acceptor(net::make_strand(ioc)), deadline(ioc) {}

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec != net::error::operation_aborted) {
          log().warn("ws.accept_failed error=\"{}\"", ec.message());
        }
        if (!acceptor.is_open()) {
          return;
        }
      } else {
        // Without TCP_NODELAY a small push waits for the peer's delayed ACK (Nagle):
        // ~40 ms stalls at low rates.
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<http_session>(std::move(socket), ctx, sessions, stopping)->run();
      }
      accept();
    });
  }

  actors::node_context& ctx;
  server_options opts;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer deadline;
  session_registry sessions;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  uint16_t port = 0;
};

ws_server::ws_server(actors::node_context& ctx, server_options opts)
    : impl_(std::make_unique<impl>(ctx, std::move(opts))) {}

ws_server::~ws_server() {
  stop();
}

bool ws_server::start(std::string& error) {
  auto& d = *impl_;
  beast::error_code ec;
  auto address = net::ip::make_address(d.opts.bind, ec);
  if (ec) {
    error = "bind: '" + d.opts.bind + "' is not an IP address";
    return false;
  }
  tcp::endpoint ep{address, d.opts.port};
  d.acceptor.open(ep.protocol(), ec);
  if (!ec) {
    d.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    d.acceptor.bind(ep, ec);
  }
  if (!ec) {
    d.acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    error =
        "cannot listen on " + d.opts.bind + ":" + std::to_string(d.opts.port) + ": " + ec.message();
    return false;
  }
  d.port = d.acceptor.local_endpoint().port();
  d.accept();
  auto threads = d.opts.io_threads > 0
                     ? d.opts.io_threads
                     : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) {
    d.threads.emplace_back([&d] { d.ioc.run(); });
  }
  log().info("ws.listening bind={} port={} io_threads={}", d.opts.bind, d.port,
                                 d.threads.size());
  return true;
}

uint16_t ws_server::port() const {
  return impl_->port;
}

void ws_server::stop() {
  auto& d = *impl_;
  if (d.stopping.exchange(true) || d.threads.empty()) {
    return;
  }
  auto live = d.sessions.size();
  net::post(d.acceptor.get_executor(), [&d] {
    beast::error_code ignored;
    d.acceptor.close(ignored);
  });
  // Sessions that do not finish the close handshake in time are cut off.
  d.deadline.expires_after(shutdown_grace);
  d.deadline.async_wait([&d](beast::error_code ec) {
    if (!ec) {
      d.ioc.stop();
    }
  });
  d.sessions.on_empty([&d] { net::post(d.ioc, [&d] { d.deadline.cancel(); }); });
  d.sessions.for_each([](ws_session& s) { s.close(close_going_away, "server shutting down"); });
  if (d.sessions.size() == 0) {
    net::post(d.ioc, [&d] { d.deadline.cancel(); });
  }
  for (auto& t : d.threads) {
    t.join();
  }
  d.threads.clear();
  d.sessions.for_each([](ws_session& s) { s.abandon(); });
  log().info("ws.stopped sessions_closed={}", live);
}

} // namespace switchyard::transport
