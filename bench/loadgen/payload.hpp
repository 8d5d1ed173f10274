#pragma once
// The payload every publisher sends as the JSON string `data`: 16 hex digits of
// sequence, 16 hex digits of CLOCK_MONOTONIC send time (ns), then 'x' padding up to
// --size. Pure ASCII, so it needs no JSON escaping and reads back with a scan.
//
// The sequence field packs the publisher number above bit 40 and that publisher's
// message number (per topic) below it, so a subscriber checks order per publisher
// without knowing who sent what.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::bench {

/// The two numbers at the start of a payload.
struct payload_stamp {
  uint64_t seq = 0;     ///< pack_seq(publisher, n)
  uint64_t sent_ns = 0; ///< intended send time on the monotonic clock
};

inline constexpr std::size_t stamp_chars = 32;
inline constexpr unsigned publisher_shift = 40;
/// Publishers one run may have (the sequence field has 24 bits for them).
inline constexpr uint32_t max_publishers = 1u << 16;

inline uint64_t pack_seq(uint32_t publisher, uint64_t n) {
  return (static_cast<uint64_t>(publisher) << publisher_shift) | n;
}
inline uint32_t seq_publisher(uint64_t seq) {
  return static_cast<uint32_t>(seq >> publisher_shift);
}
inline uint64_t seq_number(uint64_t seq) {
  return seq & ((uint64_t{1} << publisher_shift) - 1);
}

/// Writes `v` as exactly 16 lowercase hex digits at `out`.
inline void write_hex16(char* out, uint64_t v) {
  constexpr char digits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = digits[v & 15];
    v >>= 4;
  }
}

/// Reads 16 hex digits at `in`; nullopt when one is not a hex digit.
inline std::optional<uint64_t> read_hex16(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 16; ++i) {
    const char c = in[i];
    uint64_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint64_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    v = (v << 4) | d;
  }
  return v;
}

/// A payload of `size` bytes (at least stamp_chars) whose stamp is rewritten per send.
inline std::string make_payload(std::size_t size) {
  return std::string(size < stamp_chars ? stamp_chars : size, 'x');
}

/// Stamps `payload` in place (its first stamp_chars bytes).
inline void write_stamp(char* payload, payload_stamp s) {
  write_hex16(payload, s.seq);
  write_hex16(payload + 16, s.sent_ns);
}

/// The stamp at the start of a received `data` string, or nullopt if it is not ours.
inline std::optional<payload_stamp> read_stamp(std::string_view data) {
  if (data.size() < stamp_chars) {
    return std::nullopt;
  }
  auto seq = read_hex16(data.data());
  auto sent = read_hex16(data.data() + 16);
  if (!seq || !sent) {
    return std::nullopt;
  }
  return payload_stamp{*seq, *sent};
}

} // namespace switchyard::bench
