#pragma once
// One agent session in memory: no sockets, store or threads, and virtual time. A test
// feeds events, plays the workers and sessions the kind calls, advances the clock, and
// crashes the session after any event: crash_and_recover() rebuilds it the way the
// runtime does (newest snapshot + the inbox replayed with effects suppressed) and throws
// std::logic_error when the rebuilt session differs or decided differently.

#include "switchyard/agents/body.hpp"
#include "switchyard/agents/detail/envelope.hpp"
#include "switchyard/agents/detail/session_engine.hpp"
#include "switchyard/agents/kind.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::agents {

/// An event the session published (an emit, or an answer to its caller).
struct emitted {
  std::string topic;
  std::string type;
  std::string turn;
  std::string token; ///< its idempotency key
  std::string body;  ///< MessagePack
  template <class E> E as() const { return unpack<E>(body); }
};

/// A call, fan-out child, send or cancel the session made.
struct requested {
  call_id id;
  std::string to; ///< the worker group's name, or the session's topic
  std::string type;
  std::string tag;
  std::string stream_to;
  std::string body; ///< MessagePack
  std::string data; ///< the whole event as published (the envelope)
  template <class Q> Q as() const { return unpack<Q>(body); }
};

struct dead_lettered {
  seq_t seq = 0;
  std::string error;
};

struct test_kit_options {
  kind_options kind = {};
  /// Crash and recover after every handled event (a test that passes so proves the kind
  /// survives a crash anywhere).
  bool crash_after_every_event = false;
  /// Virtual time at the start (epoch ms).
  std::int64_t start_ms = 1'767'225'600'000;
};

template <agent_kind K> class test_kit {
public:
  explicit test_kit(std::string key = "test", test_kit_options opts = {})
      : key_{std::move(key)}, opts_{opts}, now_ms_{opts.start_ms} {
    engine_ = make_engine();
  }

  /// What a client publishes to the session's inbox.
  template <class E> test_kit& send(const E& ev, std::string turn = {}) {
    return append({.type = std::string{E::type}, .turn = std::move(turn), .body = pack(ev)}, {});
  }
  /// What another session's `call` or `fan_out` sends: the kind's `complete` answers it
  /// (see replies()).
  template <class E> test_kit& request(const E& ev, std::string turn = {}) {
    auto corr = effect_token("agents/kit/caller#" + std::to_string(++requests_));
    return append({.type = std::string{E::type},
                   .turn = std::move(turn),
                   .body = pack(ev),
                   .corr = std::move(corr),
                   .reply_to = "agents/kit/caller"},
                  {});
  }
  /// Any `data`, as a client could publish it.
  test_kit& send_raw(std::string data) { return append_data(std::move(data), {}); }
  /// A worker's or a session's answer to a call (a second answer is a duplicate, dropped
  /// by idempotency as in the store).
  template <class R> test_kit& reply(const call_id& id, const R& value) {
    auto corr = id.token();
    return append({.type = "reply", .body = pack(value), .corr = corr}, corr + ":reply");
  }
  test_kit& fail(const call_id& id, std::string detail) {
    auto corr = id.token();
    return append({.type = "error", .body = pack(detail), .corr = corr}, corr + ":reply");
  }
  /// What a client's stop button publishes.
  test_kit& cancel(std::string turn, std::string reason = {}) {
    return append({.type = "cancel_turn", .turn = turn, .body = pack(cancel_turn{turn, reason})},
                  {});
  }
  /// Virtual time: timers, call timeouts and join deadlines that come due enter the inbox.
  test_kit& advance(duration d) {
    const auto until = now_ms_ + d.count();
    for (auto armed = engine_->armed(); !armed.empty() && armed.front().due_ms <= until;
         armed = engine_->armed()) {
      now_ms_ = std::max(now_ms_, armed.front().due_ms);
      const auto token = armed.front().token;
      if (!append({.type = "timer", .corr = token}, token + ":fire").appended_)
        throw std::logic_error{"a timer stayed armed after it fired"};
    }
    now_ms_ = until;
    return *this;
  }
  /// Rebuilds the session from its newest snapshot and the inbox, as after a crash.
  test_kit& crash_and_recover() {
    auto before = engine_->snapshot();
    rebuild();
    if (engine_->snapshot() != before)
      throw std::logic_error{"the session rebuilt by replay differs from the one before the crash"};
    return *this;
  }

  const typename K::state& state() const {
    return static_cast<const detail::kind_binding<K>&>(engine_->kind()).state();
  }
  const std::string& session() const { return engine_->session(); }
  std::int64_t now_ms() const { return now_ms_; }
  /// Events in the inbox (also the ones the runtime appended: answers, timers).
  std::size_t inbox_size() const { return inbox_.size(); }

  // Each returns what the session did since the last call that returned it.
  std::vector<emitted> emits(std::string_view topic = {}) {
    return take<emitted>(
        [&](const detail::effect& e) {
          return e.kind == detail::effect::what::emit && (topic.empty() || e.topic == topic);
        },
        [](const detail::effect& e) { return as_emitted(e); });
  }
  /// Answers to callers (`complete` after `request`).
  std::vector<emitted> replies() {
    return take<emitted>(
        [](const detail::effect& e) { return e.kind == detail::effect::what::reply; },
        [](const detail::effect& e) { return as_emitted(e); });
  }
  /// Calls and fan-out children; `to` is a group ("llm") or a topic prefix ("agents/writer").
  std::vector<requested> calls(std::string_view to = {}) {
    using w = detail::effect::what;
    return take<requested>(
        [&](const detail::effect& e) {
          return (e.kind == w::job || e.kind == w::request) && matches(e.to, to);
        },
        [](const detail::effect& e) { return as_requested(e); });
  }
  /// Sends, handoffs and cancels passed on to called sessions.
  std::vector<requested> sends(std::string_view to = {}) {
    using w = detail::effect::what;
    return take<requested>(
        [&](const detail::effect& e) {
          return (e.kind == w::send || e.kind == w::cancel) && matches(e.to, to);
        },
        [](const detail::effect& e) { return as_requested(e); });
  }
  std::vector<dead_lettered> dead_letters() {
    return take<dead_lettered>(
        [](const detail::effect& e) { return e.kind == detail::effect::what::dead_letter; },
        [](const detail::effect& e) {
          return dead_lettered{e.id.seq, e.body};
        });
  }
  std::vector<std::string> logs() { return std::exchange(logs_, {}); }

private:
  struct stored {
    seq_t seq;
    std::int64_t ts_ms;
    std::string data;
  };
  struct poison_mark {
    std::uint32_t crashes;
    std::string error;
  };

  std::unique_ptr<detail::session_engine> make_engine() const {
    return std::make_unique<detail::session_engine>(std::make_unique<detail::kind_binding<K>>(),
                                                    key_, opts_.kind);
  }

  static bool matches(std::string_view to, std::string_view want) {
    return want.empty() || to == want ||
           (to.size() > want.size() && to.starts_with(want) && to[want.size()] == '/');
  }
  static emitted as_emitted(const detail::effect& e) {
    std::string err;
    auto env = detail::decode_inbox(e.data, err);
    return {e.topic, e.type, env ? env->turn : std::string{}, e.idem, e.body};
  }
  static requested as_requested(const detail::effect& e) {
    return {e.id, e.to, e.type, e.tag, e.stream_to, e.body, e.data};
  }

  template <class T, class Pred, class Make> std::vector<T> take(Pred pred, Make make) {
    std::vector<T> out;
    std::vector<detail::effect> rest;
    for (auto& e : effects_) {
      if (pred(e))
        out.push_back(make(e));
      else
        rest.push_back(std::move(e));
    }
    effects_ = std::move(rest);
    return out;
  }

  test_kit& append(const detail::inbox_envelope& env, std::string idem) {
    return append_data(detail::encode_inbox(env), std::move(idem));
  }

  test_kit& append_data(std::string data, std::string idem) {
    appended_ = false;
    if (!idem.empty() && !idems_.insert(idem).second)
      return *this; // a duplicate: the store would answer dup and append nothing
    appended_ = true;
    inbox_.push_back({inbox_.size() + 1, now_ms_, std::move(data)});
    deliver(inbox_.back());
    return *this;
  }

  void deliver(const stored& s) {
    const detail::inbox_event ev{s.seq, s.ts_ms, s.data};
    for (std::uint32_t crashes = 0;;) {
      try {
        accept(s.seq, engine_->handle(ev, false));
        break;
      } catch (const effect_refused& e) {
        poison(ev, 1, e.what());
        break;
      } catch (const detail::body_error& e) {
        poison(ev, 1, e.what());
        break;
      } catch (const std::exception& e) {
        rebuild();
        if (++crashes >= opts_.kind.max_crashes_per_event) {
          poison(ev, crashes, e.what());
          break;
        }
      }
    }
    if (opts_.kind.snapshot_every != 0 && ++since_snapshot_ >= opts_.kind.snapshot_every) {
      snapshot_ = engine_->snapshot();
      since_snapshot_ = 0;
    }
    if (opts_.crash_after_every_event)
      crash_and_recover();
  }

  void poison(const detail::inbox_event& ev, std::uint32_t crashes, std::string error) {
    rebuild();
    poisoned_[ev.seq] = {crashes, error};
    accept(ev.seq, engine_->poison(ev, crashes, error, false));
  }

  void accept(seq_t seq, detail::outcome out) {
    digests_[seq] = out.digest;
    logs_.insert(logs_.end(), out.logs.begin(), out.logs.end());
    std::vector<detail::effect> own; // answers to itself (a call refused by a bound)
    for (auto& e : out.effects) {
      if (e.topic == engine_->session())
        own.push_back(e);
      effects_.push_back(std::move(e));
    }
    for (auto& e : own)
      append_data(std::move(e.data), std::move(e.idem));
  }

  /// A new engine from the newest snapshot, then every handled event replayed with its
  /// effects dropped; each must decide as it did.
  void rebuild() {
    auto fresh = make_engine();
    if (!snapshot_.empty() && !fresh->restore(snapshot_))
      throw std::logic_error{"the session's snapshot does not restore"};
    const auto last = digests_.empty() ? seq_t{0} : digests_.rbegin()->first;
    for (seq_t seq = fresh->applied_seq() + 1; seq <= last; ++seq) {
      const auto& s = inbox_[seq - 1];
      const detail::inbox_event ev{s.seq, s.ts_ms, s.data};
      auto p = poisoned_.find(seq);
      auto out = p == poisoned_.end() ? fresh->handle(ev, true)
                                      : fresh->poison(ev, p->second.crashes, p->second.error, true);
      if (out.digest != digests_.at(seq))
        throw std::logic_error{"event " + std::to_string(seq) + " of " + fresh->session() +
                               " decided differently on replay"};
    }
    engine_ = std::move(fresh);
  }

  std::string key_;
  test_kit_options opts_;
  std::int64_t now_ms_;
  std::unique_ptr<detail::session_engine> engine_;
  std::vector<stored> inbox_;
  std::set<std::string> idems_;
  std::map<seq_t, std::uint64_t> digests_;
  std::map<seq_t, poison_mark> poisoned_;
  std::string snapshot_;
  std::uint32_t since_snapshot_ = 0;
  std::uint64_t requests_ = 0;
  bool appended_ = false;
  std::vector<detail::effect> effects_;
  std::vector<std::string> logs_;
};

} // namespace switchyard::agents
