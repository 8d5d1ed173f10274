#include "transport/http_router.hpp"

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

} // namespace switchyard::transport
