#pragma once
// A pull reader over MessagePack bytes: one item header at a time, no allocation, no throw.
// It serves the two paths where msgpack-c's object tree costs too much: measuring an
// untrusted message before msgpack-c allocates for it, and the per-event data-to-JSON
// conversion. Internal to transport.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace switchyard::protocol::detail {

struct msgpack_item {
  enum class kind : uint8_t { nil, boolean, uint, sint, f32, f64, str, bin, ext, array, map };
  kind type = kind::nil;
  bool b = false;
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string_view bytes; ///< str/bin/ext payload
  uint32_t count = 0;     ///< array elements or map pairs
};

class msgpack_reader {
public:
  enum class status : uint8_t { ok, truncated, invalid };

  explicit msgpack_reader(std::string_view in) : in_(in) {}

  std::size_t offset() const { return pos_; }

  /// Reads the next item; str/bin/ext payloads are consumed, container elements are not.
  /// `invalid` means the never-used byte 0xc1.
  status next(msgpack_item& item) {
    uint8_t b = 0;
    if (!read(b)) {
      return status::truncated;
    }
    using k = msgpack_item::kind;
    if (b <= 0x7f || b >= 0xe0) {
      item.type = k::sint;
      item.i = static_cast<int8_t>(b);
      return status::ok;
    }
    if (b <= 0x8f) {
      return container(item, k::map, b & 0x0fU);
    }
    if (b <= 0x9f) {
      return container(item, k::array, b & 0x0fU);
    }
    if (b <= 0xbf) {
      return payload(item, k::str, b & 0x1fU);
    }
    return next_typed(b, item);
  }

private:
  status next_typed(uint8_t b, msgpack_item& item) {
    using k = msgpack_item::kind;
    switch (b) {
    case 0xc0:
      item.type = k::nil;
      return status::ok;
    case 0xc2:
    case 0xc3:
      item.type = k::boolean;
      item.b = b == 0xc3;
      return status::ok;
    case 0xca:
      return float32(item);
    case 0xcb:
      return float64(item);
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return payload(item, k::ext, (1U << (b - 0xd4)) + 1); // type byte + 1..16 bytes
    default:
      break;
    }
    if (b >= 0xcc && b <= 0xd3) {
      return integer(b, item);
    }
    return sized(b, item);
  }

  /// The formats whose length or count follows in 1, 2 or 4 bytes.
  status sized(uint8_t b, msgpack_item& item) {
    using k = msgpack_item::kind;
    struct format {
      uint8_t first;
      k type;
      uint32_t extra; ///< bytes beyond the length (the ext type byte)
    };
    static constexpr format formats[] = {{0xc4, k::bin, 0}, {0xc7, k::ext, 1}, {0xd9, k::str, 0}};
    for (const auto& f : formats) {
      if (b >= f.first && b < f.first + 3) {
        uint32_t n = 0;
        return length(1U << (b - f.first), n) ? payload(item, f.type, uint64_t{n} + f.extra)
                                              : status::truncated;
      }
    }
    if (b == 0xc1) {
      return status::invalid;
    }
    const k type = (b == 0xdc || b == 0xdd) ? k::array : k::map; // dc..df remain
    uint32_t n = 0;
    return length((b & 1U) ? 4 : 2, n) ? container(item, type, n) : status::truncated;
  }

  status integer(uint8_t b, msgpack_item& item) {
    const bool is_signed = b >= 0xd0;
    const unsigned width = 1U << (b - (is_signed ? 0xd0 : 0xcc));
    uint64_t raw = 0;
    if (!big_endian(width, raw)) {
      return status::truncated;
    }
    if (!is_signed) {
      item.type = msgpack_item::kind::uint;
      item.u = raw;
      return status::ok;
    }
    const unsigned shift = 64 - 8 * width; // sign-extend from `width` bytes
    item.type = msgpack_item::kind::sint;
    item.i = static_cast<int64_t>(raw << shift) >> shift;
    return status::ok;
  }

  status float32(msgpack_item& item) {
    uint64_t raw = 0;
    if (!big_endian(4, raw)) {
      return status::truncated;
    }
    float v = 0;
    const auto bits = static_cast<uint32_t>(raw);
    std::memcpy(&v, &bits, sizeof v);
    item.type = msgpack_item::kind::f32;
    item.f = v;
    return status::ok;
  }

  status float64(msgpack_item& item) {
    uint64_t raw = 0;
    if (!big_endian(8, raw)) {
      return status::truncated;
    }
    std::memcpy(&item.f, &raw, sizeof item.f);
    item.type = msgpack_item::kind::f64;
    return status::ok;
  }

  status container(msgpack_item& item, msgpack_item::kind type, uint32_t count) {
    item.type = type;
    item.count = count;
    return status::ok;
  }

  status payload(msgpack_item& item, msgpack_item::kind type, uint64_t n) {
    if (in_.size() - pos_ < n) {
      return status::truncated;
    }
    item.type = type;
    item.bytes = in_.substr(pos_, n);
    pos_ += n;
    return status::ok;
  }

  bool length(unsigned width, uint32_t& n) {
    uint64_t raw = 0;
    const bool ok = big_endian(width, raw);
    n = static_cast<uint32_t>(raw);
    return ok;
  }

  bool big_endian(unsigned width, uint64_t& v) {
    if (in_.size() - pos_ < width) {
      return false;
    }
    v = 0;
    for (unsigned i = 0; i < width; ++i) {
      v = (v << 8) | static_cast<uint8_t>(in_[pos_ + i]);
    }
    pos_ += width;
    return true;
  }

  bool read(uint8_t& b) {
    if (pos_ == in_.size()) {
      return false;
    }
    b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

/// Measures the complete MessagePack value at the front of `in` without building it.
/// Declared counts are checked against the bytes left, so a small header claiming
/// millions of elements is refused before anyone allocates for them.
struct msgpack_extent {
  msgpack_reader::status status = msgpack_reader::status::ok;
  /// Value length when ok; else where it went wrong: the bad byte, or the end of `in`.
  std::size_t size = 0;
};

inline msgpack_extent measure_msgpack_value(std::string_view in) {
  msgpack_reader reader(in);
  uint64_t pending = 1;
  msgpack_item item;
  while (pending > 0) {
    const std::size_t start = reader.offset();
    const auto st = reader.next(item);
    if (st != msgpack_reader::status::ok) {
      return {st, st == msgpack_reader::status::invalid ? start : in.size()};
    }
    --pending;
    if (item.type == msgpack_item::kind::array) {
      pending += item.count;
    } else if (item.type == msgpack_item::kind::map) {
      pending += 2 * uint64_t{item.count};
    }
    if (pending > in.size() - reader.offset()) { // every pending value needs a byte
      return {msgpack_reader::status::truncated, in.size()};
    }
  }
  return {msgpack_reader::status::ok, reader.offset()};
}

} // namespace switchyard::protocol::detail
