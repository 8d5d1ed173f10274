#include "switchyard/agents/context.hpp"

#include "engine_internals.hpp"
#include "switchyard/agents/detail/envelope.hpp"

#include <algorithm>
#include <set>

namespace switchyard::agents {

using detail::call_rec;
using detail::effect;
using detail::encode_inbox;
using detail::encode_job;
using detail::inbox_envelope;
using detail::join_rec;
using detail::timer_rec;

const std::string& context::session() const {
  return h_.eng.session;
}
const std::string& context::key() const {
  return h_.eng.key;
}
const std::string& context::out() const {
  return h_.eng.out;
}
seq_t context::seq() const {
  return h_.seq;
}
clock::time_point context::now() const {
  return clock::time_point{
      std::chrono::duration_cast<clock::duration>(std::chrono::milliseconds{h_.ts_ms})};
}
const std::string& context::turn() const {
  return h_.turn;
}
std::uint64_t context::random() {
  return detail::splitmix(h_.rng);
}
std::string context::unique_id() {
  return effect_token(h_.eng.session + '#' + std::to_string(h_.seq) + '~' +
                      std::to_string(h_.ids++))
      .substr(0, 22);
}
bool context::replaying() const {
  return h_.replaying;
}
void context::log(std::string_view message) {
  if (!h_.replaying)
    h_.logs.emplace_back(message);
}

effect_id context::record_emit(std::string_view topic, std::string_view type, std::string body) {
  h_.eng.check_topic(topic);
  auto id = h_.next_id();
  h_.decide("emit", {topic, type, body});
  effect e{.kind = effect::what::emit, .topic = std::string{topic}};
  e.data = encode_inbox({.type = std::string{type}, .turn = h_.turn, .body = body});
  e.idem = h_.eng.token(id);
  e.id = id;
  e.type = type;
  e.body = std::move(body);
  e.to = topic;
  h_.effects.push_back(std::move(e));
  return id;
}

call_id context::record_call(const target& to, std::string_view type, std::string body,
                             std::string_view reply_type, call_options opts) {
  auto& eng = h_.eng;
  const bool agent = to.group_name.empty();
  if (agent && !opts.stream_to.empty())
    throw effect_refused{"call_options.stream_to is for worker groups, not for " + to.topic};
  if (agent && !opts.key.empty())
    throw effect_refused{"call_options.key is for worker groups, not for " + to.topic};
  eng.check_topic(to.topic);
  if (!opts.stream_to.empty())
    eng.check_topic(opts.stream_to);
  auto id = h_.next_id();
  auto token = h_.eng.token(id);
  const auto timeout = std::max<std::int64_t>(opts.timeout.count(), 0);
  h_.decide("call", {to.topic, type, body, reply_type, opts.tag, opts.stream_to, opts.key,
                     std::to_string(timeout)});
  call_rec c{.token = token,
             .seq = h_.seq,
             .index = id.index,
             .tag = opts.tag,
             .reply_type = std::string{reply_type},
             .turn = h_.turn,
             .to = to.topic,
             .agent = agent,
             .due_ms = h_.ts_ms + timeout,
             .join = {},
             .slot = 0,
             .hops = h_.hops};
  effect e{.kind = effect::what::job, .topic = to.topic};
  if (!agent) {
    e.data = encode_job({.type = std::string{type},
                         .corr = token,
                         .reply_to = eng.session,
                         .stream_to = opts.stream_to,
                         .deadline_ms = c.due_ms,
                         .turn = h_.turn,
                         .body = body});
    e.key = opts.key;
    e.to = to.group_name;
  } else if (eng.over_hops(h_)) {
    e.kind = effect::what::self_error;
    e.topic = eng.session;
    e.data = encode_inbox(
        {.type = "error", .turn = h_.turn, .body = pack(eng.hops_error()), .corr = token});
    e.to = to.topic;
  } else {
    e.kind = effect::what::request;
    e.data = encode_inbox({.type = std::string{type},
                           .turn = h_.turn,
                           .body = body,
                           .corr = token,
                           .reply_to = eng.session,
                           .hops = h_.hops + 1});
    e.to = to.topic;
  }
  e.idem = e.kind == effect::what::self_error ? token + ":reply" : token;
  e.id = id;
  e.type = type;
  e.body = std::move(body);
  e.tag = opts.tag;
  e.stream_to = opts.stream_to;
  eng.calls.emplace(token, std::move(c));
  h_.effects.push_back(std::move(e));
  return id;
}

group_id context::record_fan_out(std::string_view kind, std::string_view type,
                                 std::vector<std::string> bodies, std::string_view reply_type,
                                 join_options opts) {
  auto& eng = h_.eng;
  if (bodies.size() > eng.opts.max_fan_out)
    throw effect_refused{"fan_out of " + std::to_string(bodies.size()) +
                         " inputs is over max_fan_out (" + std::to_string(eng.opts.max_fan_out) +
                         ")"};
  if (opts.quorum > bodies.size())
    throw effect_refused{"fan_out quorum " + std::to_string(opts.quorum) + " is over its " +
                         std::to_string(bodies.size()) + " inputs"};
  auto gid = h_.next_id();
  auto gtoken = h_.eng.token(gid);
  const auto deadline = std::max<std::int64_t>(opts.deadline.count(), 0);
  h_.decide("fan_out", {kind, type, reply_type, opts.tag, std::to_string(deadline),
                        std::to_string(opts.quorum)});
  const auto n = static_cast<std::uint32_t>(bodies.size());
  join_rec j{.token = gtoken,
             .seq = h_.seq,
             .index = gid.index,
             .tag = opts.tag,
             .reply_type = std::string{reply_type},
             .turn = h_.turn,
             .needed = opts.quorum ? static_cast<std::uint32_t>(opts.quorum) : n,
             // No children: the join completes at once (as an inbox event, like any other).
             .due_ms = h_.ts_ms + (n ? deadline : 0),
             .slots = std::vector<std::optional<std::string>>(n),
             .answered = 0,
             .settled = 0,
             .hops = h_.hops};
  for (std::uint32_t i = 0; i < n; ++i) {
    auto cid = h_.next_id();
    auto ctoken = h_.eng.token(cid);
    auto topic = "agents/" + std::string{kind} + "/" + eng.key + "." + std::to_string(h_.seq) +
                 "." + std::to_string(i);
    eng.check_topic(topic);
    h_.decide("child", {bodies[i]});
    effect e{.kind = effect::what::request, .topic = topic};
    if (eng.over_hops(h_)) {
      e.kind = effect::what::self_error;
      e.topic = eng.session;
      e.data = encode_inbox(
          {.type = "error", .turn = h_.turn, .body = pack(eng.hops_error()), .corr = ctoken});
      e.idem = ctoken + ":reply";
    } else {
      e.data = encode_inbox({.type = std::string{type},
                             .turn = h_.turn,
                             .body = bodies[i],
                             .corr = ctoken,
                             .reply_to = eng.session,
                             .hops = h_.hops + 1});
      e.idem = ctoken;
    }
    e.id = cid;
    e.type = type;
    e.body = std::move(bodies[i]);
    e.tag = opts.tag;
    e.to = topic;
    eng.calls.emplace(ctoken, call_rec{.token = ctoken,
                                       .seq = h_.seq,
                                       .index = cid.index,
                                       .tag = opts.tag,
                                       .reply_type = std::string{reply_type},
                                       .turn = h_.turn,
                                       .to = std::move(topic),
                                       .agent = true,
                                       .due_ms = 0,
                                       .join = gtoken,
                                       .slot = i,
                                       .hops = h_.hops});
    h_.effects.push_back(std::move(e));
  }
  eng.joins.emplace(gtoken, std::move(j));
  return gid;
}

effect_id context::record_send(const target& to, std::string_view type, std::string body) {
  auto& eng = h_.eng;
  eng.check_topic(to.topic);
  auto id = h_.next_id();
  h_.decide("send", {to.topic, type, body});
  effect e{.kind = effect::what::send, .topic = to.topic};
  if (!to.group_name.empty()) {
    e.data = encode_job({.type = std::string{type},
                         .corr = h_.eng.token(id),
                         .reply_to = {},
                         .stream_to = {},
                         .deadline_ms = 0,
                         .turn = h_.turn,
                         .body = body});
    e.to = to.group_name;
  } else if (eng.over_hops(h_)) {
    log("send to " + to.topic + " dropped: " + eng.hops_error());
    return id;
  } else {
    e.data = encode_inbox(
        {.type = std::string{type}, .turn = h_.turn, .body = body, .hops = h_.hops + 1});
    e.to = to.topic;
  }
  e.idem = h_.eng.token(id);
  e.id = id;
  e.type = type;
  e.body = std::move(body);
  h_.effects.push_back(std::move(e));
  return id;
}

effect_id context::record_handoff(std::string_view kind, std::string_view type, std::string body) {
  auto& eng = h_.eng;
  auto topic = "agents/" + std::string{kind} + "/" + eng.key;
  eng.check_topic(topic);
  auto id = h_.next_id();
  h_.decide("handoff", {topic, type, body});
  if (eng.over_hops(h_)) {
    log("handoff to " + topic + " dropped: " + eng.hops_error());
    return id;
  }
  inbox_envelope env{.type = std::string{type}, .turn = h_.turn, .body = body, .hops = h_.hops + 1};
  if (auto c = eng.callers.find(h_.turn); c != eng.callers.end()) {
    env.corr = c->second.corr; // the new owner answers our caller
    env.reply_to = c->second.reply_to;
    eng.callers.erase(c);
  }
  effect e{.kind = effect::what::send, .topic = topic, .data = encode_inbox(env)};
  e.idem = h_.eng.token(id);
  e.id = id;
  e.type = type;
  e.body = std::move(body);
  e.to = std::move(topic);
  h_.effects.push_back(std::move(e));
  return id;
}

timer_id context::record_after(duration d, std::string_view type, std::string body) {
  auto id = h_.next_id();
  auto token = h_.eng.token(id);
  const auto delay = std::max<std::int64_t>(d.count(), 0);
  h_.decide("after", {std::to_string(delay), type, body});
  h_.eng.timers.emplace(token, timer_rec{.token = token,
                                         .turn = h_.turn,
                                         .type = std::string{type},
                                         .body = std::move(body),
                                         .due_ms = h_.ts_ms + delay,
                                         .hops = h_.hops});
  return id;
}

void context::record_complete(std::string_view type, std::string body) {
  auto& eng = h_.eng;
  auto id = h_.next_id();
  h_.decide("complete", {type, body});
  auto c = eng.callers.find(h_.turn);
  if (c == eng.callers.end()) {
    effect e{.kind = effect::what::emit, .topic = eng.out};
    e.data = encode_inbox({.type = std::string{type}, .turn = h_.turn, .body = body});
    e.idem = h_.eng.token(id);
    e.id = id;
    e.type = type;
    e.body = std::move(body);
    e.to = eng.out;
    h_.effects.push_back(std::move(e));
    return;
  }
  effect e{.kind = effect::what::reply, .topic = c->second.reply_to};
  e.data = encode_inbox({.type = "reply", .turn = h_.turn, .body = body, .corr = c->second.corr});
  // The same idem a worker's reply carries: whoever answers twice lands once.
  e.idem = c->second.corr + ":reply";
  e.id = id;
  e.type = type;
  e.body = std::move(body);
  e.to = c->second.reply_to;
  eng.callers.erase(c);
  h_.effects.push_back(std::move(e));
}

void context::cancel(const effect_id& id) {
  auto& eng = h_.eng;
  auto token = h_.eng.token(id);
  h_.decide("cancel", {token});
  eng.calls.erase(token);
  eng.timers.erase(token);
  if (eng.joins.erase(token))
    std::erase_if(eng.calls, [&](const auto& kv) { return kv.second.join == token; });
}

void context::cancel_turn(std::string_view turn) {
  auto id = h_.next_id();
  h_.decide("cancel_turn", {turn});
  h_.eng.cascade(h_, std::string{turn}, "cancelled by " + h_.eng.session, h_.eng.token(id));
}

} // namespace switchyard::agents
