#include "actors/node_context.hpp"
#include "actors/shard_map.hpp"
#include "transport/api_routes.hpp"
#include "transport/console_files.hpp"
#include "transport/http_router.hpp"
#include "transport/metrics_text.hpp"

#include <utility>

namespace switchyard::transport {

void add_console_routes(http_router& router) {
  for (const auto& file : console_files()) {
    const auto serve = [&file](const http_router::request&) {
      http_reply reply{http::status::ok, std::string(file.body), std::string(file.content_type)};
      // An upgraded node serves a new console: the browser asks again each time.
      reply.headers.emplace_back("Cache-Control", "no-cache");
      reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
      reply.headers.emplace_back("Content-Security-Policy", "default-src 'self'");
      return reply;
    };
    router.add(http::verb::get, std::string(file.path), serve);
    if (file.path == "/console") {
      router.add(http::verb::get, "/console/", serve);
    }
  }
}

http_router node_routes(actors::node_context& ctx, const std::atomic<bool>& stopping,
                        std::function<void()> begin_drain) {
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
    if (ctx.shards != nullptr && !ctx.shards->lease_live()) {
      return http_reply{http::status::service_unavailable, "cluster lease lost\n"};
    }
    return http_reply{http::status::ok, "ready\n"};
  });
  router.add(
      http::verb::post, "/admin/drain",
      [&ctx, begin = std::move(begin_drain)](const http_router::request& req) {
        if (auto refused = refuse_admin(ctx, req)) {
          return *refused;
        }
        begin();
        return http_reply{http::status::accepted, "{\"draining\":true}\n", "application/json"};
      });
  router.add(http::verb::get, "/metrics", [&ctx, &stopping](const http_router::request&) {
    return http_reply{http::status::ok, metrics_text(ctx, stopping),
                      "text/plain; version=0.0.4; charset=utf-8"};
  });
  add_api_routes(router, ctx, stopping);
  add_admin_routes(router, ctx, stopping);
  add_console_routes(router);
  return router;
}

} // namespace switchyard::transport
