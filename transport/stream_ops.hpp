#pragma once
// Internal: the few things a session does to its TCP stream that an in-memory test
// stream (the fuzz target's) does differently. The fuzz target adds overloads for
// boost::beast::test::stream.

#include "transport/net.hpp"

#include <chrono>
#include <string>

namespace switchyard::transport {

inline std::string remote_of(tcp::socket& socket) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  return ec ? std::string{"?"} : ep.address().to_string() + ":" + std::to_string(ep.port());
}

/// What a WebSocket session runs on once the HTTP request is read: the bare socket.
/// Beast's WebSocket stream keeps its own timers, and tcp_stream's (its impl, three
/// timers and a bigger read handler) cost about 1 KiB per idle connection.
inline tcp::socket websocket_layer(beast::tcp_stream&& stream) {
  return stream.release_socket();
}

inline void expire_never(tcp::socket&) {}

/// Closes the socket now (pending operations end with operation_aborted).
inline void cut(tcp::socket& socket) {
  beast::error_code ignored;
  socket.close(ignored);
}

/// A deadline for the HTTP request read (WebSocket sessions use Beast's own timers).
inline void expire_after(beast::tcp_stream& stream, std::chrono::seconds after) {
  stream.expires_after(after);
}

/// Half-closes after an HTTP response (the peer sees the end of the reply).
inline void shutdown_send(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

} // namespace switchyard::transport
