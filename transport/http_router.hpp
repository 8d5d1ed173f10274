#pragma once
// Internal: the node's plain HTTP endpoints on the WebSocket port, by method and path.
// Handlers run on the connection's io thread and must not block: one that waits for an
// actor answers later through its `respond` callback, from any thread.

#include "transport/net.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::actors {
struct node_context;
}

namespace switchyard::transport {

struct http_reply {
  http_reply() = default;
  http_reply(http::status s, std::string b, std::string type = "text/plain")
      : status(s), body(std::move(b)), content_type(std::move(type)) {}
  http::status status = http::status::ok;
  std::string body;
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers; ///< more response headers
};

class http_router {
public:
  using request = http::request<http::string_body>;
  /// Takes the reply; call it exactly once, from any thread.
  using respond_fn = std::function<void(http_reply)>;
  using handler = std::function<void(const request&, respond_fn)>;
  using sync_handler = std::function<http_reply(const request&)>;

  /// Serves `method` on `path` (exact match; the query string is not part of it).
  void add(http::verb method, std::string path, handler fn);
  void add(http::verb method, std::string path, sync_handler fn);
  /// Serves `method` on every path starting with `prefix` that no exact route serves.
  void add_prefix(http::verb method, std::string prefix, handler fn);

  /// Calls the handler; 405 when the path is known under another method, else 404.
  void route(const request& req, respond_fn respond) const;

private:
  struct route_entry {
    http::verb method;
    std::string path;
    bool prefix;
    handler fn;
  };
  std::vector<route_entry> routes_;
};

/// The path part of a request target ("/readyz?x=1" -> "/readyz").
std::string_view target_path(std::string_view target);

/// An error answer of the HTTP API: {"error": {code, message}} as JSON, with the status
/// PROTOCOL.md gives the code.
http_reply http_error(std::string_view code, std::string_view message);
/// The same with `retry_after_ms` in the error and a `Retry-After` header (whole seconds,
/// rounded up so a client never comes back too early).
http_reply http_error(std::string_view code, std::string_view message, int64_t retry_after_ms);
/// Retry-After's value for a wait of `ms`.
std::string retry_after_seconds(int64_t ms);
/// The HTTP status of a protocol error code (PROTOCOL.md, HTTP API).
http::status status_of(std::string_view code);

/// The node's routes: /healthz, /readyz (503 while `stopping` (draining or stopping) or
/// while the store cannot write), POST /admin/drain (202; calls `begin_drain`) and the
/// HTTP API (/api/v1/...). Admin calls need `Authorization: Bearer <JWT>` with claim
/// admin in auth.mode jwt.
http_router node_routes(actors::node_context& ctx, const std::atomic<bool>& stopping,
                        std::function<void()> begin_drain);

} // namespace switchyard::transport
