#include "store/record_format.hpp"

namespace switchyard::store {

namespace {

constexpr std::size_t topic_value_v1_bytes = 1 + 4 * 8;
constexpr std::size_t topic_value_bytes = 1 + 5 * 8;

void put_u64(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t get_u64(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<uint8_t>(in[i]);
  }
  return v;
}

void append_u64(std::string& out, uint64_t v) {
  char buf[8];
  put_u64(buf, v);
  out.append(buf, sizeof buf);
}

void append_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

/// Reads a varint from the front of `in`; false if it is cut short or too long.
bool take_varint(std::string_view& in, uint64_t& out) {
  out = 0;
  for (int shift = 0;; shift += 7) {
    if (in.empty() || shift > 63) {
      return false;
    }
    const auto b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    out |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      return true;
    }
  }
}

/// Reads a varint-prefixed byte string from the front of `in`; false if it does not fit.
bool take_bytes(std::string_view& in, std::string_view& out) {
  uint64_t len = 0;
  if (!take_varint(in, len) || len > in.size()) {
    return false;
  }
  out = in.substr(0, len);
  in.remove_prefix(len);
  return true;
}

} // namespace

std::string topic_key(std::string_view tenant, std::string_view topic) {
  std::string key;
  key.reserve(1 + tenant.size() + topic.size());
  key.push_back(static_cast<char>(tenant.size()));
  key.append(tenant);
  key.append(topic);
  return key;
}

std::string encode_topic(const topic_record& rec) {
  std::string out;
  out.reserve(topic_value_bytes);
  out.push_back(static_cast<char>(topic_version_bytes));
  append_u64(out, rec.id);
  append_u64(out, rec.first_seq);
  append_u64(out, rec.last_seq);
  append_u64(out, static_cast<uint64_t>(rec.last_ts_ms));
  append_u64(out, rec.bytes);
  return out;
}

std::optional<topic_record> decode_topic(std::string_view bytes) {
  const bool v1 = bytes.size() == topic_value_v1_bytes && static_cast<uint8_t>(bytes[0]) == 1;
  const bool v2 =
      bytes.size() == topic_value_bytes && static_cast<uint8_t>(bytes[0]) == topic_version_bytes;
  if (!v1 && !v2) {
    return std::nullopt;
  }
  const char* p = bytes.data() + 1;
  return topic_record{get_u64(p), get_u64(p + 8), get_u64(p + 16),
                      static_cast<int64_t>(get_u64(p + 24)), v2 ? get_u64(p + 32) : 0};
}

event_key make_event_key(uint64_t topic_id, uint64_t seq) {
  event_key key;
  put_u64(key.data(), topic_id);
  put_u64(key.data() + 8, seq);
  return key;
}

std::optional<event_key_fields> decode_event_key(std::string_view bytes) {
  if (bytes.size() != std::tuple_size_v<event_key>) {
    return std::nullopt;
  }
  return event_key_fields{get_u64(bytes.data()), get_u64(bytes.data() + 8)};
}

void encode_event(const event_record& ev, std::string& out) {
  out.clear();
  out.reserve(1 + 8 + 10 + 10 + ev.key.size() + 10 + ev.idem.size() + ev.data.size());
  // Events without a ttl keep the first layout, so older stores read the same.
  out.push_back(static_cast<char>(ev.ttl_ms > 0 ? event_version_ttl : record_version));
  append_u64(out, static_cast<uint64_t>(ev.ts_ms));
  if (ev.ttl_ms > 0) {
    append_varint(out, static_cast<uint64_t>(ev.ttl_ms));
  }
  append_varint(out, ev.key.size());
  out.append(ev.key);
  append_varint(out, ev.idem.size());
  out.append(ev.idem);
  out.append(ev.data);
}

std::optional<event_fields> decode_event(std::string_view bytes) {
  if (bytes.size() < 1 + 8) {
    return std::nullopt;
  }
  const auto version = static_cast<uint8_t>(bytes[0]);
  if (version != record_version && version != event_version_ttl) {
    return std::nullopt;
  }
  event_fields ev;
  ev.ts_ms = static_cast<int64_t>(get_u64(bytes.data() + 1));
  bytes.remove_prefix(1 + 8);
  if (version == event_version_ttl) {
    uint64_t ttl = 0;
    if (!take_varint(bytes, ttl) || ttl == 0 || ttl > INT64_MAX) {
      return std::nullopt;
    }
    ev.ttl_ms = static_cast<int64_t>(ttl);
  }
  if (!take_bytes(bytes, ev.key) || !take_bytes(bytes, ev.idem)) {
    return std::nullopt;
  }
  ev.data = bytes;
  return ev;
}

std::string idem_key(uint64_t topic_id, std::string_view idem) {
  std::string key;
  key.reserve(8 + idem.size());
  append_u64(key, topic_id);
  key.append(idem);
  return key;
}

std::string encode_idem(const idem_record& rec) {
  std::string out;
  out.reserve(16);
  append_u64(out, rec.seq);
  append_u64(out, static_cast<uint64_t>(rec.ts_ms));
  return out;
}

std::optional<idem_record> decode_idem(std::string_view bytes) {
  if (bytes.size() != 16) {
    return std::nullopt;
  }
  return idem_record{get_u64(bytes.data()), static_cast<int64_t>(get_u64(bytes.data() + 8))};
}

std::string group_key(uint64_t topic_id, std::string_view group) {
  return idem_key(topic_id, group);
}

std::string agent_key(uint64_t topic_id, char part) {
  std::string out;
  append_u64(out, topic_id);
  out.push_back(part);
  return out;
}

std::string encode_agent_progress(const agent_progress& p) {
  std::string out;
  out.reserve(1 + 3 * 8 + 10 + p.digests.size() * 8);
  out.push_back(static_cast<char>(record_version));
  append_u64(out, p.snapshot_seq);
  append_u64(out, p.applied_seq);
  append_u64(out, static_cast<uint64_t>(p.next_due_ms));
  append_varint(out, p.digests.size());
  for (const auto d : p.digests) {
    append_u64(out, d);
  }
  return out;
}

std::optional<agent_progress> decode_agent_progress(std::string_view bytes) {
  if (bytes.size() < 1 + 3 * 8 || static_cast<uint8_t>(bytes[0]) != record_version) {
    return std::nullopt;
  }
  agent_progress p;
  p.snapshot_seq = get_u64(bytes.data() + 1);
  p.applied_seq = get_u64(bytes.data() + 9);
  p.next_due_ms = static_cast<int64_t>(get_u64(bytes.data() + 17));
  bytes.remove_prefix(1 + 3 * 8);
  uint64_t n = 0;
  if (!take_varint(bytes, n) || bytes.size() != n * 8 || p.applied_seq < p.snapshot_seq ||
      p.applied_seq - p.snapshot_seq != n) {
    return std::nullopt;
  }
  p.digests.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    p.digests.push_back(get_u64(bytes.data() + i * 8));
  }
  return p;
}

std::string encode_agent_snapshot(const agent_snapshot& s) {
  std::string out;
  out.reserve(1 + 8 + s.bytes.size());
  out.push_back(static_cast<char>(record_version));
  append_u64(out, s.seq);
  out.append(s.bytes);
  return out;
}

std::optional<agent_snapshot> decode_agent_snapshot(std::string_view bytes) {
  if (bytes.size() < 1 + 8 || static_cast<uint8_t>(bytes[0]) != record_version) {
    return std::nullopt;
  }
  return agent_snapshot{get_u64(bytes.data() + 1), std::string(bytes.substr(9))};
}

std::string encode_group(const group_state& g) {
  std::string out;
  out.reserve(1 + 3 * 8 + 10 + g.pending.size() * 4 + 10 + g.done.size() * 2);
  out.push_back(static_cast<char>(record_version));
  append_u64(out, g.floor);
  append_u64(out, static_cast<uint64_t>(g.created_ms));
  append_u64(out, static_cast<uint64_t>(g.active_ms));
  // Seqs as deltas from the previous one (both lists ascend): a few bytes each.
  append_varint(out, g.pending.size());
  uint64_t prev = g.floor;
  for (const auto& p : g.pending) {
    append_varint(out, p.seq - prev);
    append_varint(out, p.attempts);
    prev = p.seq;
  }
  append_varint(out, g.done.size());
  prev = g.floor;
  for (const auto seq : g.done) {
    append_varint(out, seq - prev);
    prev = seq;
  }
  return out;
}

std::optional<group_state> decode_group(std::string_view bytes) {
  if (bytes.size() < 1 + 3 * 8 || static_cast<uint8_t>(bytes[0]) != record_version) {
    return std::nullopt;
  }
  group_state g;
  g.floor = get_u64(bytes.data() + 1);
  g.created_ms = static_cast<int64_t>(get_u64(bytes.data() + 9));
  g.active_ms = static_cast<int64_t>(get_u64(bytes.data() + 17));
  bytes.remove_prefix(1 + 3 * 8);
  uint64_t n = 0;
  if (!take_varint(bytes, n) || n > bytes.size()) {
    return std::nullopt;
  }
  uint64_t prev = g.floor;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t delta = 0;
    uint64_t attempts = 0;
    if (!take_varint(bytes, delta) || !take_varint(bytes, attempts) || delta == 0 ||
        attempts > UINT32_MAX) {
      return std::nullopt;
    }
    prev += delta;
    g.pending.push_back({prev, static_cast<uint32_t>(attempts)});
  }
  if (!take_varint(bytes, n) || n > bytes.size()) {
    return std::nullopt;
  }
  prev = g.floor;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t delta = 0;
    if (!take_varint(bytes, delta) || delta == 0) {
      return std::nullopt;
    }
    prev += delta;
    g.done.push_back(prev);
  }
  return bytes.empty() ? std::optional(std::move(g)) : std::nullopt;
}

std::string encode_u64(uint64_t v) {
  std::string out;
  append_u64(out, v);
  return out;
}

std::optional<uint64_t> decode_u64(std::string_view bytes) {
  if (bytes.size() != 8) {
    return std::nullopt;
  }
  return get_u64(bytes.data());
}

} // namespace switchyard::store
