// Converting `data` between the encodings. msgpack_to_json runs once per event for JSON
// subscribers, so it walks the bytes with detail::msgpack_reader and writes into the one
// output string: no object tree, no allocation per element.

#include "protocol/codec.hpp"
#include "protocol/detail/json_text.hpp"
#include "protocol/detail/json_value.hpp"
#include "protocol/detail/msgpack_reader.hpp"
#include "protocol/detail/string_sink.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include <msgpack.hpp>

namespace switchyard::protocol {
namespace detail {
namespace {

/// Deepest data msgpack_to_json renders; decoded data is already bounded by
/// decode_limits::max_depth, this only keeps hostile stored bytes off the stack.
constexpr unsigned max_render_depth = 512;

constexpr std::string_view replacement_char = "\xEF\xBF\xBD";

/// Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7), or, when it is
/// ill-formed, minus the length of its maximal invalid subpart.
int utf8_sequence(std::string_view s, std::size_t i) {
  const auto lead = static_cast<uint8_t>(s[i]);
  int len = 0;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    lo = lead == 0xE0 ? 0xA0 : 0x80;
    hi = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    lo = lead == 0xF0 ? 0x90 : 0x80;
    hi = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return -1;
  }
  for (int k = 1; k < len; ++k) {
    if (i + k >= s.size()) {
      return -k;
    }
    const auto c = static_cast<uint8_t>(s[i + k]);
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) {
      return -k;
    }
  }
  return len;
}

/// JSON's two-character escapes where they exist, else \u00XX (as nlohmann-json writes).
void append_escape(std::string& out, uint8_t c) {
  constexpr std::string_view raw = "\"\\\b\f\n\r\t";
  constexpr std::string_view escaped = "\"\\bfnrt";
  if (const auto k = raw.find(static_cast<char>(c)); k != std::string_view::npos) {
    out += '\\';
    out += escaped[k];
    return;
  }
  constexpr std::string_view hex = "0123456789abcdef";
  out += "\\u00";
  out += hex[c >> 4];
  out += hex[c & 0x0fU];
}

template <typename T> void append_number(std::string& out, T v) {
  std::array<char, 32> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), res.ptr);
}

/// Shortest text that reads back as the same value, and still as a float ("1.0", not "1").
template <typename F> void append_float(std::string& out, F v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  const std::size_t start = out.size();
  append_number(out, v);
  if (out.find_first_of(".e", start) == std::string::npos) {
    out += ".0";
  }
}

void append_base64(std::string& out, std::string_view bytes) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += alphabet[n >> 18];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) {
      n |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    }
    out += alphabet[n >> 18];
    out += alphabet[(n >> 12) & 63];
    out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  out += '"';
}

bool render(msgpack_reader& in, std::string& out, unsigned depth);

bool render_container(msgpack_reader& in, std::string& out, const msgpack_item& item,
                      unsigned depth) {
  const bool is_map = item.type == msgpack_item::kind::map;
  if (depth >= max_render_depth) {
    return false;
  }
  out += is_map ? '{' : '[';
  for (uint32_t n = 0; n < item.count; ++n) {
    if (n > 0) {
      out += ',';
    }
    if (is_map) {
      msgpack_item key;
      if (in.next(key) != msgpack_reader::status::ok || key.type != msgpack_item::kind::str) {
        return false; // the decoder refuses such keys; stored bytes should never have one
      }
      append_json_string(out, key.bytes);
      out += ':';
    }
    if (!render(in, out, depth + 1)) {
      return false;
    }
  }
  out += is_map ? '}' : ']';
  return true;
}

bool render(msgpack_reader& in, std::string& out, unsigned depth) {
  msgpack_item item;
  if (in.next(item) != msgpack_reader::status::ok) {
    return false;
  }
  using k = msgpack_item::kind;
  switch (item.type) {
  case k::nil:
  case k::ext: // no JSON form; the decoder refuses ext, so this is foreign stored data
    out += "null";
    return true;
  case k::boolean:
    out += item.b ? "true" : "false";
    return true;
  case k::uint:
    append_number(out, item.u);
    return true;
  case k::sint:
    append_number(out, item.i);
    return true;
  case k::f32:
    append_float(out, static_cast<float>(item.f));
    return true;
  case k::f64:
    append_float(out, item.f);
    return true;
  case k::str:
    append_json_string(out, item.bytes);
    return true;
  case k::bin:
    append_base64(out, item.bytes);
    return true;
  case k::array:
  case k::map:
    return render_container(in, out, item, depth);
  }
  return false;
}

using json = nlohmann::ordered_json;

/// Written by hand because msgpack-c 4.1's pack_double turns whole numbers (1.0, -0.0)
/// into integers, and JSON clients would read them back as integers.
void pack_float64(std::string& out, double d) {
  uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  out += '\xcb';
  for (int shift = 56; shift >= 0; shift -= 8) {
    out += static_cast<char>(bits >> shift);
  }
}

void pack_str(msgpack::packer<string_sink>& pk, const std::string& s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

void pack(msgpack::packer<string_sink>& pk, std::string& out, const json& v) {
  switch (v.type()) {
  case json::value_t::array:
    pk.pack_array(static_cast<uint32_t>(v.size()));
    for (const auto& e : v) {
      pack(pk, out, e);
    }
    return;
  case json::value_t::object:
    pk.pack_map(static_cast<uint32_t>(v.size()));
    for (const auto& [key, e] : v.items()) {
      pack_str(pk, key);
      pack(pk, out, e);
    }
    return;
  case json::value_t::string:
    return pack_str(pk, v.get_ref<const std::string&>());
  case json::value_t::boolean:
    v.get<bool>() ? pk.pack_true() : pk.pack_false();
    return;
  case json::value_t::number_integer:
    pk.pack_int64(v.get<int64_t>());
    return;
  case json::value_t::number_unsigned:
    pk.pack_uint64(v.get<uint64_t>());
    return;
  case json::value_t::number_float:
    return pack_float64(out, v.get<double>());
  default: // null; binary and discarded never come out of parsing text
    pk.pack_nil();
    return;
  }
}

} // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t run = 0; // start of the pending stretch that needs no escaping
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const int len = utf8_sequence(s, i);
      if (len > 0) {
        i += static_cast<std::size_t>(len);
        continue;
      }
      out.append(s.substr(run, i - run));
      out += replacement_char;
      i += static_cast<std::size_t>(-len);
    } else {
      out.append(s.substr(run, i - run));
      append_escape(out, c);
      ++i;
    }
    run = i;
  }
  out.append(s.substr(run));
  out += '"';
}

void append_msgpack_as_json(std::string& out, std::string_view msgpack) {
  const std::size_t start = out.size();
  msgpack_reader in(msgpack);
  if (!render(in, out, 0)) {
    out.resize(start);
    out += "null";
  }
}

json parse_json_limited(std::string_view text, std::size_t max_depth) {
  const json::parser_callback_t refuse_deep = [max_depth](int depth, json::parse_event_t event,
                                                          json&) {
    const bool opens =
        event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
    if (opens && static_cast<std::size_t>(depth) >= max_depth) {
      throw depth_exceeded{};
    }
    return true;
  };
  return json::parse(text.begin(), text.end(), refuse_deep);
}

void append_msgpack(std::string& out, const json& value) {
  string_sink sink{&out};
  msgpack::packer<string_sink> pk(sink);
  pack(pk, out, value);
}

} // namespace detail

std::optional<std::string> json_to_msgpack(std::string_view json_text, std::size_t max_depth) {
  try {
    const auto value = detail::parse_json_limited(json_text, max_depth);
    std::string out;
    detail::append_msgpack(out, value);
    return out;
  } catch (...) { // parse errors, depth_exceeded, bad_alloc: all mean "not convertible"
    return std::nullopt;
  }
}

std::string msgpack_to_json(std::string_view msgpack) {
  std::string out;
  out.reserve(msgpack.size() * 2 + 8);
  detail::append_msgpack_as_json(out, msgpack);
  return out;
}

bool msgpack_is_binary(std::string_view msgpack) {
  if (msgpack.empty()) {
    return false;
  }
  const auto b = static_cast<uint8_t>(msgpack.front());
  return b >= 0xc4 && b <= 0xc6;
}

} // namespace switchyard::protocol
