#pragma once
// One HTTP/1.1 request to the node's HTTP API (the node serves one per connection).

#include "tools/ctl/node_endpoint.hpp"

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace switchyard::ctl {

/// Sends the request (with `Authorization: Bearer` when the endpoint has a token) and
/// returns the JSON body of a 2xx answer. An answer with `{"error": {...}}` throws
/// ctl_error::from_node; no connection or a body that is not JSON throws ctl_error.
nlohmann::json http_json(const node_endpoint& node, std::string_view method,
                         const std::string& target, const std::string& body = {});

/// Percent-encodes every byte but unreserved ones (RFC 3986), for a path segment or a
/// query value.
std::string percent_encode(std::string_view text);

} // namespace switchyard::ctl
