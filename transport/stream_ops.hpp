#pragma once
// Internal: the few things a session does to its TCP stream that an in-memory test
// stream (the fuzz target's) does differently. The fuzz target adds overloads for
// boost::beast::test::stream.

#include "transport/net.hpp"

#include <chrono>
#include <string>

namespace switchyard::transport {

inline std::string remote_of(beast::tcp_stream& stream) {
  beast::error_code ec;
  auto ep = stream.socket().remote_endpoint(ec);
  return ec ? std::string{"?"} : ep.address().to_string() + ":" + std::to_string(ep.port());
}

/// A deadline for the HTTP request read (WebSocket sessions use Beast's own timers).
inline void expire_after(beast::tcp_stream& stream, std::chrono::seconds after) {
  stream.expires_after(after);
}

inline void expire_never(beast::tcp_stream& stream) {
  stream.expires_never();
}

/// Half-closes after an HTTP response (the peer sees the end of the reply).
inline void shutdown_send(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

} // namespace switchyard::transport
