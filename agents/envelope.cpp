#include "switchyard/agents/detail/envelope.hpp"

#include "protocol/codec.hpp"

#include <msgpack.hpp>

namespace switchyard::agents::detail {

namespace {

using packer = msgpack::packer<msgpack::sbuffer>;

void pack_str(packer& p, std::string_view s) {
  p.pack_str(static_cast<std::uint32_t>(s.size()));
  p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void pack_field(packer& p, std::string_view name, std::string_view value) {
  pack_str(p, name);
  pack_str(p, value);
}

/// `body` is already MessagePack: copied as it is (nil when empty).
void pack_body(msgpack::sbuffer& buf, packer& p, std::string_view body) {
  pack_str(p, "body");
  if (body.empty())
    p.pack_nil();
  else
    buf.write(body.data(), body.size());
}

std::string repack(const msgpack::object& o) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, o);
  return {buf.data(), buf.size()};
}

bool read_str(const msgpack::object& o, std::string& out) {
  if (o.type != msgpack::type::STR)
    return false;
  out.assign(o.via.str.ptr, o.via.str.size);
  return true;
}

} // namespace

std::optional<inbox_envelope> decode_inbox(std::string_view data, std::string& error) {
  msgpack::object_handle handle;
  try {
    handle = msgpack::unpack(data.data(), data.size());
  } catch (const std::exception& e) {
    error = std::string{"the data is not MessagePack: "} + e.what();
    return std::nullopt;
  }
  const auto& o = handle.get();
  if (o.type != msgpack::type::MAP) {
    error = "an agent inbox event's data is a map {type, turn?, body}";
    return std::nullopt;
  }
  inbox_envelope env;
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    std::string name;
    if (!read_str(kv.key, name)) {
      error = "an agent inbox event's data has a key that is not a string";
      return std::nullopt;
    }
    bool ok = true;
    if (name == "type")
      ok = read_str(kv.val, env.type);
    else if (name == "turn")
      ok = read_str(kv.val, env.turn);
    else if (name == "corr")
      ok = read_str(kv.val, env.corr);
    else if (name == "reply_to")
      ok = read_str(kv.val, env.reply_to);
    else if (name == "body")
      env.body = kv.val.type == msgpack::type::NIL ? std::string{} : repack(kv.val);
    else if (name == "hops") {
      ok = kv.val.type == msgpack::type::POSITIVE_INTEGER && kv.val.via.u64 <= 0xFFFF;
      if (ok)
        env.hops = static_cast<std::uint32_t>(kv.val.via.u64);
    } else {
      error = "unknown field '" + name + "' in an agent inbox event";
      return std::nullopt;
    }
    if (!ok) {
      error = "field '" + name + "' of an agent inbox event has the wrong type";
      return std::nullopt;
    }
  }
  if (env.type.empty()) {
    error = "an agent inbox event needs a non-empty string 'type'";
    return std::nullopt;
  }
  return env;
}

std::string encode_inbox(const inbox_envelope& env) {
  msgpack::sbuffer buf;
  packer p{buf};
  const bool turn = !env.turn.empty(), corr = !env.corr.empty(), reply_to = !env.reply_to.empty(),
             hops = env.hops != 0;
  p.pack_map(2 + turn + corr + reply_to + hops);
  pack_field(p, "type", env.type);
  if (turn)
    pack_field(p, "turn", env.turn);
  if (corr)
    pack_field(p, "corr", env.corr);
  if (reply_to)
    pack_field(p, "reply_to", env.reply_to);
  if (hops) {
    pack_str(p, "hops");
    p.pack(env.hops);
  }
  pack_body(buf, p, env.body);
  return {buf.data(), buf.size()};
}

std::string encode_job(const job_envelope& job) {
  msgpack::sbuffer buf;
  packer p{buf};
  const bool stream = !job.stream_to.empty(), turn = !job.turn.empty();
  p.pack_map(5 + stream + turn);
  pack_field(p, "type", job.type);
  pack_field(p, "corr", job.corr);
  pack_field(p, "reply_to", job.reply_to);
  if (stream)
    pack_field(p, "stream_to", job.stream_to);
  pack_str(p, "deadline_ms");
  p.pack(job.deadline_ms);
  if (turn)
    pack_field(p, "turn", job.turn);
  pack_body(buf, p, job.body);
  return {buf.data(), buf.size()};
}

std::string encode_agent_dead_letter(std::string_view topic, std::uint64_t seq,
                                     std::uint32_t attempts, std::string_view data,
                                     std::string_view error) {
  msgpack::sbuffer buf;
  packer p{buf};
  p.pack_map(5);
  pack_field(p, "topic", topic);
  pack_str(p, "seq");
  p.pack(seq);
  pack_str(p, "attempts");
  p.pack(attempts);
  pack_str(p, "data");
  bool valid = !data.empty();
  try {
    if (valid)
      msgpack::unpack(data.data(), data.size());
  } catch (const std::exception&) {
    valid = false;
  }
  if (valid) {
    buf.write(data.data(), data.size());
  } else { // what did not decode is kept byte for byte
    p.pack_bin(static_cast<std::uint32_t>(data.size()));
    p.pack_bin_body(data.data(), static_cast<std::uint32_t>(data.size()));
  }
  pack_field(p, "last_error", error);
  return {buf.data(), buf.size()};
}

std::string body_text(std::string_view body) {
  if (body.empty())
    return {};
  try {
    auto handle = msgpack::unpack(body.data(), body.size());
    if (handle.get().type == msgpack::type::STR)
      return handle.get().as<std::string>();
  } catch (const std::exception&) {
    return "(undecodable body)";
  }
  return protocol::msgpack_to_json(body);
}

} // namespace switchyard::agents::detail
