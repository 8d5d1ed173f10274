// Splitting client frames into messages and parsing each in its encoding. Both encodings
// end in the same field rules (detail::decode_fields, over a JSON object); only `data`
// bypasses them and becomes MessagePack bytes directly. JSON is parsed by simdjson when it
// can build the same value (json_fast_parse.cpp), otherwise by nlohmann-json, whose
// errors are the protocol's. nlohmann-json and msgpack-c throw on bad input: every throw
// is caught in this file.

#include "protocol/codec.hpp"
#include "protocol/detail/json_value.hpp"
#include "protocol/detail/message_fields.hpp"
#include "protocol/detail/msgpack_reader.hpp"

#include <algorithm>
#include <span>
#include <string>
#include <variant>

#include <msgpack.hpp>

namespace switchyard::protocol {
namespace {

using json = nlohmann::ordered_json;

decode_error fail(std::string message) {
  return decode_error{std::nullopt, std::move(message)};
}

std::string too_deep(const decode_limits& limits) {
  return "message nests deeper than " + std::to_string(limits.max_depth) + " levels";
}

std::string too_many(const decode_limits& limits) {
  return "frame carries more than " + std::to_string(limits.max_messages) +
         " messages; the rest were refused";
}

decoded_message decode_json_message(std::string_view line, std::size_t line_start,
                                    const decode_limits& limits) {
  json msg;
  if (auto fast = detail::parse_json_fast(line, limits.max_depth)) {
    msg = std::move(*fast);
  } else {
    try {
      msg = detail::parse_json_limited(line, limits.max_depth);
    } catch (const detail::depth_exceeded&) {
      return fail(too_deep(limits));
    } catch (const json::parse_error& e) {
      const std::size_t at = line_start + (e.byte > 0 ? e.byte - 1 : 0);
      return fail("malformed JSON at byte " + std::to_string(at));
    }
  }
  if (!msg.is_object()) {
    return fail("message must be a JSON object");
  }
  std::optional<std::string> data;
  if (const auto it = msg.find("data"); it != msg.end()) {
    detail::append_msgpack(data.emplace(), *it);
  }
  return detail::decode_fields(msg, std::move(data));
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

bool decode_json_frame(std::string_view frame, std::vector<decoded_message>& out,
                       const decode_limits& limits) {
  bool ok = true;
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < frame.size();) {
    const std::size_t end = std::min(frame.find('\n', pos), frame.size());
    const std::string_view line = frame.substr(pos, end - pos);
    const std::size_t line_start = pos;
    pos = end + 1;
    if (blank(line)) {
      continue;
    }
    if (count++ == limits.max_messages) {
      out.emplace_back(fail(too_many(limits)));
      return false;
    }
    out.push_back(decode_json_message(line, line_start, limits));
    ok = ok && std::holds_alternative<client_message>(out.back());
  }
  return ok;
}

/// What a MessagePack value holds that JSON clients cannot receive, or nullptr.
const char* unsupported_in(const msgpack::object& o) {
  if (o.type == msgpack::type::EXT) {
    return "an extension type";
  }
  if (o.type == msgpack::type::ARRAY) {
    for (const auto& e : std::span(o.via.array.ptr, o.via.array.size)) {
      if (const char* p = unsupported_in(e)) {
        return p;
      }
    }
  } else if (o.type == msgpack::type::MAP) {
    for (const auto& kv : std::span(o.via.map.ptr, o.via.map.size)) {
      if (kv.key.type != msgpack::type::STR) {
        return "a map key that is not a string";
      }
      if (const char* p = unsupported_in(kv.val)) {
        return p;
      }
    }
  }
  return nullptr;
}

std::string_view as_view(const msgpack::object_str& s) {
  return {s.ptr, s.size};
}

/// Converts a value already cleared by unsupported_in, for the shared field rules.
json to_json(const msgpack::object& o) {
  switch (o.type) {
  case msgpack::type::BOOLEAN:
    return o.via.boolean;
  case msgpack::type::POSITIVE_INTEGER:
    return o.via.u64;
  case msgpack::type::NEGATIVE_INTEGER:
    return o.via.i64;
  case msgpack::type::FLOAT32:
  case msgpack::type::FLOAT64:
    return o.via.f64;
  case msgpack::type::STR:
    return std::string(as_view(o.via.str));
  case msgpack::type::BIN:
    return json::binary(std::vector<uint8_t>(o.via.bin.ptr, o.via.bin.ptr + o.via.bin.size));
  case msgpack::type::ARRAY: {
    json a = json::array();
    for (const auto& e : std::span(o.via.array.ptr, o.via.array.size)) {
      a.push_back(to_json(e));
    }
    return a;
  }
  case msgpack::type::MAP: {
    json m = json::object();
    for (const auto& kv : std::span(o.via.map.ptr, o.via.map.size)) {
      m[std::string(as_view(kv.key.via.str))] = to_json(kv.val);
    }
    return m;
  }
  default:
    return nullptr;
  }
}

/// The message's integer `id` if it has one, so errors found before the field rules
/// still reach the right request.
std::optional<int64_t> peek_id(const msgpack::object& msg) {
  for (const auto& kv : std::span(msg.via.map.ptr, msg.via.map.size)) {
    if (kv.key.type == msgpack::type::STR && as_view(kv.key.via.str) == "id") {
      if (kv.val.type == msgpack::type::POSITIVE_INTEGER && kv.val.via.u64 <= INT64_MAX) {
        return static_cast<int64_t>(kv.val.via.u64);
      }
      return kv.val.type == msgpack::type::NEGATIVE_INTEGER ? std::optional(kv.val.via.i64)
                                                            : std::nullopt;
    }
  }
  return std::nullopt;
}

/// The bytes of the last `name` value in the measured map `map_bytes`, as the client sent
/// them: re-packing would not do, msgpack-c's packer turns a whole float such as 1.0 into
/// an integer.
std::string_view raw_value_of(std::string_view map_bytes, std::string_view name) {
  detail::msgpack_reader header(map_bytes);
  detail::msgpack_item map;
  header.next(map);
  std::size_t pos = header.offset();
  std::string_view found;
  for (uint32_t i = 0; i < map.count; ++i) {
    const auto key_size = detail::measure_msgpack_value(map_bytes.substr(pos)).size;
    detail::msgpack_reader key_reader(map_bytes.substr(pos, key_size));
    detail::msgpack_item key;
    key_reader.next(key);
    pos += key_size;
    const auto value_size = detail::measure_msgpack_value(map_bytes.substr(pos)).size;
    if (key.type == detail::msgpack_item::kind::str && key.bytes == name) {
      found = map_bytes.substr(pos, value_size);
    }
    pos += value_size;
  }
  return found;
}

decoded_message decode_msgpack_map(const msgpack::object& msg, std::string_view bytes) {
  if (msg.type != msgpack::type::MAP) {
    return fail("message must be a MessagePack map");
  }
  const auto id = peek_id(msg);
  json fields = json::object();
  std::optional<std::string> data;
  for (const auto& kv : std::span(msg.via.map.ptr, msg.via.map.size)) {
    if (kv.key.type != msgpack::type::STR) {
      return decode_error{id, "message keys must be strings"};
    }
    const auto name = as_view(kv.key.via.str);
    if (const char* problem = unsupported_in(kv.val)) {
      return decode_error{id, "field " + detail::quote(name) + " holds " + problem};
    }
    if (name == "data") {
      data.emplace(); // filled once below: a map may repeat the key many times
    } else {
      fields[std::string(name)] = to_json(kv.val);
    }
  }
  if (data) {
    data = std::string(raw_value_of(bytes, "data"));
  }
  return detail::decode_fields(fields, std::move(data));
}

/// `bytes` is one complete value (measured before), so the caps below only bound what
/// msgpack-c may allocate to the size of the message itself.
decoded_message decode_msgpack_message(std::string_view bytes, const decode_limits& limits) {
  const std::size_t n = bytes.size();
  const msgpack::unpack_limit caps(n, n / 2, n, n, n, limits.max_depth);
  // Strings and binaries point into the frame, which outlives this call: no copies.
  const auto reference_all = [](msgpack::type::object_type, std::size_t, void*) { return true; };
  try {
    std::size_t off = 0;
    const auto handle = msgpack::unpack(bytes.data(), n, off, reference_all, nullptr, caps);
    return decode_msgpack_map(handle.get(), bytes);
  } catch (const msgpack::depth_size_overflow&) {
    return fail(too_deep(limits));
  } catch (const std::exception&) { // msgpack::unpack_error and kin
    return fail("malformed MessagePack message");
  }
}

bool decode_msgpack_frame(std::string_view frame, std::vector<decoded_message>& out,
                          const decode_limits& limits) {
  bool ok = true;
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < frame.size();) {
    if (count++ == limits.max_messages) {
      out.emplace_back(fail(too_many(limits)));
      return false;
    }
    const auto extent = detail::measure_msgpack_value(frame.substr(pos));
    if (extent.status != detail::msgpack_reader::status::ok) {
      const bool truncated = extent.status == detail::msgpack_reader::status::truncated;
      out.emplace_back(fail((truncated ? "truncated MessagePack message at byte "
                                       : "malformed MessagePack at byte ") +
                            std::to_string(pos + extent.size)));
      return false; // no way to find where the next message starts
    }
    out.push_back(decode_msgpack_message(frame.substr(pos, extent.size), limits));
    ok = ok && std::holds_alternative<client_message>(out.back());
    pos += extent.size;
  }
  return ok;
}

} // namespace

bool decode_frame(encoding enc, std::string_view frame, std::vector<decoded_message>& out,
                  const decode_limits& limits) {
  try {
    return enc == encoding::json ? decode_json_frame(frame, out, limits)
                                 : decode_msgpack_frame(frame, out, limits);
  } catch (...) { // bad_alloc or a parser surprise: refuse the frame, keep the node up
    out.emplace_back(fail("frame could not be decoded"));
    return false;
  }
}

} // namespace switchyard::protocol
