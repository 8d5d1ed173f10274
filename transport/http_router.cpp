#include "transport/http_router.hpp"

#include "protocol/message.hpp"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

namespace switchyard::transport {

void http_router::add(http::verb method, std::string path, handler fn) {
  routes_.push_back({method, std::move(path), false, std::move(fn)});
}

void http_router::add(http::verb method, std::string path, sync_handler fn) {
  add(method, std::move(path),
      [fn = std::move(fn)](const request& req, respond_fn respond) { respond(fn(req)); });
}

void http_router::add_prefix(http::verb method, std::string prefix, handler fn) {
  routes_.push_back({method, std::move(prefix), true, std::move(fn)});
}

void http_router::route(const request& req, respond_fn respond) const {
  const auto path = target_path({req.target().data(), req.target().size()});
  bool known_path = false;
  const route_entry* by_prefix = nullptr;
  for (const auto& r : routes_) {
    if (r.prefix ? !path.starts_with(r.path) : r.path != path) {
      continue;
    }
    if (r.method != req.method()) {
      known_path = true;
    } else if (!r.prefix) {
      return r.fn(req, std::move(respond));
    } else if (by_prefix == nullptr) {
      by_prefix = &r;
    }
  }
  if (by_prefix != nullptr) {
    return by_prefix->fn(req, std::move(respond));
  }
  if (known_path) {
    auto reply = http_error(protocol::error_code::bad_request, "method not allowed on this path");
    reply.status = http::status::method_not_allowed;
    return respond(std::move(reply));
  }
  respond(http_error(protocol::error_code::not_found, "no such path"));
}

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

http::status status_of(std::string_view code) {
  using namespace protocol::error_code;
  if (code == bad_request || code == not_connected) {
    return http::status::bad_request;
  }
  if (code == unauthorized) {
    return http::status::unauthorized;
  }
  if (code == forbidden) {
    return http::status::forbidden;
  }
  if (code == not_found) {
    return http::status::not_found;
  }
  if (code == expired) {
    return http::status::gone;
  }
  if (code == too_large) {
    return http::status::payload_too_large;
  }
  if (code == throttled) {
    return http::status::too_many_requests;
  }
  if (code == circuit_open || code == unavailable) {
    return http::status::service_unavailable;
  }
  return http::status::internal_server_error;
}

http_reply http_error(std::string_view code, std::string_view message) {
  nlohmann::json body{{"error", {{"code", code}, {"message", message}}}};
  return {status_of(code), body.dump() + "\n", "application/json"};
}

http_reply http_error(std::string_view code, std::string_view message, int64_t retry_after_ms) {
  nlohmann::json body{
      {"error", {{"code", code}, {"message", message}, {"retry_after_ms", retry_after_ms}}}};
  http_reply reply{status_of(code), body.dump() + "\n", "application/json"};
  reply.headers.emplace_back("Retry-After", retry_after_seconds(retry_after_ms));
  return reply;
}

std::string retry_after_seconds(int64_t ms) {
  return std::to_string(std::max<int64_t>(1, (ms + 999) / 1000));
}

} // namespace switchyard::transport
