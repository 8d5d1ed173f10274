// Encoding server messages. Every shape is written once, against `writer`, which emits
// either compact JSON or MessagePack. encode_event_push is the hot path (once per event
// and encoding): one reserved string, no nlohmann, no intermediate buffers.

#include "protocol/codec.hpp"
#include "protocol/detail/json_text.hpp"
#include "protocol/detail/string_sink.hpp"

#include <array>
#include <charconv>

#include <msgpack.hpp>

namespace switchyard::protocol {
namespace {

/// One message in one encoding. In JSON, commas follow from the last byte written: none
/// after '{', '[' or ':', one before anything else, so callers never track position.
class writer {
public:
  writer(encoding enc, std::size_t reserve) : json_(enc == encoding::json) {
    out_.reserve(reserve);
  }
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  bool json() const { return json_; }

  void begin_map(uint32_t n) {
    if (json_) {
      open('{');
    } else {
      pk_.pack_map(n);
    }
  }
  void end_map() { close('}'); }

  void begin_array(uint32_t n) {
    if (json_) {
      open('[');
    } else {
      pk_.pack_array(n);
    }
  }
  void end_array() { close(']'); }

  /// Keys are this file's own ASCII literals: nothing to escape.
  void key(std::string_view k) {
    if (json_) {
      separate();
      out_ += '"';
      out_ += k;
      out_ += "\":";
    } else {
      pack_str(k);
    }
  }

  void str(std::string_view v) {
    if (json_) {
      separate();
      detail::append_json_string(out_, v);
    } else {
      pack_str(v);
    }
  }

  void i64(int64_t v) {
    if (json_) {
      number(v);
    } else {
      pk_.pack_int64(v);
    }
  }

  void u64(uint64_t v) {
    if (json_) {
      number(v);
    } else {
      pk_.pack_uint64(v);
    }
  }

  void boolean(bool v) {
    if (json_) {
      separate();
      out_ += v ? "true" : "false";
    } else if (v) {
      pk_.pack_true();
    } else {
      pk_.pack_false();
    }
  }

  /// `msgpack` is one stored MessagePack value: converted for JSON, copied as is otherwise.
  void data(std::string_view msgpack) {
    if (json_) {
      separate();
      detail::append_msgpack_as_json(out_, msgpack);
    } else {
      out_.append(msgpack.empty() ? std::string_view("\xc0", 1) : msgpack); // nil, not a hole
    }
  }

  void str_field(std::string_view k, std::string_view v) {
    key(k);
    str(v);
  }
  void i64_field(std::string_view k, int64_t v) {
    key(k);
    i64(v);
  }
  void u64_field(std::string_view k, uint64_t v) {
    key(k);
    u64(v);
  }
  void bool_field(std::string_view k, bool v) {
    key(k);
    boolean(v);
  }

  std::string take() { return std::move(out_); }

private:
  void separate() {
    if (!out_.empty() && out_.back() != '{' && out_.back() != '[' && out_.back() != ':') {
      out_ += ',';
    }
  }

  void open(char c) {
    separate();
    out_ += c;
  }

  void close(char c) {
    if (json_) {
      out_ += c;
    }
  }

  template <typename T> void number(T v) {
    separate();
    std::array<char, 24> buf{};
    out_.append(buf.data(), std::to_chars(buf.data(), buf.data() + buf.size(), v).ptr);
  }

  void pack_str(std::string_view s) {
    pk_.pack_str(static_cast<uint32_t>(s.size()));
    pk_.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
  }

  bool json_;
  std::string out_;
  detail::string_sink sink_{&out_};
  msgpack::packer<detail::string_sink> pk_{sink_};
};

/// {"id":..,"ok":{<fields written by body>}}
template <typename Body>
std::string ok_reply(encoding enc, int64_t id, uint32_t fields, std::size_t reserve,
                     const Body& body) {
  writer w(enc, reserve);
  w.begin_map(2);
  w.i64_field("id", id);
  w.key("ok");
  w.begin_map(fields);
  body(w);
  w.end_map();
  w.end_map();
  return w.take();
}

std::size_t event_reserve(encoding enc, std::string_view topic, const event_view& ev) {
  const std::size_t strings = topic.size() + ev.key.size() + ev.idem.size() + ev.group.size();
  // JSON text of data is rarely over twice its MessagePack size (base64 is 4/3).
  return enc == encoding::json ? 112 + strings * 2 + ev.data.size() * 2
                               : 64 + strings + ev.data.size();
}

/// An event's fields, as a push ({"push":"event",...}) or as an element of history.
void write_event(writer& w, bool as_push, std::string_view topic, const event_view& ev) {
  const bool base64 = w.json() && msgpack_is_binary(ev.data);
  const bool queued = !ev.group.empty();
  w.begin_map(4 + static_cast<uint32_t>(as_push + !ev.key.empty() + !ev.idem.empty() + base64 +
                                        2 * queued + ev.expired));
  if (as_push) {
    w.str_field("push", "event");
  }
  w.str_field("topic", topic);
  w.u64_field("seq", ev.seq);
  w.i64_field("ts", ev.ts_ms);
  w.key("data");
  w.data(ev.data);
  if (!ev.key.empty()) {
    w.str_field("key", ev.key);
  }
  if (!ev.idem.empty()) {
    w.str_field("idem", ev.idem);
  }
  if (base64) {
    w.str_field("data_encoding", "base64");
  }
  if (queued) {
    w.str_field("group", ev.group);
    w.u64_field("attempt", ev.attempt);
  }
  if (ev.expired) {
    w.bool_field("expired", true);
  }
  w.end_map();
}

} // namespace

std::string encode_error(encoding enc, std::optional<int64_t> id, std::string_view code,
                         std::string_view message, std::optional<int64_t> retry_after_ms) {
  writer w(enc, 96 + code.size() + message.size() * 2);
  w.begin_map(id ? 2 : 1);
  if (id) {
    w.i64_field("id", *id);
  }
  w.key("error");
  w.begin_map(retry_after_ms ? 3 : 2);
  w.str_field("code", code);
  w.str_field("message", message);
  if (retry_after_ms) {
    w.i64_field("retry_after_ms", *retry_after_ms);
  }
  w.end_map();
  w.end_map();
  return w.take();
}

std::string encode_expired_error(encoding enc, std::optional<int64_t> id, std::string_view message,
                                 uint64_t oldest_seq) {
  writer w(enc, 112 + message.size() * 2);
  w.begin_map(id ? 2 : 1);
  if (id) {
    w.i64_field("id", *id);
  }
  w.key("error");
  w.begin_map(3);
  w.str_field("code", error_code::expired);
  w.str_field("message", message);
  w.u64_field("oldest_seq", oldest_seq);
  w.end_map();
  w.end_map();
  return w.take();
}

std::string encode_ok_empty(encoding enc, int64_t id) {
  return ok_reply(enc, id, 0, 40, [](writer&) {});
}

std::string conn_name(uint64_t conn) {
  std::string name;
  // Appended, not "c" + ...: GCC 12's -Wstringop-overflow misfires on that (-O2).
  name.append("c").append(std::to_string(conn));
  return name;
}

std::optional<uint64_t> parse_conn_name(std::string_view name) {
  uint64_t conn = 0;
  if (name.size() < 2 || name[0] != 'c') {
    return std::nullopt;
  }
  const auto* end = name.data() + name.size();
  const auto [ptr, ec] = std::from_chars(name.data() + 1, end, conn);
  return ec == std::errc{} && ptr == end ? std::optional<uint64_t>(conn) : std::nullopt;
}

namespace {

void write_resumed(writer& w, const std::vector<resumed_topic>& resumed) {
  w.key("resumed");
  w.begin_map(static_cast<uint32_t>(resumed.size()));
  for (const auto& t : resumed) {
    w.key(t.topic);
    if (t.error.empty()) {
      w.begin_map(1);
      w.u64_field("from_seq", t.from_seq);
    } else {
      const bool expired = t.error == error_code::expired;
      w.begin_map(expired ? 3 : 2);
      w.str_field("error", t.error);
      w.str_field("message", t.message);
      if (expired) {
        w.u64_field("oldest_seq", t.oldest_seq);
      }
    }
    w.end_map();
  }
  w.end_map();
}

std::size_t resumed_reserve(const connect_ok& ok) {
  std::size_t n = 0;
  if (ok.resumed) {
    for (const auto& t : *ok.resumed) {
      n += 2 * (t.topic.size() + t.message.size()) + 64;
    }
  }
  return n;
}

/// {conn, user, client[, since_ms]}
void write_member(writer& w, const member_view& m, bool since) {
  w.begin_map(since ? 4 : 3);
  w.str_field("conn", conn_name(m.conn));
  w.str_field("user", m.user);
  w.str_field("client", m.client);
  if (since) {
    w.i64_field("since_ms", m.since_ms);
  }
  w.end_map();
}

std::size_t members_reserve(std::span<const member_view> members) {
  std::size_t n = 0;
  for (const auto& m : members) {
    n += 2 * (m.user.size() + m.client.size()) + 72;
  }
  return n;
}

} // namespace

std::string encode_presence_ok(encoding enc, int64_t id, std::span<const member_view> members,
                               uint64_t count, std::optional<uint64_t> next) {
  return ok_reply(enc, id, next ? 3 : 2, 64 + members_reserve(members), [&](writer& w) {
    w.key("members");
    w.begin_array(static_cast<uint32_t>(members.size()));
    for (const auto& m : members) {
      write_member(w, m, true);
    }
    w.end_array();
    w.u64_field("count", count);
    if (next) {
      w.str_field("next", conn_name(*next));
    }
  });
}

std::string encode_presence_push(encoding enc, std::string_view topic,
                                 std::span<const member_view> joins,
                                 std::span<const member_view> leaves) {
  writer w(enc, 64 + topic.size() * 2 + members_reserve(joins) + members_reserve(leaves));
  w.begin_map(4);
  w.str_field("push", "presence");
  w.str_field("topic", topic);
  for (auto [name, list] : {std::pair{"joins", joins}, {"leaves", leaves}}) {
    w.key(name);
    w.begin_array(static_cast<uint32_t>(list.size()));
    for (const auto& m : list) {
      write_member(w, m, false);
    }
    w.end_array();
  }
  w.end_map();
  return w.take();
}

std::string encode_connect_ok(encoding enc, int64_t id, const connect_ok& ok) {
  const std::size_t strings = ok.conn.size() + ok.session.size() + ok.node.size();
  const uint32_t fields = ok.resumed ? 6 : 5;
  const auto reserve = 224 + strings * 2 + ok.tenant.size() * 40 + resumed_reserve(ok);
  return ok_reply(enc, id, fields, reserve, [&](writer& w) {
    w.str_field("conn", ok.conn);
    w.str_field("session", ok.session);
    w.str_field("node", ok.node);
    w.i64_field("ping_ms", ok.ping_ms);
    w.key("limits");
    w.begin_map(4);
    w.i64_field("max_frame_bytes", ok.max_frame_bytes);
    w.i64_field("publish_per_s", ok.publish_per_s);
    w.i64_field("max_subscriptions", ok.max_subscriptions);
    w.key("tenant");
    w.begin_map(static_cast<uint32_t>(ok.tenant.size()));
    for (const auto& [key, value] : ok.tenant) {
      w.i64_field(key, value);
    }
    w.end_map();
    w.end_map();
    if (ok.resumed) {
      write_resumed(w, *ok.resumed);
    }
  });
}

std::string encode_subscribe_ok(encoding enc, int64_t id, std::string_view topic, uint64_t seq,
                                uint64_t replayed) {
  return ok_reply(enc, id, 3, 96 + topic.size(), [&](writer& w) {
    w.str_field("topic", topic);
    w.u64_field("seq", seq);
    w.u64_field("replayed", replayed);
  });
}

std::string encode_publish_ok(encoding enc, int64_t id, uint64_t seq, bool dup) {
  return ok_reply(enc, id, 2, 72, [&](writer& w) {
    w.u64_field("seq", seq);
    w.bool_field("dup", dup);
  });
}

std::string encode_history_ok(encoding enc, int64_t id, std::string_view topic,
                              std::span<const event_view> events, uint64_t next_seq,
                              uint64_t last_seq) {
  std::size_t reserve = 112;
  for (const auto& ev : events) {
    reserve += event_reserve(enc, topic, ev);
  }
  return ok_reply(enc, id, 3, reserve, [&](writer& w) {
    w.key("events");
    w.begin_array(static_cast<uint32_t>(events.size()));
    for (const auto& ev : events) {
      write_event(w, false, topic, ev);
    }
    w.end_array();
    w.u64_field("next_seq", next_seq);
    w.u64_field("last_seq", last_seq);
  });
}

std::string encode_event_push(encoding enc, std::string_view topic, const event_view& ev) {
  writer w(enc, event_reserve(enc, topic, ev));
  write_event(w, true, topic, ev);
  return w.take();
}

std::string encode_dead_letter(std::string_view topic, uint64_t seq, std::string_view group,
                               uint32_t attempts, std::string_view data,
                               std::string_view last_error) {
  writer w(encoding::msgpack, 96 + topic.size() + group.size() + data.size() + last_error.size());
  w.begin_map(5 + static_cast<uint32_t>(!last_error.empty()));
  w.str_field("topic", topic);
  w.u64_field("seq", seq);
  w.str_field("group", group);
  w.u64_field("attempts", attempts);
  w.key("data");
  w.data(data);
  if (!last_error.empty()) {
    w.str_field("last_error", last_error);
  }
  w.end_map();
  return w.take();
}

std::string encode_gap_push(encoding enc, std::string_view topic, uint64_t from, uint64_t to) {
  writer w(enc, 96 + topic.size());
  w.begin_map(4);
  w.str_field("push", "gap");
  w.str_field("topic", topic);
  w.u64_field("from", from);
  w.u64_field("to", to);
  w.end_map();
  return w.take();
}

std::string encode_unsubscribed_push(encoding enc, std::string_view topic, std::string_view code,
                                     std::string_view message, std::string_view group) {
  writer w(enc, 96 + topic.size() + group.size() + code.size() + message.size() * 2);
  w.begin_map(4 + static_cast<uint32_t>(!group.empty()));
  w.str_field("push", "unsubscribed");
  w.str_field("topic", topic);
  if (!group.empty()) {
    w.str_field("group", group);
  }
  w.str_field("code", code);
  w.str_field("message", message);
  w.end_map();
  return w.take();
}

std::string encode_token_expiring_push(encoding enc, int64_t exp_ms) {
  writer w(enc, 48);
  w.begin_map(2);
  w.str_field("push", "token_expiring");
  w.i64_field("exp_ms", exp_ms);
  w.end_map();
  return w.take();
}

std::string encode_slow_down_push(encoding enc, int level, int64_t retry_after_ms,
                                  std::string_view reason) {
  writer w(enc, 80 + reason.size() * 2);
  w.begin_map(4);
  w.str_field("push", "slow_down");
  w.i64_field("level", level);
  w.i64_field("retry_after_ms", retry_after_ms);
  w.str_field("reason", reason);
  w.end_map();
  return w.take();
}

std::string encode_drain_push(encoding enc, int64_t reconnect_after_ms, std::string_view reason,
                              std::string_view url) {
  writer w(enc, 64 + (reason.size() + url.size()) * 2);
  w.begin_map(url.empty() ? 3 : 4);
  w.str_field("push", "drain");
  w.i64_field("reconnect_after_ms", reconnect_after_ms);
  w.str_field("reason", reason);
  if (!url.empty()) {
    w.str_field("url", url);
  }
  w.end_map();
  return w.take();
}

std::string encode_ping_push(encoding enc) {
  writer w(enc, 16);
  w.begin_map(1);
  w.str_field("push", "ping");
  w.end_map();
  return w.take();
}

} // namespace switchyard::protocol
