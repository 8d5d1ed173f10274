// The fast way into nlohmann-json's value for a client message: simdjson (Debian's
// libsimdjson-dev) parses the text, and the value is built from its document. The
// nlohmann-json parser spends about 26,000 instructions on a 200-byte publish, most of
// them in its lexer; this path skips the lexer, and the value (and so every rule after
// it) stays the same. Anything simdjson refuses, or might read differently, is left to
// the nlohmann-json parser, so errors and their messages do not change.

#include "protocol/detail/json_value.hpp"

#include <cstring>
#include <vector>

#include <simdjson.h>

namespace switchyard::protocol::detail {
namespace {

using json = nlohmann::ordered_json;

/// Longer messages take the nlohmann-json path: a simdjson parser keeps buffers sized
/// for the longest document it parsed, and it lives as long as its thread.
constexpr std::size_t max_fast_bytes = std::size_t{64} << 10;

/// False when the value cannot be built exactly as nlohmann-json would build it.
bool build(simdjson::dom::element in, json& out) {
  using type = simdjson::dom::element_type;
  switch (in.type()) {
  case type::OBJECT: {
    out = json::object();
    for (const auto field : simdjson::dom::object(in)) {
      // operator[]: a repeated key keeps its first place and takes its last value, as
      // nlohmann-json's parser does.
      if (!build(field.value, out[std::string(field.key)])) {
        return false;
      }
    }
    return true;
  }
  case type::ARRAY: {
    out = json::array();
    for (const auto item : simdjson::dom::array(in)) {
      if (!build(item, out.emplace_back())) {
        return false;
      }
    }
    return true;
  }
  case type::STRING: {
    const std::string_view s = in.get_string().value_unsafe();
    // A lone surrogate escape ("\udc00") is refused by nlohmann-json; simdjson would
    // write it out as bytes that are not UTF-8.
    if (!simdjson::validate_utf8(s.data(), s.size())) {
      return false;
    }
    out = std::string(s);
    return true;
  }
  case type::INT64: {
    // nlohmann-json reads an integer without a minus sign as unsigned.
    const int64_t v = in.get_int64().value_unsafe();
    if (v >= 0) {
      out = static_cast<uint64_t>(v);
    } else {
      out = v;
    }
    return true;
  }
  case type::UINT64:
    out = in.get_uint64().value_unsafe();
    return true;
  case type::DOUBLE:
    out = in.get_double().value_unsafe();
    return true;
  case type::BOOL:
    out = in.get_bool().value_unsafe();
    return true;
  case type::NULL_VALUE:
    out = nullptr;
    return true;
  }
  return false;
}

} // namespace

std::optional<json> parse_json_fast(std::string_view text, std::size_t max_depth) {
  if (text.size() > max_fast_bytes) {
    return std::nullopt;
  }
  // One parser and one padded copy of the input per thread (decoding runs on the io
  // threads); simdjson reads up to SIMDJSON_PADDING bytes past the end.
  thread_local simdjson::dom::parser parser{max_fast_bytes};
  thread_local std::vector<char> padded;
  padded.resize(text.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded.data(), text.data(), text.size());
  std::memset(padded.data() + text.size(), ' ', simdjson::SIMDJSON_PADDING);
  // Depth as parse_json_limited counts it: more than max_depth nested arrays/objects is
  // refused (and reported by the nlohmann-json path).
  if (parser.max_depth() != max_depth && parser.allocate(max_fast_bytes, max_depth)) {
    return std::nullopt;
  }
  simdjson::dom::element doc;
  if (parser.parse(padded.data(), text.size(), false).get(doc)) {
    return std::nullopt;
  }
  json out;
  if (!build(doc, out)) {
    return std::nullopt;
  }
  return out;
}

} // namespace switchyard::protocol::detail
