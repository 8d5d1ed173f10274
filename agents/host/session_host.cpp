#include "agents/host/session_host.hpp"

#include "actors/clock.hpp"
#include "actors/interfaces.hpp"
#include "actors/keyed_supervisor.hpp"
#include "actors/log.hpp"
#include "actors/node_context.hpp"
#include "actors/registry.hpp"
#include "actors/shard_map.hpp"
#include "actors/store_reader.hpp"
#include "agents/host/log.hpp"
#include "protocol/message.hpp"
#include "store/event_store.hpp"
#include "switchyard/agents/detail/envelope.hpp"
#include "switchyard/agents/detail/session_engine.hpp"

#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>

namespace switchyard::agents::host {

namespace {

using namespace std::chrono_literals;
using actors::checkpoint_atom;
using actors::fire_atom;
using actors::lookup_atom;
using actors::passivate_atom;
using actors::publish_atom;
using actors::read_atom;
using actors::retry_atom;
using actors::tick_atom;
using actors::wake_atom;
using steady = std::chrono::steady_clock;

/// One live session.
///   wake       (from the router) its inbox holds events up to this seq -> true (a
///              session that stopped meanwhile answers nothing, and the router tries again)
///   fire       (from itself) an armed timer, timeout or join deadline may be due
///   retry      (from itself) a read, a publish or a checkpoint failed a moment ago
///   passivate / tick  (from its supervisor) checkpoint and stop when idle; what is armed
///              stays in the checkpoint, and the router wakes the session when it is due
using session_actor = caf::typed_actor<caf::replies_to<wake_atom, uint64_t>::with<bool>,
                                       caf::reacts_to<fire_atom>, caf::reacts_to<retry_atom>,
                                       caf::reacts_to<passivate_atom>, caf::reacts_to<tick_atom>>;
using session_registry_actor = actors::supervisor_actor<session_actor>;

constexpr std::size_t read_chunk = 256;
/// A session handling a long run of events checkpoints its progress at least this often.
constexpr uint64_t checkpoint_every = 64;
/// While read events wait, a session decides up to this many effects before it publishes
/// them (in order, a topic run a batch): one commit then carries many events' effects.
constexpr std::size_t max_batched_effects = 256;
constexpr std::chrono::milliseconds retry_after{100};
/// A wake refused by the tenant's max_agent_sessions is tried again this much later.
constexpr std::chrono::milliseconds throttled_retry{200};

using kind_map = std::map<std::string, std::shared_ptr<const detail::kind_entry>, std::less<>>;

struct session_names {
  std::string tenant;
  std::string inbox; ///< agents/<kind>/<session>
  std::string kind;
  std::string key;
};

session_names split_key(const std::string& key) {
  auto topic = actors::split_topic_key(key);
  session_names names{std::move(topic.tenant), std::move(topic.topic), {}, {}};
  const auto first = names.inbox.find('/');
  const auto second = names.inbox.find('/', first + 1);
  names.kind = names.inbox.substr(first + 1, second - first - 1);
  names.key = names.inbox.substr(second + 1);
  return names;
}

struct session_state {
  actors::node_context* ctx = nullptr;
  std::shared_ptr<const detail::kind_entry> kind;
  session_names names;
  std::unique_ptr<detail::session_engine> engine;
  /// What the last checkpoint loaded says (store::agent_progress): the inbox events
  /// replay_from + 1 .. replay_until were handled and their effects stored, so they are
  /// replayed with effects suppressed and each decision checked against `expected`.
  bool loaded = false;
  uint64_t replay_from = 0;
  uint64_t replay_until = 0;
  std::vector<uint64_t> expected;
  /// The newest snapshot's seq, and the digests of the events handled since.
  uint64_t snapshot_seq = 0;
  std::vector<uint64_t> digests;
  bool snapshot_lost = false;            ///< a checkpoint with a snapshot failed: the next has one
  bool checkpointing = false;            ///< a checkpoint is on its way to the store
  uint64_t durable_applied = 0;          ///< applied seq as the store has it
  int64_t durable_due = 0;               ///< next_due_ms as the store has it
  uint64_t known_last = 0;               ///< the inbox holds events up to here (as last heard)
  bool started = false;                  ///< the first read answered
  bool reading = false;                  ///< a store read is on its way
  bool publishing = false;               ///< a publish (or its topic's look-up) is on its way
  bool retry_armed = false;              ///< a retry message is on its way
  std::deque<store::event_record> ready; ///< read, not yet handled
  /// Effects decided and not yet acknowledged by their topics, in order.
  std::deque<detail::effect> outstanding;
  /// Timer tokens whose firing was published but not yet handled.
  std::set<std::string> fired;
  int64_t fire_due_ms = 0; ///< when the armed `fire` message comes (0: none armed)
  std::unordered_map<std::string, actors::topic_actor> topics; ///< looked up, by name
  steady::time_point last_active = steady::now();
  bool stop_when_idle = false; ///< asked to passivate (by its supervisor)
  bool passivating = false;    ///< idle long enough: its last checkpoint is on its way
  /// Holds one of agents.max_concurrent_recoveries: from its first read until it has
  /// caught up with its inbox.
  bool recovering = false;
  bool recovered = false;

  session_state() = default;
  session_state(const session_state&) = delete;
  session_state& operator=(const session_state&) = delete;
  ~session_state() {
    if (ctx != nullptr) {
      --ctx->live_agent_sessions;
      if (recovering) {
        --ctx->recovering_agent_sessions;
      }
    }
  }

  static inline const char* name = "agent_session";

  std::string describe() const {
    return "tenant=" + actors::log_name(names.tenant) + " session=" + names.inbox;
  }
  bool idle() const {
    return !reading && !publishing && !checkpointing && ready.empty() && outstanding.empty() &&
           engine->applied_seq() >= known_last;
  }
  int64_t next_due_ms() const {
    const auto armed = engine->armed();
    return armed.empty() ? 0 : armed.front().due_ms;
  }
};

using session_pointer = session_actor::stateful_pointer<session_state>;

void step(session_pointer self);

void retry_soon(session_pointer self, std::chrono::milliseconds after = retry_after) {
  auto& st = self->state;
  if (!st.retry_armed) {
    st.retry_armed = true;
    self->delayed_send(self, after, retry_atom::value);
  }
}

/// Takes one of agents.max_concurrent_recoveries for the session's rebuild; false (and
/// a retry shortly) when all are taken.
bool begin_recovery(session_pointer self) {
  auto& st = self->state;
  auto& running = st.ctx->recovering_agent_sessions;
  const auto now = ++running;
  if (now > st.ctx->agent_bounds.max_concurrent_recoveries) {
    --running;
    retry_soon(self, 10ms);
    return false;
  }
  st.recovering = true;
  auto& peak = st.ctx->recovering_agent_sessions_peak;
  for (auto seen = peak.load(); seen < now && !peak.compare_exchange_weak(seen, now);) {
  }
  return true;
}

void end_recovery(session_pointer self) {
  auto& st = self->state;
  st.recovered = true;
  if (st.recovering) {
    st.recovering = false;
    --st.ctx->recovering_agent_sessions;
    log().debug("agent.recovered {} applied_seq={}", st.describe(), st.engine->applied_seq());
  }
}

/// Loads the session's checkpoint: restores its snapshot and learns which inbox events
/// to replay with effects suppressed. False (and a retry shortly) when the store is busy.
bool load_checkpoint(session_pointer self) {
  auto& st = self->state;
  std::optional<store::agent_record> rec;
  if (auto s = st.ctx->store->load_agent(st.names.tenant, st.names.inbox, rec); !s.ok()) {
    log().warn("agent.load_failed {} error=\"{}\"", st.describe(), s.message);
    retry_soon(self);
    return false;
  }
  st.loaded = true;
  if (!rec) {
    return true;
  }
  auto& p = rec->progress;
  if (p.snapshot_seq > 0 && (!rec->snapshot || !st.engine->restore(rec->snapshot->bytes))) {
    // Another kind version (or a lost record): start over from the inbox with effects on,
    // so that what was already published is dropped by its idem.
    log().warn("agent.snapshot_discarded {} seq={} reason=\"not a snapshot of this kind "
               "version\"",
               st.describe(), p.snapshot_seq);
    return true;
  }
  st.replay_from = st.snapshot_seq = p.snapshot_seq;
  st.replay_until = st.durable_applied = p.applied_seq;
  st.expected = std::move(p.digests);
  st.durable_due = p.next_due_ms;
  return true;
}

/// Stores how far the session got (and its snapshot when `full`, or every
/// snapshot_every events): only once every effect of the events it covers is stored.
/// False when the state outgrew max_state_bytes and the session quit.
bool checkpoint(session_pointer self, bool full) {
  auto& st = self->state;
  store::agent_write w;
  w.tenant = st.names.tenant;
  w.topic = st.names.inbox;
  const auto applied = st.engine->applied_seq();
  w.progress.applied_seq = applied;
  w.progress.next_due_ms = st.next_due_ms();
  const auto every = st.kind->options.snapshot_every;
  if (full || st.snapshot_lost || (every > 0 && applied - st.snapshot_seq >= every)) {
    try {
      w.snapshot = store::agent_snapshot{applied, st.engine->snapshot()};
    } catch (const effect_refused& e) {
      log().error("agent.failed {} seq={} error=\"{}\"", st.describe(), applied, e.what());
      self->quit(actors::make_failure(actors::failure::overloaded, e.what()));
      return false;
    }
    st.snapshot_seq = applied;
    st.digests.clear();
    st.snapshot_lost = false;
  }
  w.progress.snapshot_seq = st.snapshot_seq;
  w.progress.digests = st.digests;
  const bool with_snapshot = w.snapshot.has_value();
  const auto due = w.progress.next_due_ms;
  st.checkpointing = true;
  auto writer = caf::actor_cast<actors::store_writer_actor>(st.ctx->writer);
  self->request(writer, caf::infinite, checkpoint_atom::value, std::move(w))
      .then(
          [=](bool) {
            auto& s = self->state;
            s.checkpointing = false;
            s.durable_applied = std::max(s.durable_applied, applied);
            s.durable_due = due;
            step(self);
          },
          [=](caf::error& err) {
            auto& s = self->state;
            s.checkpointing = false;
            s.snapshot_lost = s.snapshot_lost || with_snapshot;
            log().warn("agent.checkpoint_failed {} applied_seq={} error=\"{}\"", s.describe(),
                       applied, actors::failure_message(err, self->system().render(err)));
            retry_soon(self);
          });
  return true;
}

/// Keeps the decision digest of a handled event; for a replayed one, checks it against
/// the digest stored when it first ran. False when the session stops on a divergence.
bool record_digest(session_pointer self, uint64_t seq, uint64_t digest, bool replaying) {
  auto& st = self->state;
  while (st.snapshot_seq + st.digests.size() + 1 < seq) {
    st.digests.push_back(0); // a seq never handled (expired before it was read)
  }
  st.digests.push_back(digest);
  if (!replaying || seq <= st.replay_from || seq - st.replay_from > st.expected.size()) {
    return true;
  }
  const auto stored = st.expected[seq - st.replay_from - 1];
  if (stored == digest) {
    return true;
  }
  ++st.ctx->metrics.agent_divergences_total;
  const bool keep_going = st.ctx->agent_bounds.keep_going_on_divergence;
  log().warn("agent.diverged {} seq={} stored_digest={:016x} replayed_digest={:016x} "
             "on_divergence={}",
             st.describe(), seq, stored, digest, keep_going ? "continue" : "stop");
  if (!keep_going) {
    self->quit(actors::make_failure(actors::failure::bad_request,
                                    "event " + std::to_string(seq) +
                                        " decided differently when replayed"));
  }
  return keep_going;
}

void read_more(session_pointer self) {
  auto& st = self->state;
  if (!st.recovered && !st.recovering && !begin_recovery(self)) {
    return;
  }
  st.reading = true;
  actors::read_request req;
  req.what = actors::read_request::kind::events;
  req.tenant = st.names.tenant;
  req.topic = st.names.inbox;
  req.from_seq = st.engine->applied_seq() + 1;
  req.limit = read_chunk;
  req.max_bytes = std::size_t{4} << 20;
  auto reader = actors::reader_for(*st.ctx, self->id());
  self->request(reader, caf::infinite, read_atom::value, std::move(req))
      .then(
          [=](actors::read_result& result) {
            auto& s = self->state;
            s.reading = false;
            if (!result.status.ok()) {
              log().warn("agent.read_failed {} error=\"{}\"", s.describe(), result.status.message);
              return retry_soon(self);
            }
            s.started = true;
            if (result.page.events.empty()) {
              s.known_last = s.engine->applied_seq(); // nothing stored beyond, for now
            }
            for (auto& ev : result.page.events) {
              s.known_last = std::max(s.known_last, ev.seq);
              s.ready.push_back(std::move(ev));
            }
            step(self);
          },
          [=](caf::error& err) {
            auto& s = self->state;
            s.reading = false;
            log().warn("agent.read_failed {} error=\"{}\"", s.describe(),
                       self->system().render(err));
            retry_soon(self);
          });
}

/// Runs the handler on the next read event: replayed with its effects suppressed when the
/// checkpoint says they are stored, else as new. A handler that throws is run again from
/// the state before the event (what a rebuild by replay gives, test_kit checks that), up
/// to max_crashes_per_event times; then, or at once for a refused effect or a body that
/// does not decode, the event is dead-lettered.
/// False when the session failed (its state outgrew max_state_bytes, or it stops on a
/// divergence) and quits.
bool handle_next(session_pointer self) {
  auto& st = self->state;
  auto ev = std::move(st.ready.front());
  st.ready.pop_front();
  if (ev.seq <= st.engine->applied_seq()) {
    return true;
  }
  const detail::inbox_event in{ev.seq, ev.ts_ms, ev.data};
  const bool replaying = ev.seq <= st.replay_until;
  std::string before;
  try {
    before = st.engine->snapshot();
  } catch (const effect_refused& e) {
    log().error("agent.failed {} seq={} error=\"{}\"", st.describe(), ev.seq, e.what());
    self->quit(actors::make_failure(actors::failure::overloaded, e.what()));
    return false;
  }
  detail::outcome out;
  for (uint32_t crashes = 0;;) {
    std::string error;
    bool at_once = false;
    try {
      out = st.engine->handle(in, replaying);
      break;
    } catch (const effect_refused& e) {
      error = e.what();
      at_once = true;
    } catch (const detail::body_error& e) {
      error = e.what();
      at_once = true;
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "an exception that is not a std::exception";
    }
    st.engine->restore(before);
    ++crashes;
    if (!replaying) {
      log().warn("agent.handler_failed {} seq={} attempt={} error=\"{}\"", st.describe(), ev.seq,
                 crashes, error);
    }
    if (at_once || crashes >= st.kind->options.max_crashes_per_event) {
      out = st.engine->poison(in, crashes, error, replaying);
      if (!replaying) {
        log().warn("agent.dead_letter {} seq={} attempts={}", st.describe(), ev.seq, crashes);
      }
      break;
    }
  }
  if (!record_digest(self, ev.seq, out.digest, replaying)) {
    return false;
  }
  if (replaying) {
    return true; // its effects are stored already
  }
  for (const auto& line : out.logs) {
    log().info("agent.log {} seq={} text=\"{}\"", st.describe(), ev.seq, line);
  }
  if (!out.dropped.empty()) {
    log().debug("agent.dropped {} seq={} why=\"{}\"", st.describe(), ev.seq, out.dropped);
  }
  for (auto& e : out.effects) {
    if (e.kind == detail::effect::what::dead_letter) {
      ++st.ctx->metrics.dead_letters_total;
    }
    st.outstanding.push_back(std::move(e));
  }
  // A fired token the engine no longer arms was handled (or cancelled).
  std::set<std::string> armed;
  for (const auto& a : st.engine->armed()) {
    armed.insert(a.token);
  }
  std::erase_if(st.fired, [&](const std::string& t) { return !armed.contains(t); });
  return true;
}

/// Publishes the leading run of outstanding effects that go to one topic, as one batch;
/// the rest waits for its acknowledgement, so effects land in the order decided.
void publish_next(session_pointer self) {
  auto& st = self->state;
  const auto topic = st.outstanding.front().topic;
  auto batch = std::make_shared<actors::publish_batch>();
  for (const auto& e : st.outstanding) {
    if (e.topic != topic) {
      break;
    }
    batch->events.push_back({e.data, e.key, e.idem, 0});
  }
  const auto count = batch->events.size();
  st.publishing = true;
  auto failed = [=](const caf::error& err) {
    auto& s = self->state;
    s.publishing = false;
    s.topics.erase(topic);
    log().warn("agent.publish_failed {} topic={} error=\"{}\"", s.describe(), topic,
               actors::failure_message(err, self->system().render(err)));
    retry_soon(self);
  };
  auto publish = [=](const actors::topic_actor& handle) {
    self->request(handle, caf::infinite, publish_atom::value, batch)
        .then(
            [=](const actors::publish_acks& acks) {
              auto& s = self->state;
              std::size_t taken = 0;
              while (taken < acks.events.size() && !acks.events[taken].refused) {
                ++taken;
              }
              s.publishing = false;
              s.outstanding.erase(s.outstanding.begin(),
                                  s.outstanding.begin() + static_cast<std::ptrdiff_t>(taken));
              if (taken < count) {
                return failed(actors::make_failure(actors::failure::overloaded,
                                                   "topic '" + topic + "' is full"));
              }
              step(self);
            },
            [=](caf::error& err) { failed(err); });
  };
  if (auto it = st.topics.find(topic); it != st.topics.end()) {
    return publish(it->second);
  }
  auto registry = caf::actor_cast<actors::registry_actor>(st.ctx->registry);
  self->request(registry, caf::infinite, lookup_atom::value,
                actors::topic_key(st.names.tenant, topic))
      .then(
          [=](const actors::topic_actor& handle) {
            self->state.topics[topic] = handle;
            publish(handle);
          },
          [=](caf::error& err) { failed(err); });
}

/// Arms one `fire` message for the earliest armed token whose firing is not yet out.
void arm_timer(session_pointer self) {
  auto& st = self->state;
  for (const auto& a : st.engine->armed()) {
    if (st.fired.contains(a.token)) {
      continue;
    }
    if (st.fire_due_ms != 0 && st.fire_due_ms <= a.due_ms) {
      return; // one already comes in time
    }
    st.fire_due_ms = a.due_ms;
    const auto delay = std::max<int64_t>(0, a.due_ms - actors::now_ms());
    self->delayed_send(self, std::chrono::milliseconds(delay), fire_atom::value);
    return;
  }
}

/// Appends {type: "timer", corr} to the inbox for every due token: the timer's outcome
/// is then an inbox event like any other, in order with the rest.
void fire_due(session_pointer self) {
  auto& st = self->state;
  st.fire_due_ms = 0;
  const auto now = actors::now_ms();
  for (const auto& a : st.engine->armed()) {
    if (a.due_ms > now) {
      break;
    }
    if (!st.fired.insert(a.token).second) {
      continue;
    }
    detail::effect e;
    e.topic = st.names.inbox;
    e.data = detail::encode_inbox({.type = "timer", .corr = a.token});
    e.idem = a.token + ":fire";
    st.outstanding.push_back(std::move(e));
  }
  step(self);
}

/// Passivates an idle session: first a checkpoint with a snapshot (so it comes back
/// without replay), then, with something armed, the router is told when to wake it.
void stop_if_idle(session_pointer self, bool asked) {
  auto& st = self->state;
  const auto idle_for = steady::now() - st.last_active;
  if (!st.idle() || (!asked && idle_for < st.kind->options.idle)) {
    return;
  }
  const auto applied = st.engine->applied_seq();
  const auto due = st.next_due_ms();
  if (st.snapshot_seq < applied || st.durable_applied < applied || st.durable_due != due) {
    // The checkpoint's answer steps here again.
    (asked ? st.stop_when_idle : st.passivating) = true;
    checkpoint(self, true);
    return;
  }
  if (due != 0) {
    caf::anon_send(st.ctx->agents, fire_atom::value,
                   actors::topic_key(st.names.tenant, st.names.inbox), due);
  }
  log().debug("agent.passivated {} applied_seq={} next_due_ms={}", st.describe(), applied, due);
  self->quit();
}

/// Does the next thing: publish what was decided (once the read events are handled, or
/// max_batched_effects are waiting), handle the next read event, read more, or (caught
/// up) checkpoint and arm the next timer. A crash between an event and its effects'
/// publish is safe: the checkpoint covers only events whose effects are all stored, and a
/// rebuild decides the later ones again with the same tokens.
void step(session_pointer self) {
  auto& st = self->state;
  if (!st.loaded && !load_checkpoint(self)) {
    return;
  }
  while (!st.reading && !st.publishing) {
    if (!st.outstanding.empty() &&
        (st.ready.empty() || st.outstanding.size() >= max_batched_effects)) {
      return publish_next(self);
    }
    // Every effect decided so far is stored: a long run checkpoints on its way.
    if (st.outstanding.empty() && !st.checkpointing &&
        st.engine->applied_seq() >= st.durable_applied + checkpoint_every &&
        !checkpoint(self, false)) {
      return;
    }
    if (!st.ready.empty()) {
      if (!handle_next(self)) {
        return;
      }
      st.last_active = steady::now();
      continue;
    }
    if (!st.started || st.engine->applied_seq() < st.known_last) {
      return read_more(self);
    }
    if (!st.recovered) {
      end_recovery(self);
    }
    if (!st.checkpointing && st.engine->applied_seq() > st.durable_applied &&
        !checkpoint(self, false)) {
      return;
    }
    arm_timer(self);
    if (st.stop_when_idle || st.passivating) {
      st.passivating = false;
      stop_if_idle(self, st.stop_when_idle);
    }
    return;
  }
}

session_actor::behavior_type session_init(session_pointer self, actors::node_context* ctx,
                                          std::shared_ptr<const detail::kind_entry> kind,
                                          session_names names, std::string token_key) {
  auto& st = self->state;
  st.ctx = ctx;
  ++ctx->live_agent_sessions; // until the state goes (~session_state)
  st.kind = std::move(kind);
  st.names = std::move(names);
  st.engine = std::make_unique<detail::session_engine>(st.kind->make(), st.names.key,
                                                       st.kind->options, std::move(token_key));
  log().debug("agent.started {}", st.describe());
  step(self);
  return {
      [=](wake_atom, uint64_t seq) {
        auto& s = self->state;
        // A session asked to passivate still does, once it has handled what is new: the
        // supervisor no longer lists it, and a quota waits for it.
        s.known_last = std::max(s.known_last, seq);
        step(self);
        return true;
      },
      [=](fire_atom) { fire_due(self); },
      [=](retry_atom) {
        self->state.retry_armed = false;
        step(self);
      },
      [=](passivate_atom) {
        self->state.stop_when_idle = true;
        stop_if_idle(self, true);
      },
      [=](tick_atom) { stop_if_idle(self, false); },
  };
}

struct router_state {
  actors::node_context* ctx = nullptr;
  kind_map kinds;
  session_registry_actor sessions;
  std::string cursor;     ///< where the start-up scan of stored inboxes goes on
  uint64_t scanned = 0;   ///< inboxes of registered kinds the scan looked at
  uint64_t woken = 0;     ///< of those, woken because they hold events not yet applied
  uint64_t scheduled = 0; ///< or to be woken when their earliest timer is due
  static inline const char* name = "agent_router";
};

/// Whether this node runs the session of inbox `key`: alone, always; in a cluster, while
/// it serves the inbox's shard.
bool served_here(const actors::node_context& ctx, const std::string& key) {
  return ctx.shards == nullptr || ctx.shards->serves(actors::shard_of_key(key));
}

/// Wakes the session of `key`, starting it if it is not running.
void wake(caf::stateful_actor<router_state>* self, const std::string& key, uint64_t seq) {
  if (!served_here(*self->state.ctx, key)) {
    return; // in a cluster, its shard's owner runs it
  }
  self->request(self->state.sessions, caf::infinite, lookup_atom::value, key)
      .then(
          [=](const session_actor& session) {
            self->request(session, caf::infinite, wake_atom::value, seq)
                .then([](bool) {},
                      [=](caf::error&) {
                        // It passivated before the wake reached it: its supervisor
                        // starts it afresh once it has seen it go.
                        self->delayed_send(self, 10ms, wake_atom::value, key, seq);
                      });
          },
          [=](caf::error& err) {
            if (actors::failure_of(err) == actors::failure::throttled) {
              // Past the tenant's max_agent_sessions: its idle sessions were asked to
              // passivate, and the event waits in the inbox until one did.
              log().debug("agent.wake_throttled session={} seq={}", split_key(key).inbox, seq);
              self->delayed_send(self, throttled_retry, wake_atom::value, key, seq);
              return;
            }
            log().warn("agent.wake_failed session={} seq={} error=\"{}\"", split_key(key).inbox,
                       seq, actors::failure_message(err, self->system().render(err)));
          });
}

/// Wakes the session of `key` when `due_ms` comes (it passivated with a timer armed).
void wake_at(caf::stateful_actor<router_state>* self, const std::string& key, int64_t due_ms) {
  const auto delay = std::max<int64_t>(0, due_ms - actors::now_ms());
  self->delayed_send(self, std::chrono::milliseconds(delay), wake_atom::value, key, uint64_t{0});
}

/// One page of the scan of stored inboxes (at start-up; in a cluster also after the node
/// claimed shards), by their checkpoints: a session
/// whose inbox holds events it has not applied is woken now, one with a timer armed when
/// it is due; the others stay passivated until their next event.
void scan_page(caf::stateful_actor<router_state>* self) {
  auto& st = self->state;
  if (st.cursor.empty()) {
    st.scanned = st.woken = st.scheduled = 0; // a scan begins (again, in a cluster)
  }
  store::topic_page page;
  auto status = st.ctx->store->list_topics(std::nullopt, "agents/", st.cursor, 1000, page);
  if (!status.ok()) {
    log().warn("agent.scan_failed error=\"{}\"", status.message);
    return;
  }
  for (const auto& t : page.topics) {
    auto kind = protocol::agent_inbox_kind(t.topic);
    if (!kind || !st.kinds.contains(*kind) || t.last_seq == 0) {
      continue;
    }
    const auto key = actors::topic_key(t.tenant, t.topic);
    if (!served_here(*st.ctx, key)) {
      continue;
    }
    ++st.scanned;
    std::optional<store::agent_record> rec;
    status = st.ctx->store->load_agent(t.tenant, t.topic, rec);
    if (!status.ok() || !rec || rec->progress.applied_seq < t.last_seq) {
      ++st.woken;
      wake(self, key, t.last_seq);
    } else if (rec->progress.next_due_ms != 0) {
      ++st.scheduled;
      wake_at(self, key, rec->progress.next_due_ms);
    }
  }
  st.cursor = page.next;
  if (!st.cursor.empty()) {
    self->send(self, tick_atom::value);
  } else if (st.scanned > 0) {
    log().info("agent.scanned inboxes={} woken={} timers={}", st.scanned, st.woken, st.scheduled);
  }
}

caf::behavior router_init(caf::stateful_actor<router_state>* self, actors::node_context* ctx,
                          kind_map kinds, session_registry_actor sessions) {
  auto& st = self->state;
  st.ctx = ctx;
  st.kinds = std::move(kinds);
  st.sessions = std::move(sessions);
  self->send(self, tick_atom::value);
  return {
      [=](wake_atom, const std::string& key, uint64_t seq) {
        const auto names = split_key(key);
        if (self->state.kinds.contains(names.kind)) {
          wake(self, key, seq);
        }
      },
      [=](fire_atom, const std::string& key, int64_t due_ms) { wake_at(self, key, due_ms); },
      [=](tick_atom) { scan_page(self); },
  };
}

/// The kind with its bounds capped by the node's agents.* ceilings (logged when one is).
std::shared_ptr<const detail::kind_entry> capped(std::shared_ptr<const detail::kind_entry> kind,
                                                 const actors::agent_limits& node) {
  auto entry = *kind;
  auto& o = entry.options;
  bool changed = false;
  auto cap = [&](auto& field, int64_t ceiling, const char* option) {
    using field_type = std::remove_reference_t<decltype(field)>;
    if (static_cast<int64_t>(field) > ceiling) {
      log().warn("agent.kind_capped kind={} option={} asked={} capped_to={}", entry.name, option,
                 field, ceiling);
      field = static_cast<field_type>(ceiling);
      changed = true;
    }
  };
  cap(o.max_crashes_per_event, node.max_crashes_per_event, "agents.max_crashes_per_event");
  cap(o.max_state_bytes, node.max_state_bytes, "agents.max_state_bytes");
  cap(o.max_hops_per_turn, node.max_hops_per_turn, "agents.max_hops_per_turn");
  cap(o.max_fan_out, node.max_fan_out, "agents.max_fan_out");
  return changed ? std::make_shared<const detail::kind_entry>(std::move(entry)) : kind;
}

} // namespace

agent_host spawn_agent_host(caf::actor_system& sys, actors::node_context& ctx,
                            std::vector<std::shared_ptr<const detail::kind_entry>> kinds) {
  kind_map by_name;
  std::chrono::milliseconds shortest_idle{std::numeric_limits<int64_t>::max()};
  for (auto& k : kinds) {
    k = capped(std::move(k), ctx.agent_bounds);
    shortest_idle = std::min(shortest_idle, k->options.idle);
    by_name.emplace(k->name, std::move(k));
  }
  actors::keyed_supervisor_spec<session_actor> spec;
  spec.kind = "agent session";
  spec.policy = ctx.restarts;
  spec.max_live = static_cast<std::size_t>(ctx.agent_bounds.max_live_sessions);
  // A session stops between idle and 1.5 x idle after its last event.
  spec.tick_interval = std::max(std::chrono::milliseconds{1}, shortest_idle / 2);
  // Effect tokens are keyed with a secret derived from the store's own key: stable
  // across restarts (replay names its effects the same way), unknown to clients.
  auto token_key = effect_token("switchyard agent effect tokens", ctx.store->session_key());
  spec.spawn = [&ctx, by_name, token_key](caf::local_actor* self, const std::string& key) {
    auto names = split_key(key);
    auto kind = by_name.at(names.kind);
    return self->spawn<caf::monitored>(session_init, &ctx, std::move(kind), std::move(names),
                                       token_key);
  };
  spec.describe = [](const std::string& key) {
    auto names = split_key(key);
    return "tenant=" + actors::log_name(names.tenant) + " session=" + names.inbox;
  };
  spec.owner = actors::tenant_of_key;
  spec.quota = [&ctx](const std::string& tenant) {
    return ctx.tenant_policy.get()->limits_of(tenant).max_agent_sessions;
  };
  spec.quota_name = "max_agent_sessions";
  auto sessions = sys.spawn(actors::keyed_supervisor<session_actor>, std::move(spec));
  auto router = sys.spawn(router_init, &ctx, std::move(by_name), sessions);
  return {router, caf::actor_cast<caf::actor>(sessions)};
}

} // namespace switchyard::agents::host
