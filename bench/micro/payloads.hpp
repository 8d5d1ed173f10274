#pragma once
// Event payloads shared by the micro-benchmarks, so every file measures the same shapes.

#include "protocol/codec.hpp"

#include <string>
#include <string_view>

namespace switchyard::bench {

/// `n` bytes of plain prose: what a chat-like client sends, with nothing to escape in JSON.
inline std::string text(std::size_t n) {
  constexpr std::string_view prose = "The quick brown fox jumps over the lazy dog. ";
  std::string out;
  while (out.size() < n) {
    out += prose.substr(0, n - out.size());
  }
  return out;
}

/// `s` as a JSON string literal; `s` holds nothing that needs escaping.
inline std::string json_string(std::string_view s) {
  return '"' + std::string(s) + '"';
}

/// A small JSON object, the other typical `data` shape next to a plain string.
inline constexpr std::string_view small_object_json =
    R"({"user":"ada","n":42,"tags":["a","b"],"ok":true,"price":12.5})";

/// `json` as MessagePack, the form in which the store and the topic hold `data`. The inputs
/// are this folder's own literals, so a conversion failure is a bug here: it throws.
inline std::string msgpack_of(std::string_view json) {
  return protocol::json_to_msgpack(json).value();
}

} // namespace switchyard::bench
