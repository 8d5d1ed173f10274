#include "actors/queue_group.hpp"

#include "actors/clock.hpp"
#include "actors/failure.hpp"
#include "actors/group_window.hpp"
#include "actors/keyed_supervisor.hpp"
#include "actors/log.hpp"
#include "actors/node_context.hpp"
#include "actors/registry.hpp"
#include "actors/shard_map.hpp"
#include "actors/slow_down_level.hpp"
#include "actors/store_reader.hpp"
#include "protocol/codec.hpp"
#include "store/event_store.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/all.hpp>

namespace switchyard::actors {

namespace {

/// Most events read from the store in one go.
constexpr std::size_t read_chunk = 1024;
/// Pause before trying again what failed (a dead letter not stored, a topic restarting).
constexpr int64_t retry_after_ms = 500;

struct member_info {
  caf::actor actor;
  int64_t ack_wait_ms = 0;
};

struct group_actor_state {
  node_context* ctx = nullptr;
  group_names_ptr names;
  group_window window{group_window_capacity, 5};
  /// The group exists (stored, or created by its first join).
  bool exists = false;
  int64_t created_ms = 0;
  int64_t active_ms = 0;
  /// When a write last stored active_ms as "now" (a group with members refreshes it, so
  /// the sweeper never takes it for inactive).
  int64_t active_written_ms = 0;
  std::unordered_map<group_window::member_id, member_info> members;
  topic_actor topic; ///< null while (re)attaching
  uint64_t topic_last = 0;
  int lag_level = 0;        ///< the slow_down level of its lag the topic was last told
  uint64_t lag_counted = 0; ///< its lag as added to metrics.queue_lag
  bool reading = false;
  bool writing = false;
  /// Run once the next state write is durable (nullptr error) or failed.
  std::vector<std::function<void(const caf::error*)>> after_next_write;
  int64_t timer_at = 0; ///< when the pending retry message fires (0: none)
  std::size_t dead_in_flight = 0;
  std::chrono::steady_clock::time_point last_active = std::chrono::steady_clock::now();
  bool stop_when_idle = false;
  bool dispatch_scheduled = false; ///< a flush message to itself is on its way
  group_actor_state() = default;
  group_actor_state(const group_actor_state&) = delete;
  group_actor_state& operator=(const group_actor_state&) = delete;
  ~group_actor_state() {
    if (ctx != nullptr) {
      ctx->metrics.queue_lag -= static_cast<int64_t>(lag_counted);
    }
  }
  static inline const char* name = "queue-group";
};

using group_pointer = group_actor::stateful_pointer<group_actor_state>;

void tell(group_pointer self, const caf::actor& who, caf::message msg) {
  who->enqueue(caf::strong_actor_ptr{self->ctrl()}, caf::make_message_id(), std::move(msg),
               self->context());
}

std::string describe(const group_names& n) {
  return "tenant=" + log_name(n.tenant) + " topic=" + n.topic + " group=" + n.group;
}

void fetch(group_pointer self);
void dispatch(group_pointer self);

/// Tells the topic when the group's lag (published, not yet acked) crossed a level of
/// groups.lag_watermark: the topic's publishers hear it with their acks.
void report_lag(group_pointer self) {
  auto& st = self->state;
  const auto lag = st.topic_last > st.window.floor() ? st.topic_last - st.window.floor() : 0;
  st.ctx->metrics.queue_lag += static_cast<int64_t>(lag) - static_cast<int64_t>(st.lag_counted);
  st.lag_counted = lag;
  const auto watermark = st.ctx->groups.lag_watermark;
  if (watermark <= 0 || !st.topic) {
    return;
  }
  const int level =
      slow_down_level(static_cast<double>(lag) / static_cast<double>(watermark), st.lag_level);
  if (level != st.lag_level) {
    st.lag_level = level;
    log().info("group.lag {} lag={} level={}", describe(*st.names), lag, level);
    self->send(st.topic, slow_atom::value, static_cast<int32_t>(level));
  }
}

/// Dispatches after the messages already in the mailbox (acks of other members, more
/// commits): members then get their events in fewer, larger messages and frames.
void dispatch_soon(group_pointer self) {
  if (!self->state.dispatch_scheduled) {
    self->state.dispatch_scheduled = true;
    self->send(self, flush_atom::value);
  }
}
void persist(group_pointer self);

/// A retry message at `at` (wall ms) unless one fires earlier anyway.
void arm(group_pointer self, int64_t at) {
  auto& st = self->state;
  if (st.timer_at != 0 && st.timer_at <= at) {
    return;
  }
  st.timer_at = at;
  const auto delay = std::max<int64_t>(at - now_ms(), 1);
  self->delayed_send(self, std::chrono::milliseconds(delay), retry_atom::value);
}

bool idle(const group_actor_state& st) {
  return st.members.empty() && st.window.inflight() == 0 && !st.writing && !st.reading &&
         st.dead_in_flight == 0 && st.after_next_write.empty();
}

void stop_if_asked(group_pointer self) {
  auto& st = self->state;
  if (st.stop_when_idle && idle(st) && !st.window.dirty()) {
    if (st.topic) {
      self->send(st.topic, detach_atom::value);
    }
    self->quit();
  }
}

/// Writes the window's state when it changed and no write is in flight; what waits for
/// durability (ack replies, a new group's join) runs once that write is.
void persist(group_pointer self) {
  auto& st = self->state;
  if (st.writing || !st.exists || (!st.window.dirty() && st.after_next_write.empty())) {
    return;
  }
  st.writing = true;
  auto waiting = std::move(st.after_next_write);
  st.after_next_write.clear();
  auto state = st.window.snapshot();
  state.created_ms = st.created_ms;
  if (!st.members.empty()) {
    st.active_written_ms = now_ms();
    st.active_ms = st.active_written_ms;
  }
  state.active_ms = st.active_ms;
  store::group_write write{st.names->tenant, st.names->topic, st.names->group, std::move(state)};
  auto writer = caf::actor_cast<store_writer_actor>(st.ctx->writer);
  self->request(writer, caf::infinite, group_atom::value, std::move(write))
      .then(
          [=](bool) {
            self->state.writing = false;
            for (auto& fn : waiting) {
              fn(nullptr);
            }
            persist(self);
            stop_if_asked(self);
          },
          [=](caf::error& err) {
            auto& s = self->state;
            s.writing = false;
            log().warn("group.write_failed {} error=\"{}\"", describe(*s.names),
                       self->system().render(err));
            for (auto& fn : waiting) {
              fn(&err);
            }
            arm(self, now_ms() + retry_after_ms); // the state is written again then
          });
}

/// Sends each member its new events in one message.
void deliver(group_pointer self, std::vector<group_window::delivery>& out) {
  auto& st = self->state;
  if (out.empty()) {
    return;
  }
  const auto now = now_ms();
  int64_t first_due = INT64_MAX;
  std::unordered_map<group_window::member_id, queued_batch> batches;
  st.ctx->metrics.queue_deliveries_total.fetch_add(out.size(), std::memory_order_relaxed);
  for (auto& d : out) {
    if (d.attempt > 1) {
      st.ctx->metrics.redeliveries_total.fetch_add(1, std::memory_order_relaxed);
    }
    auto& b = batches[d.member];
    if (!b.names) {
      b.names = st.names;
    }
    b.events.push_back({std::move(d.event), d.attempt});
    if (auto it = st.members.find(d.member); it != st.members.end()) {
      first_due = std::min(first_due, now + it->second.ack_wait_ms);
    }
  }
  for (auto& [id, batch] : batches) {
    if (auto it = st.members.find(id); it != st.members.end()) {
      tell(self, it->second.actor, caf::make_message(queued_atom::value, std::move(batch)));
    }
  }
  if (first_due != INT64_MAX) {
    arm(self, first_due);
  }
}

void dead_letter(group_pointer self, group_window::dead_letter dl);

/// Hands out what waits, sends the dying to dead/<topic>, reads ahead, and writes the
/// state when it changed.
void dispatch(group_pointer self) {
  auto& st = self->state;
  std::vector<group_window::delivery> out;
  st.window.dispatch(now_ms(), out);
  deliver(self, out);
  for (auto& dl : st.window.take_dead()) {
    dead_letter(self, std::move(dl));
  }
  fetch(self);
  persist(self);
  report_lag(self);
}

void dead_letter(group_pointer self, group_window::dead_letter dl) {
  auto& st = self->state;
  ++st.dead_in_flight;
  const auto& ev = *dl.event;
  auto batch = std::make_shared<publish_batch>();
  batch->events.push_back({protocol::encode_dead_letter(st.names->topic, ev.seq, st.names->group,
                                                        dl.attempts, ev.data, dl.last_error),
                           ev.key, "", 0});
  const auto seq = ev.seq;
  auto registry = caf::actor_cast<registry_actor>(st.ctx->registry);
  auto dead_topic = protocol::dead_letter_topic(st.names->topic);
  auto failed = [=](const caf::error& err) {
    auto& s = self->state;
    --s.dead_in_flight;
    log().warn("group.dead_letter_failed {} seq={} error=\"{}\"", describe(*s.names), seq,
               self->system().render(err));
    s.window.release_dead(seq);
    arm(self, now_ms() + retry_after_ms);
  };
  self->request(registry, caf::infinite, lookup_atom::value,
                topic_key(st.names->tenant, dead_topic))
      .then(
          [=](const topic_actor& topic) {
            self->request(topic, caf::infinite, publish_atom::value, batch)
                .then(
                    [=](const publish_acks& acks) {
                      if (acks.events.empty() || acks.events.front().refused) {
                        return failed(make_failure(failure::overloaded, "dead-letter topic full"));
                      }
                      auto& s = self->state;
                      --s.dead_in_flight;
                      log().info("group.dead_letter {} seq={} dead_seq={}", describe(*s.names), seq,
                                 acks.events.front().seq);
                      s.window.dead_lettered(seq);
                      ++s.ctx->metrics.dead_letters_total;
                      dispatch(self);
                      stop_if_asked(self);
                    },
                    [=](caf::error& err) { failed(err); });
          },
          [=](caf::error& err) { failed(err); });
}

/// Reads the next events from the store while the window has room.
void fetch(group_pointer self) {
  auto& st = self->state;
  if (st.reading || !st.exists || st.window.room() == 0 || st.window.next_seq() > st.topic_last) {
    return;
  }
  st.reading = true;
  read_request req;
  req.what = read_request::kind::events;
  req.tenant = st.names->tenant;
  req.topic = st.names->topic;
  req.from_seq = st.window.next_seq();
  req.limit = std::min(st.window.room(), read_chunk);
  req.max_bytes = std::size_t{4} << 20;
  auto reader = reader_for(*st.ctx, self->id());
  self->request(reader, caf::infinite, read_atom::value, std::move(req))
      .then(
          [=](read_result& result) {
            auto& s = self->state;
            s.reading = false;
            if (!result.status.ok()) {
              log().warn("group.read_failed {} error=\"{}\"", describe(*s.names),
                         result.status.message);
              return arm(self, now_ms() + retry_after_ms);
            }
            if (result.page.events.empty()) {
              return; // nothing stored beyond (the topic told of a seq it then lost)
            }
            for (auto& ev : result.page.events) {
              s.window.add(std::move(ev));
            }
            dispatch(self);
          },
          [=](caf::error& err) {
            auto& s = self->state;
            s.reading = false;
            log().warn("group.read_failed {} error=\"{}\"", describe(*s.names),
                       self->system().render(err));
            arm(self, now_ms() + retry_after_ms);
          });
}

/// Joins the topic, so the group hears of each commit; tried again while it restarts.
void attach(group_pointer self) {
  auto& st = self->state;
  auto registry = caf::actor_cast<registry_actor>(st.ctx->registry);
  auto retry = [=](caf::error&) { arm(self, now_ms() + retry_after_ms); };
  self->request(registry, caf::infinite, lookup_atom::value,
                topic_key(st.names->tenant, st.names->topic))
      .then(
          [=](const topic_actor& topic) {
            self->request(topic, caf::infinite, attach_atom::value)
                .then(
                    [=](uint64_t last) {
                      auto& s = self->state;
                      s.topic = topic;
                      s.lag_level = 0; // what the restarted topic knows
                      self->monitor(topic);
                      s.topic_last = std::max(s.topic_last, last);
                      dispatch(self);
                    },
                    retry);
          },
          retry);
}

void remove_member(group_pointer self, group_window::member_id id) {
  auto& st = self->state;
  auto it = st.members.find(id);
  if (it == st.members.end()) {
    return;
  }
  self->demonitor(it->second.actor);
  st.members.erase(it);
  const auto released = st.window.remove_member(id);
  if (st.members.empty()) {
    st.active_ms = now_ms();
    st.last_active = std::chrono::steady_clock::now();
  }
  log().debug("group.member_left {} member={} released={}", describe(*st.names), id, released);
  dispatch(self);
}

/// The first join of a group that does not exist: it starts after the topic's last
/// seq, or where `from` says.
void create(group_pointer self, const group_join& join) {
  auto& st = self->state;
  uint64_t floor = st.topic_last;
  if (join.from) {
    using kind = protocol::start_position::kind;
    const auto value = static_cast<uint64_t>(std::max<int64_t>(join.from->value, 0));
    floor = join.from->from == kind::last
                ? (value >= st.topic_last ? 0 : st.topic_last - value)
                : std::min(std::max<uint64_t>(value, 1) - 1, st.topic_last);
  }
  st.window.start_at(floor);
  st.exists = true;
  st.created_ms = now_ms();
  st.active_ms = st.created_ms;
  log().info("group.created {} floor={}", describe(*st.names), floor);
}

group_actor::behavior_type group_behavior(group_pointer self) {
  return {
      [=](join_atom, const group_join& join) -> caf::result<group_joined> {
        auto& st = self->state;
        if (st.exists && join.from) {
          return make_failure(failure::bad_request, "group '" + st.names->group +
                                                        "' exists: 'from' applies only to "
                                                        "a new group");
        }
        const bool created = !st.exists;
        if (created) {
          create(self, join);
        }
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        auto rp = self->make_response_promise<group_joined>();
        // The member gets events only after its reply, so none precedes it.
        auto admit = [=]() mutable {
          auto& s = self->state;
          const auto id = sender.id();
          if (s.members.count(id) == 0) {
            self->monitor(sender);
          }
          s.members[id] = {sender, join.ack_wait_ms};
          s.window.add_member(id, join.max_inflight, join.ack_wait_ms);
          s.last_active = std::chrono::steady_clock::now();
          s.stop_when_idle = false;
          log().debug("group.member_joined {} member={} members={}", describe(*s.names), id,
                      s.members.size());
          rp.deliver(
              group_joined{s.topic_last, s.topic_last - std::min(s.topic_last, s.window.floor())});
          dispatch(self);
        };
        if (!created) {
          admit();
          return rp;
        }
        // A new group answers once it is stored: after a restart it still exists.
        st.after_next_write.push_back([=](const caf::error* err) mutable {
          if (err != nullptr) {
            rp.deliver(*err);
          } else {
            admit();
          }
        });
        persist(self);
        return rp;
      },
      [=](leave_atom) {
        remove_member(self, self->current_sender()->id());
        stop_if_asked(self);
        return true;
      },
      [=](ack_atom, const std::vector<uint64_t>& seqs) -> caf::result<std::vector<uint64_t>> {
        auto& st = self->state;
        const auto id = self->current_sender()->id();
        std::vector<uint64_t> not_held; // positions in `seqs`
        for (std::size_t i = 0; i < seqs.size(); ++i) {
          if (st.window.ack(id, seqs[i]) == group_window::reply::not_found) {
            not_held.push_back(i);
          }
        }
        if (not_held.size() == seqs.size()) {
          return not_held;
        }
        // The answer waits until the acks are durable.
        auto rp = self->make_response_promise<std::vector<uint64_t>>();
        st.after_next_write.push_back([=](const caf::error* err) mutable {
          if (err != nullptr) {
            rp.deliver(*err);
          } else {
            rp.deliver(not_held);
          }
        });
        dispatch_soon(self);
        return rp;
      },
      [=](nack_atom, uint64_t seq, int64_t delay_ms, std::string& reason) -> caf::result<bool> {
        auto& st = self->state;
        const auto id = self->current_sender()->id();
        const auto now = now_ms();
        if (st.window.nack(id, seq, delay_ms, std::move(reason), now) ==
            group_window::reply::not_found) {
          return make_failure(failure::not_found, "seq " + std::to_string(seq) +
                                                      " is not held by this connection in group '" +
                                                      st.names->group + "'");
        }
        if (delay_ms > 0) {
          arm(self, now + delay_ms);
        }
        dispatch(self);
        return true;
      },
      [=](advanced_atom, uint64_t last, const committed_events_ptr& events) {
        auto& st = self->state;
        st.topic_last = std::max(st.topic_last, last);
        // In step with the log and room for them all: take the events as they are, with
        // no store read (a read in flight may bring them too; add() skips repeats).
        if (!st.reading && st.exists && !events->empty() &&
            events->front().seq == st.window.next_seq() && st.window.room() >= events->size()) {
          for (const auto& ev : *events) {
            st.window.add(group_window::event_ptr(events, &ev));
          }
          return dispatch_soon(self);
        }
        fetch(self);
      },
      [=](flush_atom) {
        self->state.dispatch_scheduled = false;
        dispatch(self);
      },
      [=](retry_atom) {
        auto& st = self->state;
        const auto now = now_ms();
        if (now >= st.timer_at) {
          st.timer_at = 0;
        }
        st.window.expire(now);
        if (!st.topic) {
          attach(self);
        }
        dispatch(self);
        if (auto due = st.window.next_due()) {
          arm(self, *due);
        }
        stop_if_asked(self);
      },
      [=](passivate_atom) {
        self->state.stop_when_idle = true;
        stop_if_asked(self);
      },
      [=](tick_atom) {
        auto& st = self->state;
        if (!st.members.empty()) {
          if (now_ms() - st.active_written_ms >= st.ctx->groups.inactive_ms / 4) {
            st.after_next_write.push_back([](const caf::error*) {});
            persist(self);
          }
          return;
        }
        if (st.exists && now_ms() - st.active_ms >= st.ctx->groups.inactive_ms && idle(st)) {
          // No member for groups.inactive_ms: the group is deleted.
          log().info("group.deleted {} reason=inactive", describe(*st.names));
          st.exists = false;
          auto writer = caf::actor_cast<store_writer_actor>(st.ctx->writer);
          self->request(writer, caf::infinite, group_atom::value,
                        store::group_write{st.names->tenant, st.names->topic, st.names->group,
                                           std::nullopt})
              .then([=](bool) { self->quit(); }, [=](caf::error&) { self->quit(); });
          return;
        }
        const auto idle_for = std::chrono::steady_clock::now() - st.last_active;
        if (idle_for >= std::chrono::milliseconds(st.ctx->topics.idle_ms)) {
          st.stop_when_idle = true;
          stop_if_asked(self);
        }
      },
  };
}

struct split_group_key {
  std::string tenant;
  std::string topic;
  std::string group;
};

split_group_key split(const std::string& key) {
  const auto n = static_cast<std::size_t>(static_cast<uint8_t>(key.at(0)));
  const auto nl = key.find('\n', 1 + n);
  return {key.substr(1, n), key.substr(1 + n, nl - 1 - n), key.substr(nl + 1)};
}

group_actor::behavior_type group_init(group_pointer self, node_context* ctx, std::string key) {
  auto& st = self->state;
  st.ctx = ctx;
  auto parts = split(key);
  st.names = std::make_shared<const group_names>(
      group_names{std::move(parts.tenant), std::move(parts.topic), std::move(parts.group)});
  st.window = group_window{group_window_capacity, static_cast<uint32_t>(ctx->groups.max_deliver)};
  std::optional<store::group_state> stored;
  // One small read as the group starts: its state must be known before any join.
  if (auto s = ctx->store->load_group(st.names->tenant, st.names->topic, st.names->group, stored);
      !s.ok()) {
    log().error("group.load_failed {} error=\"{}\"", describe(*st.names), s.message);
    self->quit(make_failure(failure::store_unavailable, s.message));
    return group_behavior(self);
  }
  if (stored) {
    st.window.restore(*stored);
    st.exists = true;
    st.created_ms = stored->created_ms;
    st.active_ms = stored->active_ms;
    log().debug("group.restored {} floor={} pending={}", describe(*st.names), stored->floor,
                stored->pending.size());
  }
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& s = self->state;
    if (s.topic && dm.source == s.topic.address()) {
      s.topic = nullptr; // it restarts from the store: attach again
      arm(self, now_ms() + retry_after_ms);
      return;
    }
    remove_member(self, dm.source.id());
  });
  // Joins wait until the topic said how far its log reaches (a new group starts there).
  auto registry = caf::actor_cast<registry_actor>(ctx->registry);
  self->request(registry, caf::infinite, lookup_atom::value,
                topic_key(st.names->tenant, st.names->topic))
      .await(
          [=](const topic_actor& topic) {
            self->request(topic, caf::infinite, attach_atom::value)
                .await(
                    [=](uint64_t last) {
                      auto& s = self->state;
                      s.topic = topic;
                      self->monitor(topic);
                      s.topic_last = last;
                      fetch(self);
                    },
                    [=](caf::error& err) { self->quit(err); });
          },
          [=](caf::error& err) { self->quit(err); });
  return group_behavior(self);
}

} // namespace

std::string group_key(std::string_view tenant, std::string_view topic, std::string_view group) {
  std::string key = topic_key(tenant, topic);
  key.push_back('\n');
  key.append(group);
  return key;
}

group_registry_actor spawn_group_registry(caf::actor_system& sys, node_context& ctx) {
  keyed_supervisor_spec<group_actor> spec;
  spec.kind = "queue group";
  spec.restarted = &ctx.metrics.group_restarts_total;
  spec.policy = ctx.restarts;
  spec.tick_interval = std::chrono::milliseconds(std::max<int64_t>(1, ctx.topics.idle_ms / 2));
  spec.spawn = [&ctx](caf::local_actor* self, const std::string& key) {
    return self->spawn<caf::monitored>(group_init, &ctx, key);
  };
  spec.describe = [](const std::string& key) {
    auto parts = split(key);
    return describe({std::move(parts.tenant), std::move(parts.topic), std::move(parts.group)});
  };
  spec.owner = tenant_of_key;
  if (ctx.shards != nullptr) {
    spec.admit = [shards = ctx.shards](const std::string& key) { return shards->refusal(key); };
  }
  spec.quota = [&ctx](const std::string& tenant) {
    return ctx.tenant_policy.get()->limits_of(tenant).max_groups;
  };
  spec.quota_name = "max_groups";
  return sys.spawn(keyed_supervisor<group_actor>, std::move(spec));
}

} // namespace switchyard::actors
