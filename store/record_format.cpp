#include "store/record_format.hpp"

namespace switchyard::store {

namespace {

constexpr std::size_t topic_value_bytes = 1 + 4 * 8;

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

/// Reads a varint-prefixed byte string from the front of `in`; false if it does not fit.
bool take_bytes(std::string_view& in, std::string_view& out) {
  uint64_t len = 0;
  for (int shift = 0;; shift += 7) {
    if (in.empty() || shift > 63) {
      return false;
    }
    const auto b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      break;
    }
  }
  if (len > in.size()) {
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
  out.push_back(static_cast<char>(record_version));
  append_u64(out, rec.id);
  append_u64(out, rec.first_seq);
  append_u64(out, rec.last_seq);
  append_u64(out, static_cast<uint64_t>(rec.last_ts_ms));
  return out;
}

std::optional<topic_record> decode_topic(std::string_view bytes) {
  if (bytes.size() != topic_value_bytes || static_cast<uint8_t>(bytes[0]) != record_version) {
    return std::nullopt;
  }
  const char* p = bytes.data() + 1;
  return topic_record{get_u64(p), get_u64(p + 8), get_u64(p + 16),
                      static_cast<int64_t>(get_u64(p + 24))};
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
  out.reserve(1 + 8 + 10 + ev.key.size() + 10 + ev.idem.size() + ev.data.size());
  out.push_back(static_cast<char>(record_version));
  append_u64(out, static_cast<uint64_t>(ev.ts_ms));
  append_varint(out, ev.key.size());
  out.append(ev.key);
  append_varint(out, ev.idem.size());
  out.append(ev.idem);
  out.append(ev.data);
}

std::optional<event_fields> decode_event(std::string_view bytes) {
  if (bytes.size() < 1 + 8 || static_cast<uint8_t>(bytes[0]) != record_version) {
    return std::nullopt;
  }
  event_fields ev;
  ev.ts_ms = static_cast<int64_t>(get_u64(bytes.data() + 1));
  bytes.remove_prefix(1 + 8);
  if (!take_bytes(bytes, ev.key) || !take_bytes(bytes, ev.idem)) {
    return std::nullopt;
  }
  ev.data = bytes;
  return ev;
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
