#include "transport/ws_server.hpp"

#include "actors/node_context.hpp"
#include "transport/http_router.hpp"
#include "transport/live_session.hpp"
#include "transport/log.hpp"
#include "transport/net.hpp"
#include "transport/session_registry.hpp"
#include "transport/session_start.hpp"
#include "transport/session_watch.hpp"
#include "transport/write_lane.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace switchyard::transport {

namespace {

constexpr auto shutdown_grace = std::chrono::seconds(5);
/// How often a drain checks whether it is done.
constexpr auto drain_check = std::chrono::milliseconds(100);
/// How often a drain logs the connections left.
constexpr auto drain_report = std::chrono::seconds(1);
constexpr uint16_t close_going_away = 1001;

} // namespace

/// One io_context run by one thread. A session lives on one of them for its whole life,
/// so its handlers never run concurrently without a strand (a strand's lock and
/// executor indirection were top symbols of the fanout profile).
struct io_thread {
  net::io_context ioc{1};
  /// Keeps run() going while this thread has no session yet; released by stop().
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread;
};

int thread_count(const server_options& opts) {
  return opts.io_threads > 0 ? opts.io_threads
                             : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

struct ws_server::impl {
  impl(actors::node_context& c, server_options o)
      : ctx(c), opts(std::move(o)),
        router(node_routes(c, stopping, [this] { begin_drain("http"); })), io(make_io(opts)),
        acceptor(io.front()->ioc), deadline(io.front()->ioc), drain_tick(io.front()->ioc) {}

  static std::vector<std::unique_ptr<io_thread>> make_io(const server_options& opts) {
    std::vector<std::unique_ptr<io_thread>> out;
    for (int i = 0; i < thread_count(opts); ++i) {
      out.push_back(std::make_unique<io_thread>());
    }
    return out;
  }

  /// Sessions are spread over the io threads in turn.
  net::io_context& next_context() {
    auto& ioc = io[next_io]->ioc;
    next_io = (next_io + 1) % io.size();
    return ioc;
  }

  void accept() {
    acceptor.async_accept(next_context(), [this](beast::error_code ec, tcp::socket socket) {
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
        if (auto context = tls_context()) {
          start_tls_session(std::move(socket), std::move(context), deps);
        } else {
          start_plain_session(std::move(socket), deps);
        }
      }
      accept();
    });
  }

  std::shared_ptr<net::ssl::context> tls_context() {
    std::lock_guard lock(tls_mutex);
    return tls;
  }

  /// See ws_server::drain. The drain timer and its clock belong to the first io thread.
  void begin_drain(const std::string& reason) {
    if (!running || draining.exchange(true)) {
      return;
    }
    // /readyz and upgrades see it at once. The port stays open so that /readyz can say
    // 503 (a load balancer asks it), but a WebSocket upgrade is refused with 503.
    stopping = true;
    net::post(io.front()->ioc, [this, reason] {
      drain_began = std::chrono::steady_clock::now();
      last_report = drain_began;
      log().info("drain.started reason={} connections={} spread_ms={} timeout_ms={}", reason,
                 sessions.size(), opts.drain_spread_ms, opts.drain_timeout_ms);
      // Each connection gets its own time, evenly at random over the spread: the clients
      // come back over that time, not all at once.
      std::mt19937_64 rng{std::random_device{}()};
      std::uniform_int_distribution<int64_t> spread{0, opts.drain_spread_ms};
      sessions.for_each([&](live_session& s) { s.drain(spread(rng), opts.drain_timeout_ms); });
      check_drain();
    });
  }

  /// On the first io thread: ends the drain once no session is left or its time is up.
  void check_drain() {
    const auto now = std::chrono::steady_clock::now();
    const auto left = sessions.size();
    const bool timed_out = now - drain_began >= std::chrono::milliseconds(opts.drain_timeout_ms);
    if (left == 0 || timed_out) {
      log().info("drain.finished connections_left={} elapsed_ms={}", left,
                 std::chrono::duration_cast<std::chrono::milliseconds>(now - drain_began).count());
      if (drained) {
        drained();
      }
      return;
    }
    if (now - last_report >= drain_report) {
      last_report = now;
      log().info("drain.progress connections_left={}", left);
    }
    drain_tick.expires_after(drain_check);
    drain_tick.async_wait([this](beast::error_code ec) {
      if (!ec && !stop_started) {
        check_drain();
      }
    });
  }

  /// Every session has ended: the io threads may return once their handlers are done.
  void release_threads() {
    deadline.cancel();
    for (auto& t : io) {
      net::post(t->ioc, [&ioc = t->ioc] {
        net::use_service<write_lane>(ioc).stop();
        net::use_service<session_watch>(ioc).stop();
      });
      t->work.reset();
    }
  }

  actors::node_context& ctx;
  server_options opts;
  /// No new connections: set by a drain and by stop() (readyz, upgrades).
  std::atomic<bool> stopping{false};
  std::atomic<bool> draining{false};
  std::atomic<bool> stop_started{false};
  std::function<void()> drained;
  http_router router;
  /// Before `io`: handlers still queued when the io_contexts go may hold sessions, and
  /// a session unregisters itself as it goes.
  session_registry sessions;
  session_deps deps{ctx, sessions, router, stopping};
  std::vector<std::unique_ptr<io_thread>> io;
  std::size_t next_io = 0; ///< used by the accept handler only
  tcp::acceptor acceptor;
  net::steady_timer deadline;
  net::steady_timer drain_tick;
  std::chrono::steady_clock::time_point drain_began;
  std::chrono::steady_clock::time_point last_report;
  std::atomic<bool> running{false};
  uint16_t port = 0;
  /// The TLS context new connections use. A reload replaces it; connections made with
  /// an earlier one keep its certificate: each SSL object holds a reference to its
  /// SSL_CTX (OpenSSL counts them), and the server context sets no callbacks that
  /// would go with the asio object.
  std::mutex tls_mutex;
  std::shared_ptr<net::ssl::context> tls;
};

ws_server::ws_server(actors::node_context& ctx, server_options opts)
    : impl_(std::make_unique<impl>(ctx, std::move(opts))) {}

ws_server::~ws_server() {
  stop();
}

bool ws_server::start(std::string& error) {
  auto& d = *impl_;
  if (!d.opts.tls_cert_file.empty() && !reload_tls(error)) {
    return false;
  }
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
  for (auto& t : d.io) {
    t->thread = std::thread([&ioc = t->ioc] { ioc.run(); });
  }
  d.running = true;
  log().info("ws.listening bind={} port={} io_threads={} tls={}", d.opts.bind, d.port, d.io.size(),
             d.tls ? "on" : "off");
  return true;
}

bool ws_server::reload_tls(std::string& error) {
  auto& d = *impl_;
  if (d.opts.tls_cert_file.empty()) {
    return true;
  }
  auto context = make_tls_context(d.opts, error);
  if (!context) {
    return false;
  }
  std::lock_guard lock(d.tls_mutex);
  d.tls = std::move(context);
  return true;
}

uint16_t ws_server::port() const {
  return impl_->port;
}

void ws_server::on_drained(std::function<void()> fn) {
  impl_->drained = std::move(fn);
}

void ws_server::drain(const std::string& reason) {
  impl_->begin_drain(reason);
}

void ws_server::stop() {
  auto& d = *impl_;
  if (d.stop_started.exchange(true) || !d.running) {
    return;
  }
  d.stopping = true;
  auto live = d.sessions.size();
  auto& main = d.io.front()->ioc;
  net::post(main, [&d] {
    beast::error_code ignored;
    d.acceptor.close(ignored);
    d.drain_tick.cancel();
  });
  // Sessions that do not finish the close handshake in time are cut off.
  d.deadline.expires_after(shutdown_grace);
  d.deadline.async_wait([&d](beast::error_code ec) {
    if (!ec) {
      for (auto& t : d.io) {
        t->ioc.stop();
      }
    }
  });
  d.sessions.on_empty([&d, &main] { net::post(main, [&d] { d.release_threads(); }); });
  d.sessions.for_each([](live_session& s) { s.close(close_going_away, "server shutting down"); });
  if (d.sessions.size() == 0) {
    net::post(main, [&d] { d.release_threads(); });
  }
  for (auto& t : d.io) {
    t->thread.join();
  }
  d.running = false;
  d.sessions.for_each([](live_session& s) { s.abandon(); });
  log().info("ws.stopped sessions_closed={}", live);
}

} // namespace switchyard::transport
