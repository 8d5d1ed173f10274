#include "actors/store_writer.hpp"

#include "actors/clock.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/failure.hpp"
#include "actors/log.hpp"
#include "actors/node_context.hpp"
#include "actors/rate_limited_log.hpp"
#include "actors/shard_map.hpp"
#include "store/event_store.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>
#include <vector>

#include <caf/all.hpp>

namespace switchyard::actors {

namespace {

/// Data bytes past which the pending appends are committed at once instead of waiting
/// for the flush message (bounds the writer's memory and LMDB's dirty pages).
constexpr std::size_t max_transaction_bytes = std::size_t{16} << 20;
/// A commit carrying this many events shows a steady load: the next one may wait
/// store.commit_wait_us (see schedule_flush). A lone publish, or a trickle, never waits.
constexpr std::size_t busy_commit_events = 16;
/// An agent checkpoint alone waits this long for company: nobody waits for it, and a
/// late one only means a longer replay, so thousands of sessions share a commit.
constexpr std::chrono::milliseconds checkpoint_wait{10};

struct writer_state {
  node_context* ctx = nullptr;
  store::event_store* store = nullptr;
  std::vector<append_request> pending;
  /// Queue groups' states and agent sessions' records to write with the next commit,
  /// each answered once durable.
  std::vector<store::group_write> pending_groups;
  std::vector<store::agent_write> pending_agents;
  std::vector<caf::typed_response_promise<bool>> group_promises; ///< one a pending group
  std::vector<caf::typed_response_promise<bool>> agent_promises; ///< one a pending agent
  std::size_t pending_bytes = 0;
  bool flush_scheduled = false;
  bool waiting = false;          ///< the scheduled flush is a delayed one (commit wait)
  bool checkpoints_only = false; ///< it was delayed for agent checkpoints: any append ends it
  bool pending_awaited = false;  ///< a client waits for the answer of a pending append
  /// When the last commit ended, and whether it carried busy_commit_events or more.
  std::chrono::steady_clock::time_point last_commit;
  bool last_commit_busy = false;
  bool sync_scheduled = false; ///< store.sync async: a periodic sync is due
  /// store.sync async: runs the periodic sync on its own thread, so the commits behind a
  /// slow fdatasync (tens of ms on a virtual disk) are not held up by it.
  caf::actor syncer;
  /// A retention sweeper step runs with the next commit (alone when nothing is pending).
  bool sweep_due = false;
  /// What the sweeper deleted since it last said so (logged at most every few seconds).
  store::sweep_result swept;
  std::chrono::steady_clock::time_point swept_logged = std::chrono::steady_clock::now();
  /// Purges in the order asked; the first runs a step at a time between commits.
  struct purge_job {
    std::string tenant;
    std::string topic;
    topic_purged done;
    caf::typed_response_promise<topic_purged> promise;
  };
  std::deque<purge_job> purges;
  bool fatal = false; ///< the store can no longer be used: refuse everything
  std::string fatal_message;
  rate_limited_log failures{std::chrono::seconds(1)};
  static inline const char* name = "store-writer";
};

using writer_pointer = store_writer_actor::stateful_pointer<writer_state>;

/// With store.sync async, commits are not synced: one sync follows within flush_ms.
void schedule_sync(writer_pointer self) {
  auto& st = self->state;
  if (st.ctx->sync_interval_ms == 0 || st.sync_scheduled) {
    return;
  }
  st.sync_scheduled = true;
  self->delayed_send(self, std::chrono::milliseconds(st.ctx->sync_interval_ms), sync_atom::value);
}

void on_fatal(writer_pointer self, const std::string& message) {
  auto& st = self->state;
  if (st.fatal) {
    return;
  }
  st.fatal = true;
  st.fatal_message = message;
  st.ctx->store_writable = false;
  log().critical("store.fatal error=\"{}\" action=stopping_node", message);
  if (st.ctx->on_fatal) {
    st.ctx->on_fatal(message);
  }
}

void report_sync(writer_pointer self, const store::status& result) {
  auto& st = self->state;
  if (result.ok()) {
    return;
  }
  if (uint64_t n = 0; st.failures.allow(n)) {
    log().error("store.sync_failed error=\"{}\" suppressed={}", result.message, n);
  }
  if (result.value == store::status::code::fatal) {
    on_fatal(self, result.message);
  }
}

/// The periodic sync of store.sync async, on the syncer's thread.
void sync_soon(writer_pointer self) {
  auto& st = self->state;
  st.sync_scheduled = false;
  self->request(st.syncer, caf::infinite, sync_atom::value)
      .then([=](const store::status& result) { report_sync(self, result); },
            [](const caf::error&) {}); // the syncer only stops with the writer
}

/// The last sync, on the writer's own thread, before it quits.
void sync_now(writer_pointer self) {
  self->state.sync_scheduled = false;
  report_sync(self, self->state.store->sync());
}

caf::behavior store_syncer(caf::event_based_actor*, store::event_store* store) {
  return {[=](sync_atom) { return store->sync(); }};
}

/// The request was not stored: its publishers hear why, and its topic learns what the
/// store holds (it may have been wrong about it).
void refuse(writer_pointer self, append_request& req, const caf::error& why) {
  if (req.batch.from != store::append_batch::origin::publish) {
    req.replica.deliver(why);
    return;
  }
  for (const auto& reply : req.replies) {
    reply.promise(self).deliver(why);
  }
  store::topic_info info;
  if (!self->state.store->info(req.batch.tenant, req.batch.topic, info).ok()) {
    // The store cannot even be read: the topic keeps its own view (nothing was stored).
    info = {0, req.batch.events.front().seq - 1, 0};
  }
  self->send(req.topic, refused_atom::value, info);
}

caf::error store_failure(const store::status& st) {
  auto what = st.value == store::status::code::map_full
                  ? "the event store is full (store.map_size_mb)"
                  : "the event store cannot write: " + st.message;
  return make_failure(failure::store_unavailable, what);
}

/// Records per sweeper step: small, so a commit carrying one stays short.
constexpr std::size_t sweep_budget = 512;
/// How often the sweeper's progress is logged while it deletes.
constexpr auto sweep_log_interval = std::chrono::seconds(5);

bool sweeping_enabled(const node_context& ctx) {
  const auto& r = ctx.retention;
  return r.max_age_ms > 0 || r.max_events > 0 || r.max_bytes > 0 || ctx.dedup_window_ms > 0 ||
         ctx.groups.inactive_ms > 0;
}

store::sweep_request sweep_request_now(const node_context& ctx) {
  store::sweep_request req;
  req.policy.max_age_ms = ctx.retention.max_age_ms;
  req.policy.max_events = static_cast<uint64_t>(ctx.retention.max_events);
  req.policy.max_bytes = static_cast<uint64_t>(ctx.retention.max_bytes);
  req.policy.dedup_window_ms = ctx.dedup_window_ms;
  req.policy.group_inactive_ms = ctx.groups.inactive_ms;
  req.now_ms = now_ms();
  req.budget = sweep_budget;
  return req;
}

void schedule_flush(writer_pointer self) {
  auto& st = self->state;
  if (st.flush_scheduled) {
    return;
  }
  st.flush_scheduled = true;
  // Under a steady load each sync costs as much CPU (block layer, virtual disk) for 20
  // events as for 200, and each commit wakes the topics and groups it answers: after a
  // busy commit, a short wait lets the next gather more (a group commit delay, as
  // PostgreSQL's commit_delay). Only when no client waits for an answer of it: one that
  // waits for its `ok` (with a window of unacked publishes, or one at a time) would be
  // slowed by every wait. docs/benchmarks.md has the benchmarks with and without it.
  if (st.last_commit_busy && !st.pending_awaited) {
    const auto now = std::chrono::steady_clock::now();
    if (const auto ready = st.last_commit + st.ctx->commit_wait; now < ready) {
      st.waiting = true;
      // Should the wait end early (an awaited append), this message later commits
      // nothing, or what came since a little early.
      self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(ready - now),
                         flush_atom::value);
      return;
    }
  }
  self->send(self, flush_atom::value);
}

/// After a sweeper step: another one right away while work remains (it queues behind
/// the appends already waiting), else after retention.sweep_ms.
void after_sweep(writer_pointer self, const store::sweep_result& step) {
  auto& st = self->state;
  st.swept.events += step.events;
  st.swept.idem += step.idem;
  st.swept.groups += step.groups;
  const auto now = std::chrono::steady_clock::now();
  const bool deleted = st.swept.events + st.swept.idem + st.swept.groups > 0;
  if (deleted && (!step.more || now - st.swept_logged >= sweep_log_interval)) {
    log().info("store.swept events={} idem={} groups={} more={}", st.swept.events, st.swept.idem,
               st.swept.groups, step.more);
    st.swept = {};
    st.swept_logged = now;
  }
  if (step.more) {
    schedule_flush(self);
    return;
  }
  st.sweep_due = false;
  self->delayed_send(self, std::chrono::milliseconds(st.ctx->retention.sweep_ms),
                     sweep_atom::value);
}

/// Answers the publishers of a stored batch (duplicates with their original's seq), leaves
/// in the batch only the events stored, with their seqs, and tells the topic to fan them
/// out; with hold_replies the topic gets the answers to give once followers have the
/// batch. A replica batch's cluster peer hears the topic's new last seq.
void answer_stored(writer_pointer self, append_request& req,
                   const std::vector<store::duplicate>& dups) {
  const bool replica = req.batch.from != store::append_batch::origin::publish;
  if (replica) {
    req.replica.deliver(req.batch.events.back().seq);
    return;
  }
  auto& events = req.batch.events;
  std::vector<publish_ack> acks;
  acks.reserve(events.size());
  std::size_t kept = 0;
  uint64_t seq = events.empty() ? 0 : events.front().seq;
  auto dup = dups.begin();
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (dup != dups.end() && dup->index == i) {
      acks.push_back({dup->seq, true, false});
      ++dup;
      continue;
    }
    acks.push_back({seq, false, false});
    events[i].seq = seq++;
    if (kept != i) {
      events[kept] = std::move(events[i]);
    }
    ++kept;
  }
  events.resize(kept);
  std::size_t e = 0;
  held_commit held;
  for (const auto& reply : req.replies) {
    publish_acks out;
    out.lag_level = reply.lag_level;
    out.events.reserve(reply.events + reply.refused);
    out.events.insert(out.events.end(), acks.begin() + static_cast<std::ptrdiff_t>(e),
                      acks.begin() + static_cast<std::ptrdiff_t>(e + reply.events));
    e += reply.events;
    out.events.resize(out.events.size() + reply.refused, {0, false, true});
    if (req.hold_replies) {
      held.acks.push_back(std::move(out));
    } else {
      reply.promise(self).deliver(std::move(out));
    }
  }
  if (req.hold_replies) {
    held.batch = std::move(req.batch);
    held.replies = std::move(req.replies);
    self->send(req.topic, committed_atom::value, std::move(held));
  } else {
    self->send(req.topic, committed_atom::value, std::move(req.batch));
  }
}

/// How long a follower may take to store a queue group's state or an agent record.
constexpr int64_t state_copy_timeout_ms = 5000;

/// A queue group's state or an agent session's record is durable here. With replication
/// the shard's followers store it too before its writer hears, so a new owner never
/// redelivers an acknowledged message nor runs a handled inbox event as new.
template <class Record>
void answer_state(writer_pointer self, const Record& rec,
                  caf::typed_response_promise<bool> promise) {
  auto* ctx = self->state.ctx;
  const auto* shards = ctx->shards;
  if (shards == nullptr || shards->replication() < 2 || !ctx->cluster_peer) {
    promise.deliver(true);
    return;
  }
  const auto shard = shard_of(rec.tenant, rec.topic);
  if (!shards->serves(shard)) {
    // A copy an owner sent (or the late write of an owner that lost the shard, whose
    // group or session stops with its topic): stored here, nothing to pass on.
    promise.deliver(true);
    return;
  }
  const auto followers = shards->followers_of(shard);
  const auto want = static_cast<std::size_t>(shards->replication()) - 1;
  if (followers.size() < want) {
    promise.deliver(
        make_failure(failure::topic_unavailable, "too few live members for cluster.replication " +
                                                     std::to_string(shards->replication())));
    return;
  }
  struct tally {
    std::size_t stored = 0;
    bool answered = false;
  };
  auto t = std::make_shared<tally>();
  const auto copy = to_replica(rec, shards->epoch_of(shard));
  for (const auto& f : followers) {
    self->request(ctx->cluster_peer, std::chrono::milliseconds(2 * state_copy_timeout_ms),
                  replicate_atom::value, f.peer, copy, state_copy_timeout_ms)
        .then(
            [=](bool) mutable {
              if (!t->answered && ++t->stored >= want) {
                t->answered = true;
                promise.deliver(true);
              }
            },
            [=](caf::error& err) mutable {
              if (!t->answered) {
                t->answered = true;
                promise.deliver(std::move(err));
              }
            });
  }
}

/// Commits every pending append, group state and agent record in one transaction, then answers
/// every publisher and group and tells every topic. A batch the store refused alone (seq conflict)
/// fails alone.
void flush(writer_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  st.waiting = false;
  st.checkpoints_only = false;
  st.pending_awaited = false;
  if (st.pending.empty() && st.pending_groups.empty() && st.pending_agents.empty() &&
      !st.sweep_due) {
    return;
  }
  auto requests = std::move(st.pending);
  st.pending.clear();
  st.pending_bytes = 0;
  auto groups = std::move(st.pending_groups);
  st.pending_groups.clear();
  auto agents = std::move(st.pending_agents);
  st.pending_agents.clear();
  auto group_promises = std::move(st.group_promises);
  st.group_promises.clear();
  auto agent_promises = std::move(st.agent_promises);
  st.agent_promises.clear();
  std::vector<store::append_batch> batches;
  batches.reserve(requests.size());
  for (auto& req : requests) {
    batches.push_back(std::move(req.batch));
  }
  std::vector<store::batch_result> per_batch;
  const auto map_before = st.store->stats().map_bytes.load();
  const auto sweep = sweep_request_now(*st.ctx);
  store::sweep_result swept;
  const bool sweeping = st.sweep_due && !st.fatal;
  const auto began = std::chrono::steady_clock::now();
  auto result = st.fatal ? store::status{store::status::code::fatal, st.fatal_message}
                         : st.store->append(batches, per_batch, groups, agents,
                                            sweeping ? &sweep : nullptr, &swept);
  if (!result.ok() && sweeping && result.value != store::status::code::fatal) {
    // The sweeper must never cost a publish: commit without it, and sweep again later.
    log().error("store.sweep_failed error=\"{}\"", result.message);
    st.sweep_due = false;
    self->delayed_send(self, std::chrono::milliseconds(st.ctx->retention.sweep_ms),
                       sweep_atom::value);
    result = st.store->append(batches, per_batch, groups, agents);
  }
  if (const auto map_after = st.store->stats().map_bytes.load(); map_after != map_before) {
    log().info("store.map_grown from_mib={} to_mib={}", map_before >> 20, map_after >> 20);
  }
  for (std::size_t i = 0; i < requests.size(); ++i) {
    requests[i].batch = std::move(batches[i]);
  }
  if (!result.ok()) {
    if (result.value == store::status::code::fatal) {
      on_fatal(self, result.message);
    } else {
      st.ctx->store_writable = false;
      if (uint64_t n = 0; st.failures.allow(n)) {
        log().error("store.append_failed batches={} error=\"{}\" suppressed={}", requests.size(),
                    result.message, n);
      }
    }
    const auto why = store_failure(result);
    for (auto& req : requests) {
      refuse(self, req, why);
    }
    for (auto* promises : {&group_promises, &agent_promises}) {
      for (auto& promise : *promises) {
        promise.deliver(why);
      }
    }
    return;
  }
  for (std::size_t i = 0; i < groups.size(); ++i) {
    answer_state(self, groups[i], group_promises[i]);
  }
  for (std::size_t i = 0; i < agents.size(); ++i) {
    answer_state(self, agents[i], agent_promises[i]);
  }
  st.ctx->store_writable = true;
  if (sweeping && st.sweep_due) {
    after_sweep(self, swept);
  }
  ++st.ctx->store_commits;
  std::size_t events = 0;
  for (const auto& req : requests) {
    events += req.batch.events.size();
  }
  st.ctx->metrics.store_commit_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  st.ctx->metrics.store_commit_events.observe(static_cast<double>(events));
  st.last_commit = std::chrono::steady_clock::now();
  st.last_commit_busy = events >= busy_commit_events && st.ctx->commit_wait.count() > 0;
  st.ctx->store_batches += requests.size();
  schedule_sync(self);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto& req = requests[i];
    if (!per_batch[i].ok() && req.batch.from != store::append_batch::origin::publish &&
        per_batch[i].result.value == store::status::code::seq_conflict) {
      // A gap: the owner sends what this store lacks first.
      store::topic_info info;
      if (auto read = st.store->info(req.batch.tenant, req.batch.topic, info); !read.ok()) {
        req.replica.deliver(store_failure(read));
      } else {
        req.replica.deliver(info.last_seq);
      }
      continue;
    }
    if (!per_batch[i].ok()) {
      if (uint64_t n = 0; st.failures.allow(n)) {
        log().error("store.batch_refused tenant={} topic={} error=\"{}\" suppressed={}",
                    log_name(req.batch.tenant), req.batch.topic, per_batch[i].result.message, n);
      }
      refuse(self, req, make_failure(failure::not_stored, "publish was not stored; retry"));
      continue;
    }
    answer_stored(self, req, per_batch[i].duplicates);
  }
}

/// Records per purge step: a large topic is purged over many transactions, each queued
/// behind the appends already waiting, so publishes to other topics go on meanwhile.
constexpr std::size_t purge_budget = 4096;

/// One step of the oldest purge; the next one follows as a message to itself.
void purge_step(writer_pointer self) {
  auto& st = self->state;
  if (st.purges.empty()) {
    return;
  }
  auto& job = st.purges.front();
  store::purge_result step;
  auto result = st.fatal
                    ? store::status{store::status::code::fatal, st.fatal_message}
                    : st.store->purge(job.tenant, job.topic, job.done.last_seq, purge_budget, step);
  if (!result.ok()) {
    if (result.value == store::status::code::fatal) {
      on_fatal(self, result.message);
    }
    log().error("store.purge_failed tenant={} topic={} error=\"{}\"", log_name(job.tenant),
                job.topic, result.message);
    job.promise.deliver(store_failure(result));
  } else {
    auto& removed = job.done.removed;
    removed.found = step.found;
    removed.events += step.events;
    removed.idem += step.idem;
    removed.groups += step.groups;
    if (step.more) {
      self->send(self, purge_atom::value);
      return;
    }
    job.promise.deliver(std::move(job.done));
  }
  st.purges.pop_front();
  if (!st.purges.empty()) {
    self->send(self, purge_atom::value);
  }
}

store_writer_actor::behavior_type store_writer(writer_pointer self, node_context* ctx) {
  self->state.ctx = ctx;
  self->state.store = ctx->store;
  if (ctx->sync_interval_ms > 0) {
    auto syncer = self->spawn<caf::detached>(store_syncer, ctx->store);
    self->state.syncer = syncer;
    self->attach_functor(
        [syncer] { caf::anon_send_exit(syncer, caf::exit_reason::user_shutdown); });
  }
  if (sweeping_enabled(*ctx)) {
    self->delayed_send(self, std::chrono::milliseconds(ctx->retention.sweep_ms), sweep_atom::value);
  }
  return {
      [=](append_atom, append_request& req) {
        auto& st = self->state;
        for (const auto& ev : req.batch.events) {
          st.pending_bytes += ev.data.size();
        }
        const bool awaited = std::any_of(req.replies.begin(), req.replies.end(),
                                         [](const reply_address& r) { return r.awaited; });
        st.pending_awaited = st.pending_awaited || awaited;
        st.pending.push_back(std::move(req));
        if (st.pending_bytes >= max_transaction_bytes ||
            (st.waiting && (awaited || st.checkpoints_only))) {
          flush(self);
          return;
        }
        // The flush message queues behind every append already in the mailbox, so one
        // transaction takes all of them: batching from backlog, never from a timer.
        schedule_flush(self);
      },
      [=](replicate_atom, store::append_batch& batch) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (batch.events.empty() || batch.from == store::append_batch::origin::publish) {
          return make_failure(failure::bad_request, "not a replica batch");
        }
        for (const auto& ev : batch.events) {
          st.pending_bytes += ev.data.size();
        }
        auto promise = self->make_response_promise<uint64_t>();
        // The owner's publishers wait for it: no commit wait.
        st.pending_awaited = true;
        st.pending.push_back({std::move(batch), {}, topic_actor{}, false, promise});
        if (st.pending_bytes >= max_transaction_bytes || st.waiting) {
          flush(self);
        } else {
          schedule_flush(self);
        }
        return promise;
      },
      [=](recover_atom, const std::string& tenant,
          const std::string& topic) -> caf::result<store::topic_info> {
        // Appends of this topic queued before this request (a dead incarnation's last
        // batch) land first, so a restarted topic starts from the store's truth. Other
        // topics' appends wait for the group commit as usual.
        const auto& pending = self->state.pending;
        if (std::any_of(pending.begin(), pending.end(), [&](const append_request& req) {
              return req.batch.topic == topic && req.batch.tenant == tenant;
            })) {
          flush(self);
        }
        store::topic_info info;
        if (auto s = self->state.store->info(tenant, topic, info); !s.ok()) {
          return store_failure(s);
        }
        return info;
      },
      [=](group_atom, store::group_write& write) -> caf::result<bool> {
        auto& st = self->state;
        auto promise = self->make_response_promise<bool>();
        st.pending_groups.push_back(std::move(write));
        st.group_promises.push_back(promise);
        schedule_flush(self);
        return promise;
      },
      [=](checkpoint_atom, store::agent_write& write) -> caf::result<bool> {
        auto& st = self->state;
        auto promise = self->make_response_promise<bool>();
        st.pending_agents.push_back(std::move(write));
        st.agent_promises.push_back(promise);
        if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          st.waiting = true;
          st.checkpoints_only = true;
          self->delayed_send(self, checkpoint_wait, flush_atom::value);
        }
        return promise;
      },
      [=](purge_atom, std::string& tenant, std::string& topic) -> caf::result<topic_purged> {
        auto& st = self->state;
        // What was published before the purge is committed first, so it goes too.
        flush(self);
        store::topic_info info;
        if (auto s = st.store->info(tenant, topic, info); !s.ok()) {
          return store_failure(s);
        }
        auto promise = self->make_response_promise<topic_purged>();
        st.purges.push_back({std::move(tenant), std::move(topic), {{}, info.last_seq}, promise});
        if (st.purges.size() == 1) {
          self->send(self, purge_atom::value);
        }
        return promise;
      },
      [=](purge_atom) { purge_step(self); },
      [=](flush_atom) { flush(self); },
      [=](sweep_atom) {
        self->state.sweep_due = true;
        schedule_flush(self);
      },
      [=](sync_atom) { sync_soon(self); },
      [=](shutdown_atom) {
        flush(self);
        // Also when the syncer is busy: its sync may have started before the last commit.
        if (self->state.sync_scheduled || self->state.syncer) {
          sync_now(self);
        }
        self->quit();
      },
  };
}

} // namespace

store_writer_actor spawn_store_writer(caf::actor_system& sys, node_context& ctx) {
  return sys.spawn<caf::detached>(store_writer, &ctx);
}

} // namespace switchyard::actors
