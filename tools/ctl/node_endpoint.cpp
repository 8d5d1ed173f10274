#include "tools/ctl/node_endpoint.hpp"

#include "tools/ctl/ctl_error.hpp"

#include <charconv>
#include <utility>

namespace switchyard::ctl {

node_endpoint node_endpoint::parse(const std::string& url, std::string token) {
  std::string_view rest = url;
  if (rest.starts_with("https://") || rest.starts_with("wss://")) {
    throw ctl_error("usage", "'" + url +
                                 "': TLS is not supported by this version of "
                                 "switchyard-ctl; use http:// (e.g. on the node's host)");
  }
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("ws://")) {
    rest.remove_prefix(5);
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/" && rest.substr(slash) != "/ws") {
      throw ctl_error("usage", "'" + url +
                                   "': give the node's address only, like "
                                   "http://127.0.0.1:7400");
    }
    rest = rest.substr(0, slash);
  }
  node_endpoint e;
  e.token = std::move(token);
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || rest.back() == ']') {
    e.host = std::string(rest);
    e.port = "80";
  } else {
    e.host = std::string(rest.substr(0, colon));
    e.port = std::string(rest.substr(colon + 1));
    unsigned port = 0;
    auto [end, ec] = std::from_chars(e.port.data(), e.port.data() + e.port.size(), port);
    if (ec != std::errc() || end != e.port.data() + e.port.size() || port == 0 || port > 65535) {
      throw ctl_error("usage", "'" + url + "': the port must be 1..65535");
    }
  }
  if (e.host.empty()) {
    throw ctl_error("usage", "'" + url + "': no host");
  }
  if (e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  return e;
}

} // namespace switchyard::ctl
