#pragma once
// Internal: the HTTP API of PROTOCOL.md (publish, history, presence under /api/v1).

#include "transport/http_router.hpp"

#include <optional>
#include <string>

namespace switchyard::transport {

/// The bearer token of `req`: nothing without an Authorization header; an error reply
/// (401) when the header is not `Bearer <token>`.
struct bearer {
  std::optional<std::string> token;
  std::optional<http_reply> refused;
};
bearer bearer_of(const http_router::request& req);

/// Why an admin call is refused (401, 403), or nothing when it may go on: it needs a
/// token with claim `admin`; in auth.mode none the node listens on loopback only and
/// everything is allowed (PROTOCOL.md, HTTP API).
std::optional<http_reply> refuse_admin(const actors::node_context& ctx,
                                       const http_router::request& req);

/// POST /api/v1/publish, GET /api/v1/topics/{topic}/history and .../presence. While
/// `stopping` (draining) they answer `unavailable`, as a WebSocket upgrade would.
void add_api_routes(http_router& router, actors::node_context& ctx,
                    const std::atomic<bool>& stopping);

} // namespace switchyard::transport

namespace switchyard::transport {

/// The admin calls for the console and the CLI (PROTOCOL.md, HTTP API): the reads
/// /admin/v1/status, /admin/v1/tenants, /admin/v1/topics and /admin/v1/groups, and the
/// purges DELETE /admin/v1/topics/{topic} and /admin/v1/tenants/{tenant} (503 while
/// `stopping`).
void add_admin_routes(http_router& router, actors::node_context& ctx,
                      const std::atomic<bool>& stopping);

/// The web console's static files: /console, /console/console.js, /console/console.css.
void add_console_routes(http_router& router);

} // namespace switchyard::transport
