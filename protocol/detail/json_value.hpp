#pragma once
// nlohmann-json helpers shared by the JSON decoder and json_to_msgpack. Internal to transport.

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace switchyard::protocol::detail {

/// Thrown by parse_json_limited when the text nests deeper than allowed.
struct depth_exceeded : std::exception {
  const char* what() const noexcept override { return "nesting too deep"; }
};

/// Parses one JSON text, refusing more than `max_depth` nested arrays/objects as soon as
/// the parser meets one (the parser itself is iterative, so a deep bomb costs no stack).
/// Throws depth_exceeded or nlohmann::ordered_json::parse_error; callers catch at their boundary.
nlohmann::ordered_json parse_json_limited(std::string_view text, std::size_t max_depth);

/// The value parse_json_limited would return, built from simdjson's parse (much faster),
/// or nullopt when simdjson refuses the text or might read it differently (then
/// parse_json_limited decides, with its errors). Texts over 64 KiB always give nullopt.
std::optional<nlohmann::ordered_json> parse_json_fast(std::string_view text, std::size_t max_depth);

/// Appends `value` as MessagePack: integers keep their sign class and the smallest
/// integer format, floats are always float64 (no float32 narrowing).
void append_msgpack(std::string& out, const nlohmann::ordered_json& value);

} // namespace switchyard::protocol::detail
