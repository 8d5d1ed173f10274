#pragma once
// Internal: the few things a session does to its stream that differ by stream: a bare
// TCP socket, TLS over a tcp_stream (tls.cert_file), or an in-memory test stream (the
// fuzz target adds overloads for boost::beast::test::stream).

#include "transport/net.hpp"

#include <chrono>
#include <string>

#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

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

// TLS: the WebSocket runs on the TLS stream itself (its session state cannot move to
// another layer), whose lowest layer is a tcp_stream.
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

inline std::string remote_of(beast::tcp_stream& stream) {
  return remote_of(stream.socket());
}
inline tls_stream websocket_layer(tls_stream&& stream) {
  return std::move(stream);
}
inline void expire_never(beast::tcp_stream& stream) {
  stream.expires_never();
}
inline void cut(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().close(ignored);
}
inline void expire_after(tls_stream& stream, std::chrono::seconds after) {
  beast::get_lowest_layer(stream).expires_after(after);
}
inline void shutdown_send(tls_stream& stream) {
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
}

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
