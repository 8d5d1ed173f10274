#pragma once
// Hand-written scans of the node's JSON messages. The generator shares the machine's
// cores with the node, so it never fully parses an event: it checks the
// `{"push":"event"` prefix, finds `"data":"` and reads the 32-character stamp.
// Replies and the other pushes are scanned the same cheap way for the few fields needed.

#include "bench/loadgen/payload.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

namespace switchyard::bench {

/// What a message is, as far as the generator cares.
enum class message_kind {
  event, ///< {"push":"event",...}
  gap,   ///< {"push":"gap",...}: events from..to were skipped for this subscriber
  ping,  ///< {"push":"ping"}: the node wants an op `ping` back
  push,  ///< any other push (slow_down, drain, presence): see its name
  ok,    ///< a reply with `ok`
  error, ///< a reply (or decode complaint) with `error`
  other, ///< anything else: not a message of protocol v1
};

inline constexpr std::string_view event_prefix = R"({"push":"event")";

/// Classifies one message (one line of a frame). Events take the fast path.
inline message_kind classify(std::string_view msg) {
  if (msg.starts_with(event_prefix)) {
    return message_kind::event;
  }
  constexpr std::string_view push_key = R"("push":")";
  if (auto p = msg.find(push_key); p != std::string_view::npos) {
    const auto kind = msg.substr(p + push_key.size());
    if (kind.starts_with(R"(event")")) {
      return message_kind::event;
    }
    if (kind.starts_with(R"(gap")")) {
      return message_kind::gap;
    }
    return kind.starts_with(R"(ping")") ? message_kind::ping : message_kind::push;
  }
  if (msg.find(R"("error":)") != std::string_view::npos) {
    return message_kind::error;
  }
  return msg.find(R"("ok":)") != std::string_view::npos ? message_kind::ok : message_kind::other;
}

/// The stamp of an event's `data`, or nullopt when `data` is not a string of ours.
inline std::optional<payload_stamp> event_stamp(std::string_view event) {
  constexpr std::string_view data_key = R"("data":")";
  const auto p = event.find(data_key);
  if (p == std::string_view::npos) {
    return std::nullopt;
  }
  return read_stamp(event.substr(p + data_key.size()));
}

/// The string after `key` (given as `"name":"`) up to the next quote, or `fallback`
/// (no unescaping: for codes and push names).
inline std::string_view string_field(std::string_view msg, std::string_view key,
                                     std::string_view fallback) {
  const auto p = msg.find(key);
  if (p == std::string_view::npos) {
    return fallback;
  }
  const auto start = p + key.size();
  const auto end = msg.find('"', start);
  return end == std::string_view::npos ? fallback : msg.substr(start, end - start);
}

/// The joins and leaves one presence push lists.
struct presence_changes {
  uint64_t joins = 0;
  uint64_t leaves = 0;
};

/// Counts the members under "joins" and "leaves" of a presence push
/// (`{"push":"presence","topic":T,"joins":[{"conn":..,"user":..,"client":..}],"leaves":[..]}`)
/// and hands each member's text to `each(bool join, std::string_view member)`. Every
/// member has one `"conn":`; a quote inside a string is escaped, so strings never match.
template <class Fn> presence_changes scan_presence(std::string_view msg, Fn&& each) {
  constexpr std::string_view conn_key = R"("conn":)";
  const auto list = [&](std::size_t from, std::size_t to, bool join) {
    uint64_t n = 0;
    for (std::size_t p = msg.find(conn_key, from); p < to; ++n) {
      const std::size_t next = std::min(msg.find(conn_key, p + conn_key.size()), to);
      each(join, msg.substr(p, next - p));
      p = next;
    }
    return n;
  };
  constexpr auto npos = std::string_view::npos;
  const auto joins = msg.find(R"("joins":[)");
  const auto leaves = msg.find(R"("leaves":[)");
  // A list ends where the other one starts, when that one comes after it.
  const auto end_of = [&msg](std::size_t list_at, std::size_t other_at) {
    return other_at != npos && other_at > list_at ? other_at : msg.size();
  };
  presence_changes out;
  if (joins != npos) {
    out.joins = list(joins, end_of(joins, leaves), true);
  }
  if (leaves != npos) {
    out.leaves = list(leaves, end_of(leaves, joins), false);
  }
  return out;
}

/// The unsigned integer after `"key":` (key given without quotes), or nullopt.
/// The first occurrence wins: callers ask only for keys that appear once.
inline std::optional<uint64_t> uint_field(std::string_view msg, std::string_view key) {
  std::size_t p = 0;
  while ((p = msg.find(key, p)) != std::string_view::npos) {
    const std::size_t after = p + key.size();
    if (p > 0 && msg[p - 1] == '"' && after + 1 < msg.size() && msg[after] == '"' &&
        msg[after + 1] == ':') {
      break;
    }
    p = after;
  }
  if (p == std::string_view::npos) {
    return std::nullopt;
  }
  std::size_t i = p + key.size() + 2;
  if (i >= msg.size() || msg[i] < '0' || msg[i] > '9') {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (; i < msg.size() && msg[i] >= '0' && msg[i] <= '9'; ++i) {
    v = v * 10 + static_cast<uint64_t>(msg[i] - '0');
  }
  return v;
}

} // namespace switchyard::bench
