#include "transport/http_router.hpp"

#include "actors/clock.hpp"
#include "actors/node_context.hpp"
#include "protocol/jwt.hpp"

#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

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

http_reply http_error(http::status status, std::string_view code, std::string_view message) {
  nlohmann::json body{{"error", {{"code", code}, {"message", message}}}};
  return {status, body.dump() + "\n", "application/json"};
}

namespace {

/// Why an admin call is refused, or nothing when it may go on. In auth.mode none the
/// node listens on loopback only and everything is allowed (PROTOCOL.md, HTTP API).
std::optional<http_reply> refuse_admin(const actors::node_context& ctx,
                                       const http_router::request& req) {
  if (!ctx.auth.jwt) {
    return std::nullopt;
  }
  constexpr std::string_view scheme = "Bearer ";
  const auto header = req[http::field::authorization];
  const std::string_view value{header.data(), header.size()};
  if (!value.starts_with(scheme)) {
    return http_error(http::status::unauthorized, "unauthorized",
                      "admin calls need 'Authorization: Bearer <JWT>'");
  }
  auto verdict = protocol::verify_jwt(value.substr(scheme.size()), ctx.auth.jwt_secret,
                                      actors::now_ms(), ctx.auth.leeway_ms);
  if (!verdict.claims) {
    return http_error(http::status::unauthorized, "unauthorized", verdict.error);
  }
  if (!verdict.claims->admin) {
    return http_error(http::status::forbidden, "forbidden", "admin calls need claim 'admin'");
  }
  return std::nullopt;
}

} // namespace

http_router node_routes(const actors::node_context& ctx, const std::atomic<bool>& stopping,
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
  return router;
}

} // namespace switchyard::transport
