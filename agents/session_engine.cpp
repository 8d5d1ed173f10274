#include "engine_internals.hpp"
#include "protocol/message.hpp"
#include "switchyard/agents/detail/envelope.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include <msgpack.hpp>

namespace switchyard::agents::detail {

void session_engine::impl::check_topic(std::string_view topic) const {
  if (!protocol::valid_topic(topic))
    throw effect_refused{"'" + std::string{topic} + "' is not a valid topic name"};
  if (topic.starts_with("dead/"))
    throw effect_refused{"topics under dead/ are written by the node only"};
}

void session_engine::impl::cascade(handling& h, const std::string& turn, const std::string& reason,
                                   const std::string& token) {
  std::set<std::string> told;
  for (auto it = calls.begin(); it != calls.end();) {
    const auto& c = it->second;
    if (c.turn != turn) {
      ++it;
      continue;
    }
    if (c.agent && told.insert(c.to).second) {
      effect e{.kind = effect::what::cancel, .topic = c.to};
      e.body = pack(agents::cancel_turn{turn, reason});
      e.data =
          encode_inbox({.type = "cancel_turn", .turn = turn, .body = e.body, .hops = h.hops + 1});
      e.idem = token + ":" + c.token;
      e.id = {session, h.seq, c.index};
      e.type = "cancel_turn";
      e.to = c.to;
      h.effects.push_back(std::move(e));
    }
    it = calls.erase(it);
  }
  std::erase_if(timers, [&](const auto& kv) { return kv.second.turn == turn; });
  std::erase_if(joins, [&](const auto& kv) { return kv.second.turn == turn; });
  callers.erase(turn);
}

delivery session_engine::impl::close_join(handling& h,
                                          std::map<std::string, join_rec>::iterator j) {
  auto jr = std::move(j->second);
  joins.erase(j);
  std::erase_if(calls, [&](const auto& kv) { return kv.second.join == jr.token; });
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> p{buf};
  p.pack_array(static_cast<std::uint32_t>(jr.slots.size()));
  for (const auto& slot : jr.slots) {
    if (slot && !slot->empty())
      buf.write(slot->data(), slot->size());
    else
      p.pack_nil();
  }
  h.scratch.assign(buf.data(), buf.size());
  h.turn = jr.turn;
  h.hops = jr.hops;
  return {.key = "joined:" + jr.reply_type,
          .body = h.scratch,
          .id = {session, jr.seq, jr.index},
          .tag = jr.tag};
}

std::optional<delivery> session_engine::impl::route(handling& h, const inbox_envelope& env,
                                                    std::string& dropped) {
  if (env.type == "reply" || env.type == "error") {
    auto it = calls.find(env.corr);
    if (it == calls.end()) {
      dropped = "an answer to no pending call (late, cancelled or answered already)";
      return std::nullopt;
    }
    auto c = std::move(it->second);
    calls.erase(it);
    h.turn = c.turn;
    h.hops = c.hops;
    const bool ok = env.type == "reply";
    if (!c.join.empty()) {
      auto j = joins.find(c.join);
      if (j == joins.end()) {
        dropped = "an answer to a fan-out that is over";
        return std::nullopt;
      }
      auto& jr = j->second;
      if (ok) {
        jr.slots[c.slot] = env.body;
        ++jr.answered;
      }
      ++jr.settled;
      if (jr.answered >= jr.needed || jr.settled == jr.slots.size())
        return close_join(h, j);
      dropped = "a fan-out answer, kept until its join completes";
      return std::nullopt;
    }
    delivery d{.key = ok ? "reply:" + c.reply_type : std::string{"call_failed"},
               .body = ok ? std::string_view{env.body} : std::string_view{},
               .id = {session, c.seq, c.index},
               .tag = c.tag};
    if (!ok) {
      d.reason = call_failed::why::error;
      d.detail = body_text(env.body);
    }
    return d;
  }
  if (env.type == "timer") {
    if (auto t = timers.find(env.corr); t != timers.end()) {
      auto tr = std::move(t->second);
      timers.erase(t);
      h.turn = tr.turn;
      h.hops = tr.hops;
      h.scratch = std::move(tr.body);
      return delivery{.key = std::move(tr.type), .body = h.scratch};
    }
    if (auto c = calls.find(env.corr); c != calls.end() && c->second.due_ms != 0) {
      auto cr = std::move(c->second);
      calls.erase(c);
      h.turn = cr.turn;
      h.hops = cr.hops;
      return delivery{.key = "call_failed",
                      .id = {session, cr.seq, cr.index},
                      .tag = cr.tag,
                      .reason = call_failed::why::timeout,
                      .detail = "no answer from " + cr.to + " before the timeout"};
    }
    if (auto j = joins.find(env.corr); j != joins.end())
      return close_join(h, j);
    dropped = "a timer that is no longer armed (answered, cancelled or fired)";
    return std::nullopt;
  }
  if (env.type == "cancel_turn") {
    agents::cancel_turn c;
    if (!env.body.empty()) {
      try {
        c = unpack<agents::cancel_turn>(env.body);
      } catch (const std::exception& e) {
        throw body_error{std::string{"the body is not a cancel_turn {turn?, reason?}: "} +
                         e.what()};
      }
    }
    if (c.turn.empty())
      c.turn = env.turn;
    h.turn = c.turn;
    auto id = h.next_id();
    h.decide("cancel_turn", {c.turn});
    cascade(h, c.turn, c.reason.empty() ? "cancelled" : c.reason, token(id));
    h.scratch = pack(c);
    return delivery{.key = "cancel_turn", .body = h.scratch};
  }
  if (reserved_type(env.type))
    throw body_error{"type '" + env.type + "' is reserved for the runtime"};
  if (!env.corr.empty() || !env.reply_to.empty()) {
    if (env.corr.empty() || !is_agent_inbox(env.reply_to))
      throw body_error{"a request needs both 'corr' and a 'reply_to' that is an agent inbox"};
    callers[env.turn] = {env.turn, env.corr, env.reply_to, env.hops};
  }
  return delivery{.key = env.type, .body = env.body};
}

void session_engine::impl::dead_letter(handling& h, const inbox_event& ev, std::uint32_t attempts,
                                       std::string_view error) {
  h.decide("dead", {});
  effect e{.kind = effect::what::dead_letter, .topic = "dead/" + session};
  e.data = encode_agent_dead_letter(session, ev.seq, attempts, ev.data, error);
  e.idem = effect_token(session + '#' + std::to_string(ev.seq) + ":dead", token_key);
  e.id = {session, ev.seq, 0};
  e.body = error;
  e.to = e.topic;
  h.effects.push_back(std::move(e));
}

void session_engine::impl::deliver_poisoned(handling& h, context& ctx, std::string_view type,
                                            std::string_view error) {
  // Member by member: GCC 12 at -O3 takes the designated form's defaulted `id` for
  // uninitialized (-Wmaybe-uninitialized).
  delivery d;
  d.key = "poisoned";
  d.seq = h.seq;
  d.type = type;
  d.detail = error;
  try {
    kind->dispatch(d, ctx);
  } catch (const std::exception& e) {
    // Not retried: the event is dead already, and replay decides the same way.
    h.logs.push_back(std::string{"the poisoned handler threw: "} + e.what());
  }
}

outcome session_engine::impl::run(const inbox_event& ev, bool replaying,
                                  const std::string* poison_error, std::uint32_t crashes) {
  handling h{*this, ev, replaying};
  context ctx{h};
  outcome result;
  applied = ev.seq;
  std::string error;
  auto env = decode_inbox(ev.data, error);
  if (!env) {
    dead_letter(h, ev, crashes, error);
    deliver_poisoned(h, ctx, {}, error);
  } else {
    h.turn = env->turn;
    h.hops = env->hops;
    std::optional<delivery> d;
    if (poison_error) {
      // The routing still runs (a timer is disarmed, a call answered), the handler does not.
      try {
        d = route(h, *env, result.dropped);
      } catch (const body_error&) {
      }
      dead_letter(h, ev, crashes, *poison_error);
      deliver_poisoned(h, ctx, env->type, *poison_error);
    } else if ((d = route(h, *env, result.dropped)) && !kind->dispatch(*d, ctx)) {
      if (d->key == env->type) {
        auto why =
            "kind '" + std::string{kind->name()} + "' has no handler for '" + env->type + "'";
        dead_letter(h, ev, 0, why);
        deliver_poisoned(h, ctx, env->type, why);
      } else {
        result.dropped = "kind '" + std::string{kind->name()} + "' has no handler for " + d->key;
      }
    }
  }
  result.effects = std::move(h.effects);
  result.digest = h.digest;
  result.logs = std::move(h.logs);
  return result;
}

session_engine::session_engine(std::unique_ptr<session_kind> kind, std::string key,
                               kind_options opts, std::string token_key)
    : impl_{std::make_unique<impl>(std::move(kind), std::move(key), opts, std::move(token_key))} {}

session_engine::~session_engine() = default;

const std::string& session_engine::session() const {
  return impl_->session;
}
const std::string& session_engine::key() const {
  return impl_->key;
}
session_kind& session_engine::kind() {
  return *impl_->kind;
}
seq_t session_engine::applied_seq() const {
  return impl_->applied;
}

outcome session_engine::handle(const inbox_event& ev, bool replaying) {
  return impl_->run(ev, replaying, nullptr, 0);
}

outcome session_engine::poison(const inbox_event& ev, std::uint32_t crashes, std::string_view error,
                               bool replaying) {
  const std::string why{error};
  return impl_->run(ev, replaying, &why, crashes);
}

std::string session_engine::snapshot() const {
  snapshot_rec s{.format = snapshot_format,
                 .version = impl_->opts.version,
                 .kind = std::string{impl_->kind->name()},
                 .key = impl_->key,
                 .applied = impl_->applied,
                 .state = impl_->kind->save(),
                 .calls = values(impl_->calls),
                 .timers = values(impl_->timers),
                 .joins = values(impl_->joins),
                 .callers = values(impl_->callers)};
  if (s.state.size() > impl_->opts.max_state_bytes)
    throw effect_refused{"the state of " + impl_->session + " is " +
                         std::to_string(s.state.size()) + " bytes, over max_state_bytes (" +
                         std::to_string(impl_->opts.max_state_bytes) + ")"};
  return pack(s);
}

bool session_engine::restore(std::string_view snapshot) {
  snapshot_rec s;
  try {
    s = unpack<snapshot_rec>(snapshot);
  } catch (const std::exception&) {
    return false;
  }
  if (s.format != snapshot_format || s.version != impl_->opts.version ||
      s.kind != impl_->kind->name() || s.key != impl_->key)
    return false;
  try {
    impl_->kind->load(s.state);
  } catch (const std::exception&) {
    return false;
  }
  impl_->applied = s.applied;
  impl_->calls.clear();
  for (auto& c : s.calls)
    impl_->calls.emplace(c.token, std::move(c));
  impl_->timers.clear();
  for (auto& t : s.timers)
    impl_->timers.emplace(t.token, std::move(t));
  impl_->joins.clear();
  for (auto& j : s.joins)
    impl_->joins.emplace(j.token, std::move(j));
  impl_->callers.clear();
  for (auto& c : s.callers)
    impl_->callers.emplace(c.turn, std::move(c));
  return true;
}

std::vector<session_engine::armed_timer> session_engine::armed() const {
  std::vector<armed_timer> out;
  for (const auto& [t, r] : impl_->timers)
    out.push_back({r.due_ms, t});
  for (const auto& [t, r] : impl_->calls)
    if (r.due_ms != 0)
      out.push_back({r.due_ms, t});
  for (const auto& [t, r] : impl_->joins)
    out.push_back({r.due_ms, t});
  std::sort(out.begin(), out.end(), [](const armed_timer& a, const armed_timer& b) {
    return a.due_ms != b.due_ms ? a.due_ms < b.due_ms : a.token < b.token;
  });
  return out;
}

} // namespace switchyard::agents::detail
