#include "transport/subprotocol.hpp"

namespace switchyard::transport {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

} // namespace

bool negotiate(std::string_view offered, protocol::encoding& enc, std::string& chosen) {
  if (offered.empty()) {
    enc = protocol::encoding::json;
    return true;
  }
  while (!offered.empty()) {
    auto comma = offered.find(',');
    auto token = trim(offered.substr(0, comma));
    offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
    if (token == protocol::json_subprotocol || token == protocol::msgpack_subprotocol) {
      enc = token == protocol::json_subprotocol ? protocol::encoding::json
                                                : protocol::encoding::msgpack;
      chosen = std::string{token};
      return true;
    }
  }
  return false;
}

} // namespace switchyard::transport
