#pragma once
// The node's network front: one port serving WebSocket `/ws` and a few HTTP paths.
// Sockets live on Boost.Asio threads; every connection's state lives in its actor.
// Beast stays out of this header.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace switchyard::actors {
struct node_context;
}

namespace switchyard::transport {

struct server_options {
  std::string bind = "127.0.0.1"; ///< listen address
  uint16_t port = 7400;           ///< 0: any free port (read it with port())
  int io_threads = 0;             ///< threads running the sockets; 0: one per core
  /// Both set: the port serves only TLS (wss:// and https://), TLS 1.2 or later.
  std::string tls_cert_file;        ///< PEM certificate chain
  std::string tls_key_file;         ///< PEM private key
  int64_t drain_spread_ms = 10000;  ///< key drain.spread_ms: reconnect times spread over this
  int64_t drain_timeout_ms = 30000; ///< key drain.timeout_ms: a drain ends by then
};

class ws_server {
public:
  ws_server(actors::node_context& ctx, server_options opts);
  ~ws_server();
  ws_server(const ws_server&) = delete;
  ws_server& operator=(const ws_server&) = delete;

  /// Binds, listens and starts the io threads. On failure returns false with `error`.
  bool start(std::string& error);
  /// With TLS: reads the certificate and key files again; connections accepted from now
  /// on use them (open ones keep theirs). False with `error` leaves the old ones in use.
  bool reload_tls(std::string& error);
  /// Runs (on an io thread, once) when a drain ended: no WebSocket is left, or
  /// drain_timeout_ms passed. Set before start().
  void on_drained(std::function<void()> fn);
  /// Begins a graceful drain (any thread; idempotent): /readyz answers 503, WebSocket
  /// upgrades are refused (503), and every WebSocket gets a `drain` push with its own reconnect
  /// time (spread evenly at random over drain_spread_ms) and closes with 1001 at that time once the
  /// work it has in flight finished. Logs the connections left every second.
  void drain(const std::string& reason);
  /// The bound port (after start()).
  uint16_t port() const;
  /// Stops accepting, closes every WebSocket with 1001 (going away), waits for the
  /// sessions to end (bounded), then joins the io threads. Idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace switchyard::transport
