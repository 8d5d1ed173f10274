// The protocol's names (ops, topics) and the per-op field rules of PROTOCOL.md's
// "Messages" table. The rules work on a JSON object that either decoder builds
// (codec_decode.cpp), so each rule is written once for both encodings.

#include "protocol/detail/message_fields.hpp"
#include "protocol/message.hpp"

#include <array>
#include <limits>

namespace switchyard::protocol {
namespace {

/// Indexed by `op`; the wire names.
constexpr std::array<std::string_view, 10> op_names = {
    "connect", "subscribe", "unsubscribe", "publish", "ack",
    "nack",    "history",   "presence",    "ping",    "refresh"};

} // namespace

std::string_view to_string(op o) {
  const auto i = static_cast<std::size_t>(o);
  return i < op_names.size() ? op_names[i] : "unknown";
}

std::optional<std::string_view> agent_inbox_kind(std::string_view topic) {
  constexpr std::string_view prefix = "agents/";
  if (!topic.starts_with(prefix)) {
    return std::nullopt;
  }
  const auto rest = topic.substr(prefix.size());
  const auto slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == rest.size() ||
      rest.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return rest.substr(0, slash);
}

bool valid_topic(std::string_view name) {
  // A dead-letter topic may exceed the limit by its prefix (PROTOCOL.md, Reserved names).
  const std::size_t max = 200 + (is_dead_letter_topic(name) ? dead_letter_prefix.size() : 0);
  if (name.empty() || name.size() > max) {
    return false;
  }
  for (char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '_' && c != '.' && c != ':' && c != '/' && c != '-') {
      return false;
    }
  }
  return true;
}

namespace {

using json = nlohmann::ordered_json;

constexpr std::size_t max_idem_bytes = 128;
constexpr std::size_t max_reason_bytes = 256;

decode_error fail(std::optional<int64_t> id, std::string message) {
  return decode_error{id, std::move(message)};
}

struct int_range {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
};
constexpr int_range any_int{};
constexpr int_range non_negative{0};
constexpr int_range positive{1};
constexpr int_range history_limit{1, 1000};
/// Durations the node adds to a time in ms (ttl_ms, ack_wait_ms, delay_ms): bounded
/// (about 34 years) so that time + duration never overflows.
constexpr int64_t max_duration_ms = int64_t{1} << 40;
constexpr int_range positive_duration{1, max_duration_ms};
constexpr int_range duration{0, max_duration_ms};

std::string must_be(std::string_view name, int_range r) {
  std::string what = "an integer";
  if (r.max != any_int.max) {
    what = "an integer between " + std::to_string(r.min) + " and " + std::to_string(r.max);
  } else if (r.min == 0) {
    what = "a non-negative integer";
  } else if (r.min == 1) {
    what = "a positive integer";
  }
  return "field '" + std::string(name) + "' must be " + what;
}

std::optional<int64_t> as_int(const json& v, int_range r) {
  int64_t n = 0;
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(any_int.max)) {
      return std::nullopt;
    }
    n = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    n = v.get<int64_t>();
  } else {
    return std::nullopt;
  }
  return n >= r.min && n <= r.max ? std::optional<int64_t>(n) : std::nullopt;
}

/// Reads the fields of one message and keeps the first problem, so each op's rules read
/// top to bottom. A field set to null counts as absent (clients in many languages send
/// null for "not given").
class field_reader {
public:
  explicit field_reader(const json& msg) : msg_(msg) {}

  const json* find(std::string_view name) const {
    const auto it = msg_.find(name);
    return it == msg_.end() || it->is_null() ? nullptr : &*it;
  }

  std::optional<std::string> string(std::string_view name, bool required) {
    const json* v = find(name);
    if (v == nullptr) {
      if (required) {
        fail("missing field '" + std::string(name) + "'");
      }
      return std::nullopt;
    }
    if (!v->is_string()) {
      fail("field '" + std::string(name) + "' must be a string");
      return std::nullopt;
    }
    return v->get<std::string>();
  }

  /// Topic and group names share one alphabet: [A-Za-z0-9_.:/-], 1-200 bytes.
  std::optional<std::string> name(std::string_view field, bool required) {
    auto v = string(field, required);
    if (v && !valid_topic(*v)) {
      fail("field '" + std::string(field) + "' is not a valid " +
           (field == "topic" ? "topic" : "group") + " name");
    }
    return v;
  }

  std::string topic() { return name("topic", true).value_or(""); }

  std::optional<int64_t> integer(std::string_view field, int_range r, bool required) {
    const json* v = find(field);
    if (v == nullptr) {
      if (required) {
        fail("missing field '" + std::string(field) + "'");
      }
      return std::nullopt;
    }
    auto n = as_int(*v, r);
    if (!n && r.max == max_duration_ms) {
      // A duration: the usual wording for its lower bound, its own for the upper one.
      const int_range unbounded{r.min, any_int.max};
      fail(as_int(*v, unbounded) ? "field '" + std::string(field) + "' must be at most " +
                                       std::to_string(max_duration_ms) + " (ms)"
                                 : must_be(field, unbounded));
    } else if (!n) {
      fail(must_be(field, r));
    }
    return n;
  }

  std::optional<bool> boolean(std::string_view field) {
    const json* v = find(field);
    if (v != nullptr && !v->is_boolean()) {
      fail("field '" + std::string(field) + "' must be a boolean");
      return std::nullopt;
    }
    return v == nullptr ? std::nullopt : std::optional<bool>(v->get<bool>());
  }

  void fail(std::string message) {
    if (!error_) {
      error_ = std::move(message);
    }
  }

  const std::optional<std::string>& error() const { return error_; }

private:
  const json& msg_;
  std::optional<std::string> error_;
};

/// One entry of resume.topics: a last_seq, or {seq, presence?}.
std::optional<resume_topic> read_resume_topic(field_reader& r, const std::string& topic,
                                              const json& value) {
  if (!valid_topic(topic)) {
    r.fail("field 'resume.topics' has " + detail::quote(topic) + ", not a valid topic name");
    return std::nullopt;
  }
  // A valid topic name needs no quoting.
  const auto field = [&](std::string_view sub) {
    return "'resume.topics." + topic + std::string(sub) + "'";
  };
  resume_topic t;
  t.topic = topic;
  const json* seq = &value;
  if (value.is_object()) {
    seq = nullptr;
    for (const auto& [key, v] : value.items()) {
      if (key == "seq") {
        seq = &v;
      } else if (key == "presence" && v.is_boolean()) {
        t.presence = v.get<bool>();
      } else if (key == "presence") {
        r.fail("field " + field(".presence") + " must be a boolean");
        return std::nullopt;
      } else {
        r.fail("field " + field("") + " has unknown key " + detail::quote(key) +
               " (use 'seq' and 'presence')");
        return std::nullopt;
      }
    }
    if (seq == nullptr) {
      r.fail("missing field " + field(".seq"));
      return std::nullopt;
    }
  }
  const auto n = as_int(*seq, non_negative);
  if (!n) {
    r.fail("field " + field("") +
           " must be a last seq (a non-negative integer) or {seq, presence}");
    return std::nullopt;
  }
  t.last_seq = static_cast<uint64_t>(*n);
  return t;
}

std::optional<resume_request> read_resume(field_reader& r, const json& resume) {
  if (!resume.is_object()) {
    r.fail("field 'resume' must be an object");
    return std::nullopt;
  }
  resume_request req;
  const json* topics = nullptr;
  for (const auto& [key, v] : resume.items()) {
    if (key == "session" && v.is_string()) {
      req.session = v.get<std::string>();
    } else if (key == "session") {
      r.fail("field 'resume.session' must be a string");
    } else if (key == "topics") {
      topics = &v;
    } else {
      r.fail("field 'resume' has unknown key " + detail::quote(key) +
             " (use 'session' and 'topics')");
    }
  }
  if (req.session.empty()) {
    r.fail("missing field 'resume.session' (the session of the earlier connect reply)");
  }
  if (topics != nullptr && !topics->is_object()) {
    r.fail("field 'resume.topics' must be an object of topic: last_seq");
  } else if (topics != nullptr) {
    for (const auto& [topic, value] : topics->items()) {
      if (auto t = read_resume_topic(r, topic, value)) {
        req.topics.push_back(std::move(*t));
      }
    }
  }
  return r.error() ? std::nullopt : std::optional<resume_request>(std::move(req));
}

void read_connect(field_reader& r, client_message& m) {
  m.token = r.string("token", false);
  if (const json* c = r.find("client")) {
    m.client = c->is_string() ? c->get<std::string>()
                              : c->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (const json* resume = r.find("resume"); resume != nullptr) {
    m.resume = read_resume(r, *resume);
  }
}

std::optional<start_position> read_from(field_reader& r) {
  const json* from = r.find("from");
  if (from == nullptr) {
    return std::nullopt;
  }
  if (!from->is_object() || from->size() != 1) {
    r.fail("field 'from' must be an object with exactly one of 'seq', 'since_ms', 'last'");
    return std::nullopt;
  }
  const auto entry = from->begin();
  const std::string& key = entry.key();
  const json& value = entry.value();
  start_position pos;
  if (key == "seq") {
    pos.from = start_position::kind::seq;
  } else if (key == "since_ms") {
    pos.from = start_position::kind::since_ms;
  } else if (key == "last") {
    pos.from = start_position::kind::last;
  } else {
    r.fail("field 'from' has unknown key " + detail::quote(key) +
           " (use 'seq', 'since_ms' or 'last')");
    return std::nullopt;
  }
  const auto n = as_int(value, non_negative);
  if (!n) {
    r.fail(must_be("from." + key, non_negative));
    return std::nullopt;
  }
  pos.value = *n;
  return pos;
}

void read_subscribe(field_reader& r, client_message& m) {
  m.topic = r.topic();
  if (const auto mode = r.string("mode", false)) {
    m.queue_mode = *mode == "queue";
    if (!m.queue_mode && *mode != "fanout") {
      r.fail("field 'mode' must be \"fanout\" or \"queue\"");
    }
  }
  if (m.queue_mode && r.find("group") == nullptr) {
    r.fail("missing field 'group' (required by mode \"queue\")");
  }
  m.group = r.name("group", false);
  m.from = read_from(r);
  m.presence = r.boolean("presence").value_or(false);
  m.max_inflight = r.integer("max_inflight", positive, false);
  m.ack_wait_ms = r.integer("ack_wait_ms", positive_duration, false);
}

void read_publish(field_reader& r, client_message& m, std::optional<std::string>& data) {
  m.topic = r.topic();
  if (!data) {
    r.fail("missing field 'data'");
  } else {
    m.data = std::move(*data);
  }
  m.key = r.string("key", false);
  if (m.key && m.key->empty()) {
    r.fail("field 'key' must not be empty");
  }
  m.idem = r.string("idem", false);
  if (m.idem && m.idem->empty()) {
    r.fail("field 'idem' must not be empty");
  } else if (m.idem && m.idem->size() > max_idem_bytes) {
    r.fail("field 'idem' longer than " + std::to_string(max_idem_bytes) + " bytes");
  }
  m.ttl_ms = r.integer("ttl_ms", positive_duration, false);
}

void read_history(field_reader& r, client_message& m) {
  m.topic = r.topic();
  m.from_seq = r.integer("from_seq", non_negative, false);
  m.since_ms = r.integer("since_ms", non_negative, false);
  const bool has_from_seq = r.find("from_seq") != nullptr;
  if (has_from_seq == (r.find("since_ms") != nullptr)) {
    r.fail(has_from_seq ? "fields 'from_seq' and 'since_ms' exclude each other"
                        : "missing field 'from_seq' or 'since_ms'");
  }
  m.limit = r.integer("limit", history_limit, false);
}

void read_fields(field_reader& r, client_message& m, std::optional<std::string>& data) {
  switch (m.kind) {
  case op::connect:
    return read_connect(r, m);
  case op::subscribe:
    return read_subscribe(r, m);
  case op::unsubscribe:
    m.topic = r.topic();
    m.group = r.name("group", false);
    return;
  case op::publish:
    return read_publish(r, m, data);
  case op::ack:
  case op::nack:
    m.topic = r.topic();
    m.group = r.name("group", true);
    m.seq = r.integer("seq", positive, true).value_or(0);
    if (m.kind == op::nack) {
      m.delay_ms = r.integer("delay_ms", duration, false);
      m.reason = r.string("reason", false);
      if (m.reason && m.reason->size() > max_reason_bytes) {
        r.fail("field 'reason' longer than " + std::to_string(max_reason_bytes) + " bytes");
      }
    }
    return;
  case op::history:
    return read_history(r, m);
  case op::presence:
    m.topic = r.topic();
    m.after = r.string("after", false);
    return;
  case op::ping:
    return;
  case op::refresh:
    m.token = r.string("token", true);
    return;
  }
}

std::optional<op> parse_op(std::string_view name) {
  for (std::size_t i = 0; i < op_names.size(); ++i) {
    if (op_names[i] == name) {
      return static_cast<op>(i);
    }
  }
  return std::nullopt;
}

} // namespace

namespace detail {

std::string quote(std::string_view client_text) {
  constexpr std::size_t max_quoted_bytes = 64;
  // Appended piece by piece: `"'" + std::string(...)` trips GCC 12's -Wrestrict false
  // positive (GCC bug 105329) at -O3.
  std::string out;
  out.reserve(max_quoted_bytes + 5);
  out += '\'';
  out.append(client_text.substr(0, max_quoted_bytes));
  out += client_text.size() > max_quoted_bytes ? "...'" : "'";
  return out;
}

decoded_message decode_fields(const json& msg, std::optional<std::string> data) {
  std::optional<int64_t> id;
  if (const auto it = msg.find("id"); it != msg.end() && !it->is_null()) {
    id = as_int(*it, any_int);
    if (!id) {
      return fail(std::nullopt, must_be("id", any_int));
    }
  }
  const auto op_field = msg.find("op");
  if (op_field == msg.end()) {
    return fail(id, "missing field 'op'");
  }
  if (!op_field->is_string()) {
    return fail(id, "field 'op' must be a string");
  }
  const auto& op_name = op_field->get_ref<const std::string&>();
  const auto kind = parse_op(op_name);
  if (!kind) {
    return fail(id, "unknown op " + detail::quote(op_name));
  }
  client_message m;
  m.kind = *kind;
  m.id = id;
  field_reader reader(msg);
  read_fields(reader, m, data);
  if (reader.error()) {
    return fail(id, *reader.error());
  }
  return m;
}

} // namespace detail

} // namespace switchyard::protocol
