#pragma once
// Internal: the node's plain HTTP endpoints on the WebSocket port, by method and path.
// Handlers run on the connection's io thread and must not block.

#include "transport/net.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace switchyard::actors {
struct node_context;
}

namespace switchyard::transport {

struct http_reply {
  http::status status = http::status::ok;
  std::string body;
  std::string content_type = "text/plain";
};

class http_router {
public:
  using request = http::request<http::string_body>;
  using handler = std::function<http_reply(const request&)>;

  /// Serves `method` on `path` (exact match; the query string is not part of it).
  void add(http::verb method, std::string path, handler fn);

  /// The handler's reply; 405 when the path is known under another method, else 404.
  http_reply route(const request& req) const;

private:
  struct route_entry {
    http::verb method;
    std::string path;
    handler fn;
  };
  std::vector<route_entry> routes_;
};

/// The path part of a request target ("/readyz?x=1" -> "/readyz").
std::string_view target_path(std::string_view target);

/// An error answer of the HTTP API: {"error": {code, message}} as JSON.
http_reply http_error(http::status status, std::string_view code, std::string_view message);

/// The node's routes: /healthz, /readyz (503 while `stopping` (draining or stopping) or
/// while the store cannot write) and POST /admin/drain (202; calls `begin_drain`). Admin
/// calls need `Authorization: Bearer <JWT>` with claim admin in auth.mode jwt.
http_router node_routes(const actors::node_context& ctx, const std::atomic<bool>& stopping,
                        std::function<void()> begin_drain);

} // namespace switchyard::transport
