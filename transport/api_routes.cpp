#include "transport/api_routes.hpp"

#include "actors/clock.hpp"
#include "actors/node_context.hpp"
#include "protocol/jwt.hpp"
#include "protocol/message.hpp"
#include "transport/api_call.hpp"
#include "transport/url_query.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

namespace switchyard::transport {

namespace {

using protocol::error_code::bad_request;
using protocol::error_code::not_found;

constexpr std::string_view topics_prefix = "/api/v1/topics/";

http_reply bad(std::string message) {
  return http_error(bad_request, message);
}

/// POST /api/v1/publish: the body is the publish message without `op` and `id`.
void publish(actors::node_context& ctx, const http_router::request& req,
             http_router::respond_fn respond) {
  auto auth = bearer_of(req);
  if (auth.refused) {
    return respond(std::move(*auth.refused));
  }
  auto body = nlohmann::json::parse(req.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return respond(bad("the body must be a JSON object {topic, data, key?, idem?, ttl_ms?}"));
  }
  for (const auto* reserved : {"op", "id"}) {
    if (body.contains(reserved)) {
      return respond(bad(std::string("field '") + reserved + "' is not part of a publish body"));
    }
  }
  body["op"] = "publish";
  run_api_call(ctx, auth.token, std::move(body), std::move(respond));
}

/// A query parameter that must be a non-negative integer.
std::optional<int64_t> integer_param(const std::string& value) {
  int64_t out = 0;
  const auto* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, out);
  if (ec != std::errc{} || ptr != end || out < 0) {
    return std::nullopt;
  }
  return out;
}

/// GET /api/v1/topics/{topic}/history?from_seq=&since_ms=&limit= and
/// GET /api/v1/topics/{topic}/presence?after=: the matching protocol op.
void topic_view(actors::node_context& ctx, const http_router::request& req,
                http_router::respond_fn respond) {
  const auto path = target_path({req.target().data(), req.target().size()});
  const auto rest = path.substr(topics_prefix.size());
  const auto slash = rest.rfind('/');
  if (slash == std::string_view::npos) {
    return respond(http_error(not_found, "use /api/v1/topics/{topic}/history or .../presence"));
  }
  const auto view = rest.substr(slash + 1);
  if (view != "history" && view != "presence") {
    return respond(http_error(not_found, "use /api/v1/topics/{topic}/history or .../presence"));
  }
  // {topic} is percent-encoded; a client that left its '/' unencoded means the same topic.
  auto topic = percent_decode(rest.substr(0, slash));
  auto params = query_params({req.target().data(), req.target().size()});
  if (!topic || !params) {
    return respond(bad("malformed percent-encoding in the request target"));
  }
  auto auth = bearer_of(req);
  if (auth.refused) {
    return respond(std::move(*auth.refused));
  }
  nlohmann::json msg{{"op", std::string(view)}, {"topic", std::move(*topic)}};
  for (auto& [name, value] : *params) {
    if (view == "history" && (name == "from_seq" || name == "since_ms" || name == "limit")) {
      auto number = integer_param(value);
      if (!number) {
        return respond(bad("query parameter '" + name + "' must be a non-negative integer"));
      }
      msg[name] = *number;
    } else if (view == "presence" && name == "after") {
      msg[name] = std::move(value);
    } else {
      return respond(bad("unknown query parameter '" + name + "' for " + std::string(view)));
    }
  }
  run_api_call(ctx, auth.token, std::move(msg), std::move(respond));
}

} // namespace

bearer bearer_of(const http_router::request& req) {
  constexpr std::string_view scheme = "Bearer ";
  const auto found = req.find(http::field::authorization);
  if (found == req.end()) {
    return {};
  }
  const std::string_view value{found->value().data(), found->value().size()};
  if (!value.starts_with(scheme) || value.size() == scheme.size()) {
    return {std::nullopt, http_error(protocol::error_code::unauthorized,
                                     "the Authorization header must be 'Bearer <JWT>'")};
  }
  return {std::string(value.substr(scheme.size())), std::nullopt};
}

std::optional<http_reply> refuse_admin(const actors::node_context& ctx,
                                       const http_router::request& req) {
  if (!ctx.auth.jwt) {
    return std::nullopt;
  }
  auto auth = bearer_of(req);
  if (auth.refused) {
    return std::move(auth.refused);
  }
  if (!auth.token) {
    return http_error(protocol::error_code::unauthorized,
                      "admin calls need 'Authorization: Bearer <JWT>'");
  }
  auto verdict =
      protocol::verify_jwt(*auth.token, ctx.auth.jwt_secret, actors::now_ms(), ctx.auth.leeway_ms);
  if (!verdict.claims) {
    return http_error(protocol::error_code::unauthorized, verdict.error);
  }
  if (!verdict.claims->admin) {
    return http_error(protocol::error_code::forbidden, "admin calls need claim 'admin'");
  }
  return std::nullopt;
}

void add_api_routes(http_router& router, actors::node_context& ctx,
                    const std::atomic<bool>& stopping) {
  const auto unless_stopping = [&stopping](auto view) {
    return [&stopping, view](const http_router::request& req, http_router::respond_fn respond) {
      if (stopping) {
        return respond(http_error(protocol::error_code::unavailable,
                                  "the node is draining; call another node", 1000));
      }
      view(req, std::move(respond));
    };
  };
  router.add(
      http::verb::post, "/api/v1/publish",
      unless_stopping([&ctx](const http_router::request& req, http_router::respond_fn respond) {
        publish(ctx, req, std::move(respond));
      }));
  router.add_prefix(
      http::verb::get, std::string(topics_prefix),
      unless_stopping([&ctx](const http_router::request& req, http_router::respond_fn respond) {
        topic_view(ctx, req, std::move(respond));
      }));
}

} // namespace switchyard::transport
