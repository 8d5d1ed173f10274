#pragma once
// On-disk layout of the store's keys and values. Internal to store/.
// Integers are big-endian so LMDB's byte-wise key order is numeric order.
// Decoders never trust their input: a short or unknown record is nullopt, which
// the store reports as status::code::corrupt.

#include "store/event_store.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::store {

/// Leading byte of every `topics` and `events` value, and the value of meta "format".
/// Bump it on an incompatible layout change; older binaries then refuse the records.
inline constexpr uint8_t record_version = 1;

/// Leading byte of an `events` value whose event has a ttl (the layout with ttl_ms).
inline constexpr uint8_t event_version_ttl = 2;
/// Leading byte of a `topics` value that counts the topic's stored bytes.
inline constexpr uint8_t topic_version_bytes = 2;
/// meta "format": 2 since topics count their bytes. A store of format 1 is upgraded on
/// open (its topics count from 0); binaries that read only format 1 then refuse it.
inline constexpr uint8_t store_format = 2;

/// The tenant length is stored in one byte.
inline constexpr std::size_t max_tenant_bytes = 255;

/// `topics` key: tenant length byte + tenant + topic, so ("a", "b/c") and ("ab", "/c")
/// never alias. Precondition: tenant.size() <= max_tenant_bytes.
std::string topic_key(std::string_view tenant, std::string_view topic);

/// `topics` value: version, then id, first_seq, last_seq, last_ts_ms, and (version 2)
/// the bytes of data stored (8 bytes each).
struct topic_record {
  uint64_t id = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  int64_t last_ts_ms = 0;
  uint64_t bytes = 0;
};
std::string encode_topic(const topic_record& rec);
std::optional<topic_record> decode_topic(std::string_view bytes);

/// `events` key: topic id + seq, so a cursor walks one topic in seq order.
using event_key = std::array<char, 16>;
struct event_key_fields {
  uint64_t topic_id = 0;
  uint64_t seq = 0;
};
event_key make_event_key(uint64_t topic_id, uint64_t seq);
std::optional<event_key_fields> decode_event_key(std::string_view bytes);

/// A decoded `events` value; the views point into the bytes it was decoded from.
struct event_fields {
  int64_t ts_ms = 0;
  int64_t ttl_ms = 0;
  std::string_view key;
  std::string_view idem;
  std::string_view data;
};
/// `events` value: version, ts_ms (8 bytes), [version 2: varint ttl_ms], varint length +
/// key, varint length + idem, then data (the rest). Replaces the contents of `out` (reused to save
/// allocations).
void encode_event(const event_record& ev, std::string& out);
std::optional<event_fields> decode_event(std::string_view bytes);

/// `idem` key: topic id + the token; value: the first event's seq and ts_ms (8 bytes each).
std::string idem_key(uint64_t topic_id, std::string_view idem);
struct idem_record {
  uint64_t seq = 0;
  int64_t ts_ms = 0;
};
std::string encode_idem(const idem_record& rec);
std::optional<idem_record> decode_idem(std::string_view bytes);

/// `groups` key: topic id + group name. Value: version, floor, created_ms, active_ms
/// (8 bytes each), then the pending and done lists as varint counts and seq deltas.
std::string group_key(uint64_t topic_id, std::string_view group);
std::string encode_group(const group_state& g);
std::optional<group_state> decode_group(std::string_view bytes);

/// `agents` keys: topic id + 'p' (the progress) or 's' (the snapshot).
std::string agent_key(uint64_t topic_id, char part);
/// Progress value: version, snapshot_seq, applied_seq, next_due_ms (8 bytes each), then
/// varint count and the digests (8 bytes each; count == applied_seq - snapshot_seq).
std::string encode_agent_progress(const agent_progress& p);
std::optional<agent_progress> decode_agent_progress(std::string_view bytes);
/// Snapshot value: version, seq (8 bytes), then the snapshot bytes (the rest).
std::string encode_agent_snapshot(const agent_snapshot& s);
std::optional<agent_snapshot> decode_agent_snapshot(std::string_view bytes);

/// meta "next_topic_id" value: 8 bytes.
std::string encode_u64(uint64_t v);
std::optional<uint64_t> decode_u64(std::string_view bytes);

} // namespace switchyard::store
