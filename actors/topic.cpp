#include "actors/topic.hpp"

#include "actors/clock.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/failure.hpp"
#include "actors/log.hpp"
#include "actors/node_context.hpp"
#include "actors/presence_set.hpp"
#include "actors/registry.hpp"
#include "actors/shard_map.hpp"
#include "actors/store_reader.hpp"
#include "actors/topic_state.hpp"
#include "protocol/codec.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <vector>

#include <caf/all.hpp>

namespace switchyard::actors {

namespace {

using steady = std::chrono::steady_clock;

/// Replication: how long a follower may take to store a copy (its commit included), how
/// long after a failed copy the owner tries again, and how long a starting topic waits
/// for each member's catch-up page.
constexpr int64_t copy_timeout_ms = 5000;
constexpr auto copy_retry = std::chrono::milliseconds(200);
constexpr int64_t pull_timeout_ms = 2000;
/// What an owner reads of its store at a time for a follower that lacks events.
constexpr std::size_t copy_page_events = 1024;
constexpr std::size_t copy_page_bytes = 4u << 20;

/// A replicated commit on its way to the shard's followers: delivered and answered once
/// cluster.replication - 1 of them stored it.
struct replicating_commit {
  held_commit held;
  uint64_t round = 0;
  int64_t epoch = 0;
  std::set<std::string> stored;          ///< followers (node names) that have every event of it
  std::set<std::string> in_flight;       ///< followers a copy is on its way to
  std::map<std::string, uint64_t> heard; ///< each follower's last seq, as it last said
  int failures = 0;
};

struct subscriber {
  caf::actor who;
  protocol::encoding enc;
  /// Live events go straight to the socket (direct_delivery) instead of to `who`.
  bool direct = false;
  uint64_t generation = 0;
  std::weak_ptr<connection_sink> sink;
  std::shared_ptr<std::atomic<uint64_t>> cursor;
  bool presence = false; ///< subscribed with presence: true (gets presence pushes)
  uint64_t conn = 0;     ///< its connection's number
  uint64_t member = 0;   ///< the presence member it holds (0: none)
};

struct attached_group {
  caf::actor who;
  int lag_level = 0; ///< the slow_down level of its lag, as it last said
};

struct topic_actor_state {
  topic_state log{"", "", 0};
  caf::local_actor* self = nullptr;
  node_context* ctx = nullptr;
  store_writer_actor writer;
  std::vector<subscriber> subscribers;
  presence_set presence;
  bool presence_push_due = false;    ///< a presence push to itself is on its way
  int64_t last_presence_push_ms = 0; ///< steady ms
  /// Queue groups of this topic: each is told the durable last seq after every commit.
  std::vector<attached_group> groups;
  /// An agent session's inbox: the agent router hears of every commit (it wakes, or
  /// starts, the session).
  bool agent_inbox = false;
  uint32_t shard = 0; ///< in a cluster, the shard it belongs to (shard_map.hpp)
  /// One per staged publish_batch, in order (in-flight ones travel with their batch).
  std::vector<reply_address> staged_replies;
  /// cluster.replication > 1: the commit being copied to followers (at most one).
  std::optional<replicating_commit> replicating;
  uint64_t replication_rounds = 0;
  bool copy_retry_due = false;
  std::size_t json_subscribers = 0;
  std::size_t msgpack_subscribers = 0;
  steady::time_point last_active = steady::now();
  /// Its supervisor asked it to stop (too many topics running) while it was busy: it
  /// stops as soon as it is idle.
  bool stop_when_idle = false;
  /// A flush message is on its way to itself.
  bool flush_scheduled = false;
  /// A publish or subscribe reached it. Until then it is not stopped on request: the
  /// look-up that started it has a request on the way.
  bool used = false;

  topic_actor_state() = default;
  topic_actor_state(const topic_actor_state&) = delete;
  topic_actor_state& operator=(const topic_actor_state&) = delete;
  /// Runs on this actor's own thread as it terminates (crash, passivation, shutdown):
  /// staged publishes never reached the store, and their publishers are told so.
  ~topic_actor_state() {
    if (ctx != nullptr) {
      --ctx->live_topics;
      ctx->metrics.subscriptions -= static_cast<int64_t>(subscribers.size());
    }
    for (const auto& reply : staged_replies) {
      reply.promise(self).deliver(
          make_failure(failure::not_stored, "publish was not stored; retry"));
    }
    if (replicating) {
      ctx->metrics.replication_waiting_events -=
          static_cast<int64_t>(replicating->held.batch.events.size());
      // Stored here, but not on enough followers: a new owner may or may not have it.
      for (const auto& reply : replicating->held.replies) {
        reply.promise(self).deliver(make_failure(
            failure::topic_unavailable,
            "publish stored on this node but not copied to cluster.replication nodes before "
            "the topic stopped: it may or may not be kept; retry with the same idem"));
      }
    }
  }

  /// In a cluster with cluster.replication > 1.
  bool replicated() const {
    return ctx->shards != nullptr && ctx->shards->replication() > 1 && ctx->cluster_peer;
  }

  bool idle() const {
    return subscribers.empty() && groups.empty() && log.idle() && presence.empty();
  }

  /// What publishers hear with their acks: the furthest-behind group's level.
  int lag_level() const {
    int level = 0;
    for (const auto& g : groups) {
      level = std::max(level, g.lag_level);
    }
    return level;
  }

  static inline const char* name = "topic";
};

using topic_pointer = topic_actor::stateful_pointer<topic_actor_state>;

void count_encoding(topic_actor_state& st, protocol::encoding enc, int delta) {
  auto& n = enc == protocol::encoding::json ? st.json_subscribers : st.msgpack_subscribers;
  n = static_cast<std::size_t>(static_cast<int64_t>(n) + delta);
}

void remove_group(topic_actor_state& st, const caf::actor_addr& who) {
  auto it = std::find_if(st.groups.begin(), st.groups.end(),
                         [&](const attached_group& g) { return g.who.address() == who; });
  if (it != st.groups.end()) {
    *it = std::move(st.groups.back());
    st.groups.pop_back();
  }
}

/// Removes the subscriber; returns it (its presence membership is the caller's to end).
std::optional<subscriber> remove_subscriber(topic_actor_state& st, const caf::actor_addr& who) {
  for (std::size_t i = 0; i < st.subscribers.size(); ++i) {
    if (st.subscribers[i].who.address() == who) {
      count_encoding(st, st.subscribers[i].enc, -1);
      --st.ctx->metrics.subscriptions;
      auto gone = std::move(st.subscribers[i]);
      st.subscribers[i] = std::move(st.subscribers.back());
      st.subscribers.pop_back();
      return gone;
    }
  }
  return std::nullopt;
}

/// A message to a connection (dynamically typed, so a typed send() does not apply).
void tell(topic_pointer self, const caf::actor& who, const caf::message& msg) {
  who->enqueue(caf::strong_actor_ptr{self->ctrl()}, caf::make_message_id(), msg, self->context());
}

/// Writes the batch to a direct subscriber's socket. A socket past
/// limits.outbound_queue (or gone) is handed back to its connection, which reports the
/// events that do not fit as a gap: returns false, and the batch goes to the connection.
bool write_direct(topic_pointer self, subscriber& sub, const event_batch_ptr& batch) {
  auto& st = self->state;
  const auto capacity = static_cast<std::size_t>(st.ctx->limits.outbound_queue);
  if (auto sink = sub.sink.lock(); sink && sink->backlog() + batch->events.size() <= capacity) {
    const bool json = sub.enc == protocol::encoding::json;
    outbound_frame frame;
    frame.bulk = static_cast<int64_t>(st.subscribers.size()) >= st.ctx->limits.write_round_room;
    frame.parts.reserve(batch->events.size());
    for (const auto& ev : batch->events) {
      // Aliases the shared batch: no copy of the event per subscriber.
      frame.parts.emplace_back(batch, json ? &ev.json : &ev.msgpack);
    }
    sink->write(std::move(frame));
    sub.cursor->store(batch->events.back().seq, std::memory_order_release);
    return true;
  }
  sub.direct = false;
  sub.sink.reset();
  tell(self, sub.who, caf::make_message(demoted_atom::value, st.log.topic(), sub.generation));
  return false;
}

/// Writes the batch to direct subscribers' sockets, and sends it to every other
/// subscriber as one shared message (no copy per subscriber).
void fan_out(topic_pointer self, const event_batch_ptr& batch) {
  auto& st = self->state;
  if (st.subscribers.empty() || batch->events.empty()) {
    return;
  }
  st.ctx->metrics.fanout_deliveries_total.fetch_add(batch->events.size() * st.subscribers.size(),
                                                    std::memory_order_relaxed);
  caf::message msg;
  for (auto& sub : st.subscribers) {
    if (sub.direct && write_direct(self, sub, batch)) {
      continue;
    }
    if (msg.empty()) {
      msg = caf::make_message(events_atom::value, batch);
    }
    tell(self, sub.who, msg);
  }
}

/// Encodes presence changes as pushes of at most `limit` bytes each (a batch bigger than
/// one frame becomes several pushes).
void encode_presence(protocol::encoding enc, const std::string& topic,
                     std::span<const protocol::member_view> joins,
                     std::span<const protocol::member_view> leaves, std::size_t limit,
                     std::vector<std::string>& out) {
  auto push = protocol::encode_presence_push(enc, topic, joins, leaves);
  if (push.size() <= limit || joins.size() + leaves.size() <= 1) {
    out.push_back(std::move(push));
    return;
  }
  if (!joins.empty() && !leaves.empty()) {
    encode_presence(enc, topic, joins, {}, limit, out);
    encode_presence(enc, topic, {}, leaves, limit, out);
  } else if (!joins.empty()) {
    encode_presence(enc, topic, joins.first(joins.size() / 2), {}, limit, out);
    encode_presence(enc, topic, joins.subspan(joins.size() / 2), {}, limit, out);
  } else {
    encode_presence(enc, topic, {}, leaves.first(leaves.size() / 2), limit, out);
    encode_presence(enc, topic, {}, leaves.subspan(leaves.size() / 2), limit, out);
  }
}

/// Pushes the presence changes of the last presence.batch_ms to every presence
/// subscriber: one shared message for all of them.
void push_presence(topic_pointer self) {
  auto& st = self->state;
  st.presence_push_due = false;
  st.last_presence_push_ms = steady_ms();
  auto changes = st.presence.take_changes();
  const auto views = [](const std::vector<presence_set::change>& list) {
    std::vector<protocol::member_view> v;
    v.reserve(list.size());
    for (const auto& c : list) {
      v.push_back({c.conn, c.user, c.client, 0});
    }
    return v;
  };
  const auto joins = views(changes.joins);
  const auto leaves = views(changes.leaves);
  if (joins.empty() && leaves.empty()) {
    return;
  }
  bool json = false;
  bool msgpack = false;
  for (const auto& sub : st.subscribers) {
    json |= sub.presence && sub.enc == protocol::encoding::json;
    msgpack |= sub.presence && sub.enc == protocol::encoding::msgpack;
  }
  auto push = std::make_shared<presence_push>();
  const auto limit = static_cast<std::size_t>(st.ctx->limits.max_frame_bytes);
  if (json) {
    encode_presence(protocol::encoding::json, st.log.topic(), joins, leaves, limit, push->json);
  }
  if (msgpack) {
    encode_presence(protocol::encoding::msgpack, st.log.topic(), joins, leaves, limit,
                    push->msgpack);
  }
  const presence_push_ptr shared{std::move(push)};
  // Like live events: straight to the sockets of direct subscribers (one actor message
  // per member and batch cost a 10,000-member room most of a core), through the
  // connection for the others.
  const auto capacity = static_cast<std::size_t>(st.ctx->limits.outbound_queue);
  const bool bulk = static_cast<int64_t>(st.subscribers.size()) >= st.ctx->limits.write_round_room;
  caf::message msg;
  for (const auto& sub : st.subscribers) {
    if (!sub.presence) {
      continue;
    }
    const auto& parts = sub.enc == protocol::encoding::json ? shared->json : shared->msgpack;
    if (auto sink = sub.direct ? sub.sink.lock() : nullptr;
        sink && sink->backlog() + parts.size() <= capacity) {
      outbound_frame frame;
      frame.bulk = bulk;
      for (const auto& part : parts) {
        frame.parts.emplace_back(shared, &part);
      }
      sink->write(std::move(frame));
      continue;
    }
    if (msg.empty()) {
      msg = caf::make_message(presence_atom::value, st.log.topic(), shared);
    }
    tell(self, sub.who, msg);
  }
}

/// A presence change happened: it is pushed presence.batch_ms after the last push (at
/// once when that was longer ago), after the messages already in the mailbox, so a
/// joining member has had its subscribe answer first.
void presence_changed(topic_pointer self) {
  auto& st = self->state;
  if (st.presence_push_due || !st.presence.has_changes()) {
    return;
  }
  st.presence_push_due = true;
  const auto wait = st.last_presence_push_ms + st.ctx->presence.batch_ms - steady_ms();
  if (wait <= 0) {
    self->send(self, presence_atom::value);
  } else {
    self->delayed_send(self, std::chrono::milliseconds(wait), presence_atom::value);
  }
}

/// Ends the presence membership a subscriber held: at once, or after `linger_ms`.
void end_membership(topic_pointer self, const subscriber& sub, int64_t linger_ms) {
  auto& st = self->state;
  if (sub.member == 0) {
    return;
  }
  if (linger_ms <= 0) {
    st.presence.leave(sub.member, sub.conn);
    return presence_changed(self);
  }
  st.presence.linger(sub.member, sub.conn, steady_ms() + linger_ms);
  self->delayed_send(self, std::chrono::milliseconds(linger_ms), sweep_atom::value);
}

/// Sends the staged events to the writer when no batch is in flight.
void flush(topic_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (!st.log.ready_to_flush()) {
    return;
  }
  append_request req{st.log.take_batch(), std::move(st.staged_replies), self, st.replicated(), {}};
  st.staged_replies.clear();
  self->send(st.writer, append_atom::value, std::move(req));
}

/// Flushes after the messages already in the mailbox: a burst of publishes (one read
/// of a client's socket) becomes one batch, so one commit and one write per subscriber
/// carry all of it instead of the first publish going alone.
void flush_soon(topic_pointer self) {
  auto& st = self->state;
  if (!st.flush_scheduled && st.log.ready_to_flush()) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

/// Stops now if the supervisor asked for it and nothing keeps the topic busy any more.
void stop_if_asked(topic_pointer self) {
  if (self->state.stop_when_idle && self->state.used && self->state.idle()) {
    self->quit();
  }
}

/// A durable batch (and, replicated, on enough followers): deliver it.
void on_committed(topic_pointer self, store::append_batch& batch) {
  auto& st = self->state;
  st.ctx->metrics.events_stored_total.fetch_add(batch.events.size(), std::memory_order_relaxed);
  fan_out(self, st.log.commit(batch, st.json_subscribers > 0, st.msgpack_subscribers > 0));
  if (st.agent_inbox && !batch.events.empty()) {
    caf::anon_send(st.ctx->agents, wake_atom::value, topic_key(st.log.tenant(), st.log.topic()),
                   st.log.durable_seq());
  }
  if (!st.groups.empty() && !batch.events.empty()) {
    auto events = std::make_shared<const std::vector<store::event_record>>(std::move(batch.events));
    const auto advanced =
        caf::make_message(advanced_atom::value, st.log.durable_seq(), std::move(events));
    for (const auto& g : st.groups) {
      tell(self, g.who, advanced);
    }
  }
  flush_soon(self);
  stop_if_asked(self);
}

void copy_to_followers(topic_pointer self);

/// Enough followers stored the commit: its publishers hear, its events go out.
void replicated(topic_pointer self) {
  auto& st = self->state;
  auto done = std::move(*st.replicating);
  st.replicating.reset();
  st.ctx->metrics.replication_waiting_events -= static_cast<int64_t>(done.held.batch.events.size());
  for (std::size_t i = 0; i < done.held.replies.size() && i < done.held.acks.size(); ++i) {
    done.held.replies[i].promise(self).deliver(std::move(done.held.acks[i]));
  }
  on_committed(self, done.held.batch);
}

void copy_failed(topic_pointer self, uint64_t round, const std::string& node,
                 const std::string& why) {
  auto& st = self->state;
  if (!st.replicating || st.replicating->round != round) {
    return;
  }
  st.replicating->in_flight.erase(node);
  st.replicating->heard.erase(node);
  if (++st.replicating->failures == 1) {
    log().info("topic.copy_failed tenant={} topic={} shard={} follower={} error=\"{}\"",
               log_name(st.log.tenant()), st.log.topic(), st.shard, node, why);
  }
  if (!st.copy_retry_due) {
    st.copy_retry_due = true;
    self->delayed_send(self, copy_retry, retry_atom::value);
  }
}

void send_copy(topic_pointer self, const cluster_member& follower, replica_batch copy);

/// A follower said how far its copy of the topic reaches: done, or send what it lacks.
void follower_has(topic_pointer self, uint64_t round, const cluster_member& follower,
                  uint64_t last) {
  auto& st = self->state;
  if (!st.replicating || st.replicating->round != round) {
    return;
  }
  auto& rep = *st.replicating;
  rep.in_flight.erase(follower.node);
  const auto& events = rep.held.batch.events;
  if (last >= events.back().seq) {
    rep.stored.insert(follower.node);
    if (rep.stored.size() + 1 >= static_cast<std::size_t>(st.ctx->shards->replication())) {
      replicated(self);
    }
    return;
  }
  if (auto heard = rep.heard.find(follower.node);
      heard != rep.heard.end() && heard->second == last) {
    // No progress (its store refuses what this one can send): not counted as a copy.
    return copy_failed(self, round, follower.node,
                       "its copy is stuck at seq " + std::to_string(last));
  }
  rep.heard[follower.node] = last;
  if (last + 1 >= events.front().seq) {
    store::append_batch rest{st.log.tenant(), st.log.topic(), {}};
    for (const auto& ev : events) {
      if (ev.seq > last) {
        rest.events.push_back(ev);
      }
    }
    return send_copy(self, follower, to_replica(rest, rep.epoch, false));
  }
  // It lacks events before this batch (it joined, or was away): this store's first.
  read_request read;
  read.what = read_request::kind::history;
  read.tenant = st.log.tenant();
  read.topic = st.log.topic();
  read.from_seq = last + 1;
  read.limit = copy_page_events;
  read.max_bytes = copy_page_bytes;
  rep.in_flight.insert(follower.node);
  self->request(reader_for(*st.ctx, st.shard), caf::infinite, read_atom::value, std::move(read))
      .then(
          [=](read_result& r) {
            auto& s = self->state;
            if (!s.replicating || s.replicating->round != round) {
              return;
            }
            if (!r.status.ok() || r.page.events.empty()) {
              return copy_failed(self, round, follower.node, "reading this store failed");
            }
            const bool from_start = r.page.events.front().seq == r.page.first_seq;
            store::append_batch page{s.log.tenant(), s.log.topic(), std::move(r.page.events)};
            send_copy(self, follower, to_replica(page, s.replicating->epoch, from_start));
          },
          [=](caf::error& err) {
            copy_failed(self, round, follower.node, self->system().render(err));
          });
}

void send_copy(topic_pointer self, const cluster_member& follower, replica_batch copy) {
  auto& st = self->state;
  const auto round = st.replicating->round;
  st.replicating->in_flight.insert(follower.node);
  self->request(st.ctx->cluster_peer, std::chrono::milliseconds(2 * copy_timeout_ms),
                replicate_atom::value, follower.peer, std::move(copy), copy_timeout_ms)
      .then([=](uint64_t last) { follower_has(self, round, follower, last); },
            [=](caf::error& err) {
              copy_failed(self, round, follower.node,
                          failure_of(err) ? failure_message(err, "") : self->system().render(err));
            });
}

/// Copies the held commit to the shard's followers that do not have it yet.
void copy_to_followers(topic_pointer self) {
  auto& st = self->state;
  auto& rep = *st.replicating;
  if (rep.held.batch.events.empty()) {
    return replicated(self); // only duplicates: nothing new to copy
  }
  const auto followers = st.ctx->shards->followers_of(st.shard);
  if (followers.size() + 1 < static_cast<std::size_t>(st.ctx->shards->replication())) {
    return copy_failed(self, rep.round, "", "too few live members");
  }
  for (const auto& f : followers) {
    if (rep.stored.count(f.node) == 0 && rep.in_flight.count(f.node) == 0) {
      send_copy(self, f, to_replica(rep.held.batch, rep.epoch, false));
    }
  }
}

topic_actor::behavior_type topic_behavior(topic_pointer self) {
  return {
      [=](publish_atom, const publish_batch_ptr& batch) -> caf::result<publish_acks> {
        auto& st = self->state;
        auto& req = *batch;
        if (req.events.empty()) {
          return publish_acks{};
        }
        // In a cluster: a connection may hold this topic's handle from before its shard
        // moved away (or before this node lost its lease); the append is refused then.
        if (st.ctx->shards != nullptr && !st.ctx->shards->serves(st.shard)) {
          if (auto refused = st.ctx->shards->refusal_of_shard(st.shard)) {
            // Unless it holds subscribers or work, it stops: the connection's retry
            // finds what serves the topic now (a stand-in forwarding to the new owner).
            if (st.idle()) {
              self->quit();
            }
            return std::move(*refused);
          }
        }
        if (st.replicated()) {
          const auto followers = st.ctx->shards->followers_of(st.shard).size();
          if (const auto want = static_cast<std::size_t>(st.ctx->shards->replication()) - 1;
              followers < want) {
            return make_failure(failure::topic_unavailable,
                                "cluster.replication is " + std::to_string(want + 1) +
                                    " but only " + std::to_string(followers + 1) +
                                    " members are live: not stored; retry");
          }
        }
        // A batch that fits only in part: its first events are taken, the rest refused.
        const auto taken = std::min(st.log.room(), req.events.size());
        if (taken == 0) {
          return topic_full(st.log.topic());
        }
        st.last_active = steady::now();
        st.used = true;
        // Taking the promise marks the request as answered later; the answer goes to
        // its address from whichever actor gives it.
        auto rp = self->make_response_promise<publish_acks>();
        const caf::response_promise& promise = rp;
        st.staged_replies.push_back(
            {promise.source(), promise.stages(), promise.id(), static_cast<uint32_t>(taken),
             static_cast<uint32_t>(req.events.size() - taken), req.awaited, st.lag_level()});
        const auto ts = now_ms();
        for (std::size_t i = 0; i < taken; ++i) {
          st.log.stage(ts, std::move(req.events[i]));
        }
        flush_soon(self);
        return rp;
      },
      [=](subscribe_atom, protocol::encoding enc, presence_join& pj) {
        auto& st = self->state;
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        if (auto old = remove_subscriber(st, sender.address())) {
          end_membership(self, *old, 0);
        }
        subscriber sub{sender, enc, false, 0, {}, {}, pj.member, pj.conn, 0};
        if (pj.member) {
          sub.member = st.presence.join(pj.conn, std::move(pj.user), std::move(pj.client),
                                        std::move(pj.session), now_ms());
          presence_changed(self);
        }
        st.subscribers.push_back(std::move(sub));
        ++st.ctx->metrics.subscriptions;
        count_encoding(st, enc, +1);
        self->monitor(sender);
        st.last_active = steady::now();
        st.used = true;
        return st.log.durable_seq();
      },
      [=](promote_atom, direct_delivery& d) {
        auto& st = self->state;
        const auto sender = self->current_sender();
        for (auto& sub : st.subscribers) {
          // Only a subscriber that has every durable event: none is on its way to it.
          if (sub.who.address() == sender && d.delivered == st.log.durable_seq()) {
            sub.direct = true;
            sub.generation = d.generation;
            sub.sink = std::move(d.sink);
            sub.cursor = std::move(d.cursor);
          }
        }
      },
      [=](unsub_atom) {
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        if (auto gone = remove_subscriber(self->state, sender.address())) {
          end_membership(self, *gone, 0);
        }
        self->demonitor(sender);
        stop_if_asked(self);
        return true;
      },
      [=](leave_atom, int64_t linger_ms) {
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        if (auto gone = remove_subscriber(self->state, sender.address())) {
          end_membership(self, *gone, linger_ms);
        }
        self->demonitor(sender);
        stop_if_asked(self);
      },
      [=](presence_atom, uint64_t after, uint32_t limit) {
        const auto& set = self->state.presence;
        auto list = set.list(after, limit);
        presence_page page;
        page.count = list.count;
        page.next = list.next;
        page.members.reserve(list.members.size());
        for (const auto* m : list.members) {
          page.members.push_back({m->conn, m->user, m->client, m->since_ms});
        }
        return page;
      },
      [=](presence_atom) { push_presence(self); },
      [=](sweep_atom) {
        self->state.presence.expire(steady_ms());
        presence_changed(self);
        stop_if_asked(self);
      },
      [=](attach_atom) {
        auto& st = self->state;
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        remove_group(st, sender.address());
        st.groups.push_back({sender, 0});
        self->monitor(sender);
        st.last_active = steady::now();
        st.used = true;
        return st.log.durable_seq();
      },
      [=](detach_atom) {
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        remove_group(self->state, sender.address());
        self->demonitor(sender);
        stop_if_asked(self);
      },
      [=](slow_atom, int32_t level) {
        const auto sender = self->current_sender();
        for (auto& g : self->state.groups) {
          if (g.who.address() == sender) {
            g.lag_level = level;
          }
        }
      },
      [=](committed_atom, store::append_batch& batch) { on_committed(self, batch); },
      [=](committed_atom, held_commit& held) {
        auto& st = self->state;
        st.replicating.emplace();
        st.replicating->held = std::move(held);
        st.replicating->round = ++st.replication_rounds;
        st.replicating->epoch = st.ctx->shards->epoch_of(st.shard);
        st.ctx->metrics.replication_waiting_events +=
            static_cast<int64_t>(st.replicating->held.batch.events.size());
        copy_to_followers(self);
      },
      [=](retry_atom) {
        auto& st = self->state;
        st.copy_retry_due = false;
        if (!st.replicating) {
          return;
        }
        if (!st.ctx->shards->serves(st.shard)) {
          log().info("topic.moved tenant={} topic={} shard={} unreplicated_events={}",
                     log_name(st.log.tenant()), st.log.topic(), st.shard,
                     st.replicating->held.batch.events.size());
          self->quit();
          return;
        }
        copy_to_followers(self);
      },
      [=](flush_atom) { flush(self); },
      [=](refused_atom, const store::topic_info& info) {
        auto& st = self->state;
        auto dropped = st.log.refused(info);
        log().debug("topic.append_refused tenant={} topic={} dropped={} store_last_seq={}",
                    log_name(st.log.tenant()), st.log.topic(), dropped, info.last_seq);
        flush(self);
        stop_if_asked(self);
      },
      [=](count_atom) { return static_cast<uint64_t>(self->state.subscribers.size()); },
      [=](crash_atom) { throw std::runtime_error("injected fault"); },
      [=](passivate_atom) {
        self->state.stop_when_idle = true;
        stop_if_asked(self);
      },
      [=](tick_atom) {
        auto& st = self->state;
        if (st.ctx->shards != nullptr && !st.ctx->shards->serves(st.shard)) {
          // Its shard moved away (or this node lost its lease): it stops, and its
          // subscribers, joining again, hear where the topic is served now.
          log().info("topic.moved tenant={} topic={} shard={} subscribers={}",
                     log_name(st.log.tenant()), st.log.topic(), st.shard, st.subscribers.size());
          self->quit();
          return;
        }
        const auto idle_for = steady::now() - st.last_active;
        if (st.idle() && idle_for >= std::chrono::milliseconds(st.ctx->topics.idle_ms)) {
          self->quit();
        }
      },
  };
}

/// A replicated topic starting here (its shard came to this node, or it restarts) takes
/// what the other members hold past its own last seq before it serves anything, so the
/// seq continues after every event a previous owner had acknowledged. From each member
/// the first page starts topics.max_pending events early: this store's last events may
/// be a tail its previous owner never copied (at most one batch), which the longer log
/// replaces. `taken`: events stored so far.
void catch_up(topic_pointer self, std::vector<cluster_member> members, std::size_t index,
              uint64_t after, uint64_t taken, bool first_page = true) {
  auto& st = self->state;
  if (index == members.size()) {
    self->request(st.writer, caf::infinite, recover_atom::value, st.log.tenant(), st.log.topic())
        .await(
            [=](const store::topic_info& info) {
              auto& s = self->state;
              s.log.recover(info);
              if (taken > 0) {
                log().info("topic.caught_up tenant={} topic={} shard={} events={} last_seq={}",
                           log_name(s.log.tenant()), s.log.topic(), s.shard, taken, info.last_seq);
              }
            },
            [=](caf::error& err) { self->quit(err); });
    return;
  }
  catch_up_request req{st.log.tenant(), st.log.topic(), after,
                       first_page ? static_cast<uint64_t>(st.ctx->topics.max_pending) : 0};
  const auto member = members[index];
  self->request(st.ctx->cluster_peer, std::chrono::milliseconds(2 * pull_timeout_ms),
                pull_atom::value, member.peer, std::move(req), pull_timeout_ms)
      .await(
          [=](replica_batch& page) {
            const auto count = page.seq.size();
            auto batch = count == 0 ? std::nullopt : to_append_batch(std::move(page));
            if (!batch) {
              return catch_up(self, members, index + 1, after, taken);
            }
            const auto first = batch->events.front().seq;
            self->request(self->state.writer, caf::infinite, replicate_atom::value,
                          std::move(*batch))
                .await(
                    [=](uint64_t last) {
                      if (last + 1 <= first) {
                        // Refused (it would leave a gap here): the next member may do.
                        return catch_up(self, members, index + 1, after, taken);
                      }
                      // Again from the same member, until it has nothing more.
                      catch_up(self, members, index, last, taken + count, false);
                    },
                    [=](caf::error& err) { self->quit(err); });
          },
          [=](caf::error& err) {
            log().info("topic.catch_up_failed tenant={} topic={} node={} error=\"{}\"",
                       log_name(self->state.log.tenant()), self->state.log.topic(), member.node,
                       failure_of(err) ? failure_message(err, "") : self->system().render(err));
            catch_up(self, members, index + 1, after, taken);
          });
}

topic_actor::behavior_type topic_init(topic_pointer self, node_context* ctx, std::string tenant,
                                      std::string topic) {
  auto& st = self->state;
  st.self = self;
  st.ctx = ctx;
  ++ctx->live_topics; // until the state goes (~topic_actor_state)
  st.writer = caf::actor_cast<store_writer_actor>(ctx->writer);
  st.agent_inbox = ctx->agents && protocol::agent_inbox_kind(topic).has_value();
  st.shard = shard_of(tenant, topic);
  st.log = topic_state{std::move(tenant), std::move(topic),
                       static_cast<std::size_t>(ctx->topics.max_pending)};
  self->set_down_handler([=](caf::down_msg& dm) {
    // A connection that ended without saying (it crashed) lingers like a vanished one.
    if (auto gone = remove_subscriber(self->state, dm.source)) {
      end_membership(self, *gone, self->state.ctx->presence.timeout_ms);
    }
    remove_group(self->state, dm.source);
    stop_if_asked(self);
  });
  // Nothing else is handled until the writer answered: appends a crashed predecessor
  // left in its queue land first, so the seq continues from the store's truth.
  self->request(st.writer, caf::infinite, recover_atom::value, st.log.tenant(), st.log.topic())
      .await(
          [=](const store::topic_info& info) {
            if (self->state.replicated()) {
              return catch_up(self, self->state.ctx->shards->other_members(), 0, info.last_seq, 0);
            }
            self->state.log.recover(info);
            log().debug("topic.started tenant={} topic={} last_seq={}",
                        log_name(self->state.log.tenant()), self->state.log.topic(), info.last_seq);
          },
          [=](caf::error& err) { self->quit(err); });
  return topic_behavior(self);
}

} // namespace

topic_actor spawn_topic(caf::local_actor* supervisor, node_context& ctx, std::string tenant,
                        std::string topic) {
  return supervisor->spawn<caf::monitored>(topic_init, &ctx, std::move(tenant), std::move(topic));
}

} // namespace switchyard::actors
