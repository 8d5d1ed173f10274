#include "protocol/detail/base64url.hpp"

#include <cstdint>

namespace switchyard::protocol::detail {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64url value of `c`, or -1.
int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '-') {
    return 62;
  }
  if (c == '_') {
    return 63;
  }
  return -1;
}

} // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t bits = 0;
  int held = 0;
  for (const char c : bytes) {
    bits = (bits << 8) | static_cast<uint8_t>(c);
    held += 8;
    while (held >= 6) {
      held -= 6;
      out.push_back(alphabet[(bits >> held) & 0x3F]);
    }
  }
  if (held > 0) {
    out.push_back(alphabet[(bits << (6 - held)) & 0x3F]);
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t bits = 0;
  int held = 0;
  for (const char c : in) {
    const int v = base64url_value(c);
    if (v < 0) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<uint32_t>(v);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out.push_back(static_cast<char>((bits >> held) & 0xFF));
    }
  }
  // The bits left over must be zero, or two encodings would mean one value.
  if ((bits & ((1u << held) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

} // namespace switchyard::protocol::detail
