#pragma once
// Internal to transport.

#include <cstddef>
#include <string>

namespace switchyard::protocol::detail {

/// The Stream msgpack::packer writes to: appends to one std::string, so a packed value
/// lands in its final buffer without an intermediate msgpack::sbuffer.
struct string_sink {
  std::string* out;
  void write(const char* p, std::size_t n) { out->append(p, n); }
};

} // namespace switchyard::protocol::detail
