#pragma once
// Internal: the parts of a request target the HTTP API reads. Light (no Beast), so the
// unit tests and the fuzz targets take it alone.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::transport {

/// `%XX` escapes decoded ("+" stays "+": the API's paths and values are not form
/// data). Nothing for a malformed escape.
std::optional<std::string> percent_decode(std::string_view in);

/// The query string of `target` as decoded name/value pairs, in order ("a=1&b" gives
/// {a,1},{b,""}). Nothing when an escape is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>>
query_params(std::string_view target);

} // namespace switchyard::transport
