#pragma once
// Bodies travel as MessagePack: a type with MSGPACK_DEFINE_MAP reads the `body` a JSON
// client sent ({"text": "..."}) as well as one packed here.

#include <string>
#include <string_view>

#include <msgpack.hpp>

namespace switchyard::agents {

template <class T> std::string pack(const T& value) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, value);
  return {buf.data(), buf.size()};
}

/// Throws (msgpack's exceptions) when `bytes` is not a T.
template <class T> T unpack(std::string_view bytes) {
  auto handle = msgpack::unpack(bytes.data(), bytes.size());
  T value{};
  handle.get().convert(value);
  return value;
}

} // namespace switchyard::agents
