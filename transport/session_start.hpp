#pragma once
// Internal: starts the session of an accepted connection. The plain and the TLS session
// stacks (HTTP, then WebSocket, over each stream) are instantiated in translation units
// of their own, which compile in parallel: together they were the heaviest unit of the
// build.

#include "transport/net.hpp"

#include <atomic>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace switchyard::actors {
struct node_context;
}

namespace switchyard::transport {

class http_router;
class session_registry;
struct server_options;

/// What every session of one server shares.
struct session_deps {
  actors::node_context& ctx;
  session_registry& sessions;
  const http_router& router;
  const std::atomic<bool>& stopping;
};

/// Reads the HTTP request of a plain TCP connection, then serves it (plain_session.cpp).
void start_plain_session(tcp::socket socket, const session_deps& deps);

/// A server TLS context with the certificate and key of `opts`, TLS 1.2 or later; null
/// with `error` when they cannot be used (tls_session.cpp).
std::shared_ptr<net::ssl::context> make_tls_context(const server_options& opts, std::string& error);
/// The TLS handshake (bounded), then the HTTP request and session over TLS. The context
/// is kept alive by the connection.
void start_tls_session(tcp::socket socket, std::shared_ptr<net::ssl::context> context,
                       const session_deps& deps);

} // namespace switchyard::transport
