#include "transport/http_router.hpp"

#include "actors/node_context.hpp"

#include <utility>

namespace switchyard::transport {

void http_router::add(http::verb method, std::string path, handler fn) {
  routes_.push_back({method, std::move(path), std::move(fn)});
}

http_reply http_router::route(const request& req) const {
  const auto path = target_path({req.target().data(), req.target().size()});
  bool known_path = false;
  for (const auto& r : routes_) {
    if (r.path != path) {
      continue;
    }
    if (r.method == req.method()) {
      return r.fn(req);
    }
    known_path = true;
  }
  if (known_path) {
    return {http::status::method_not_allowed, "method not allowed\n"};
  }
  return {http::status::not_found, "not found\n"};
}

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

http_router node_routes(const actors::node_context& ctx, const std::atomic<bool>& stopping) {
  http_router router;
  router.add(http::verb::get, "/healthz", [](const http_router::request&) {
    return http_reply{http::status::ok, "ok\n"};
  });
  router.add(http::verb::get, "/readyz", [&ctx, &stopping](const http_router::request&) {
    if (stopping) {
      return http_reply{http::status::service_unavailable, "draining\n"};
    }
    if (!ctx.store_writable) {
      return http_reply{http::status::service_unavailable, "store cannot write\n"};
    }
    return http_reply{http::status::ok, "ready\n"};
  });
  return router;
}

} // namespace switchyard::transport
