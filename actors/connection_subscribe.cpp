// Fanout subscriptions of a connection: subscribe with replay, live events, gaps for
// a slow client, catch-up from the store, and re-subscription after a topic restart.
// The replay/live hand-off itself is the plain class `subscription`.

#include "actors/clock.hpp"
#include "actors/connection_state.hpp"
#include "actors/failure.hpp"
#include "actors/log.hpp"
#include "actors/store_reader.hpp"
#include "protocol/codec.hpp"

#include <algorithm>

namespace switchyard::actors {

namespace {

/// Most events read from the store in one go while catching up.
constexpr std::size_t replay_chunk = 256;
/// How often joining a topic is tried when the topic stops between look-up and join.
constexpr int join_attempts = 3;

topic_subscription* find_sub(connection_actor* self, const std::string& name, uint64_t generation) {
  auto it = self->state.subs.find(name);
  return it == self->state.subs.end() || it->second.sub.generation() != generation ? nullptr
                                                                                   : &it->second;
}

/// Asks the topic to write this subscription's live events to the socket itself, with
/// no actor message per batch, once it is live with nothing left to report here.
void go_direct(connection_actor* self, topic_subscription& ts) {
  auto& st = self->state;
  if (ts.direct || !ts.topic || st.closing || ts.sub.current() != subscription::phase::live ||
      ts.sub.has_gap()) {
    return;
  }
  if (!ts.cursor) {
    ts.cursor = std::make_shared<std::atomic<uint64_t>>();
  }
  ts.cursor->store(ts.sub.delivered(), std::memory_order_relaxed);
  // What this connection pushed so far goes to the socket before the topic's first write.
  flush_output(self);
  ts.direct = true;
  self->send(ts.topic, promote_atom::value,
             direct_delivery{ts.sub.delivered(), ts.sub.generation(), st.sink, ts.cursor});
}

/// The topic writes no more events of this subscription: go on after its last one.
void take_back(topic_subscription& ts) {
  if (ts.direct) {
    ts.direct = false;
    ts.sub.handed_back(ts.cursor->load(std::memory_order_acquire));
  }
}

/// Tells the topic to stop serving this connection; `done` runs once it has (after the
/// topic's last direct write), or once the topic is gone.
void leave_topic(connection_actor* self, const topic_actor& topic, std::function<void()> done) {
  self->request(topic, caf::infinite, unsub_atom::value)
      .then([=](bool) { done(); }, [=](caf::error&) { done(); });
}

/// Reports the subscription's pending gap now (before any later event of its topic).
void push_gap(connection_actor* self, const std::string& name, topic_subscription& ts) {
  if (auto gap = ts.sub.take_gap()) {
    self->state.ctx->metrics.gaps_total.fetch_add(1, std::memory_order_relaxed);
    push_output(self, std::make_shared<const std::string>(
                          protocol::encode_gap_push(self->state.enc, name, gap->from, gap->to)));
  }
  ts.gapped = false;
}

/// A gap that did not fit now is reported once the socket drained.
void gap_later(connection_actor* self, topic_subscription& ts) {
  ts.gapped = true;
  notify_when_drained(self);
}

/// Consumer backpressure: slow_down level 1 once live events fill 80 % of the socket
/// queue, level 2 once they overflowed it into a gap, level 0 when it drained (refill).
void note_behind(connection_actor* self, int level) {
  auto& st = self->state;
  if (level <= st.behind_level) {
    return;
  }
  st.behind_level = level;
  send_message(self, protocol::encode_slow_down_push(
                         st.enc, level, 0,
                         level == 1 ? "this connection is falling behind its subscriptions"
                                    : "this connection fell behind: events became a gap"));
  notify_when_drained(self);
}

void push_event(connection_actor* self, const std::string& name, topic_subscription& ts,
                std::shared_ptr<const std::string> bytes) {
  if (ts.sub.has_gap()) {
    push_gap(self, name, ts);
  }
  push_output(self, std::move(bytes));
}

/// The subscription ended by the node (its topic is cut off): the client is told with an
/// `unsubscribed` push.
void end_subscription(connection_actor* self, const std::string& name, std::string_view code,
                      std::string_view message) {
  auto& st = self->state;
  st.subs.erase(name);
  send_message(self, protocol::encode_unsubscribed_push(st.enc, name, code, message));
}

void on_replay_read(connection_actor* self, const std::string& name, uint64_t generation,
                    read_result& result);

/// Asks the store for the next chunk of a catching-up subscription, if one is due.
void read_more(connection_actor* self, const std::string& name, topic_subscription& ts) {
  auto& st = self->state;
  const auto room = output_room(self);
  auto range = ts.sub.begin_read(room, replay_chunk, room * 2 >= st.capacity);
  if (!range) {
    if (ts.sub.current() == subscription::phase::live) {
      ts.replaying = false;
      go_direct(self, ts);
    } else if (!ts.sub.reading()) {
      notify_when_drained(self); // no room now: go on when the socket has taken this
    }
    return;
  }
  read_request req;
  req.what = read_request::kind::events;
  req.tenant = st.tenant;
  req.topic = name;
  req.from_seq = range->from;
  req.limit = range->count;
  req.max_bytes = static_cast<std::size_t>(st.ctx->limits.max_frame_bytes);
  auto generation = ts.sub.generation();
  self->request(st.reader, caf::infinite, read_atom::value, std::move(req))
      .then([=](read_result& result) { on_replay_read(self, name, generation, result); },
            [=](caf::error& err) {
              read_result failed;
              failed.status = {store::status::code::io_error, self->system().render(err)};
              on_replay_read(self, name, generation, failed);
            });
}

void on_replay_read(connection_actor* self, const std::string& name, uint64_t generation,
                    read_result& result) {
  auto& st = self->state;
  auto* ts = find_sub(self, name, generation);
  if (ts == nullptr || st.closing) {
    return;
  }
  output_batch batch{self};
  if (!result.status.ok()) {
    log().warn("conn.replay_read_failed conn={} tenant={} topic={} error=\"{}\"", st.conn_id,
               log_name(st.tenant), name, result.status.message);
  }
  const auto& events = result.page.events;
  const auto now = now_ms();
  for (const auto& rec : events) {
    // An event past its ttl is not replayed (it counts as delivered: it is no gap).
    if (!ts->sub.on_replayed(rec.seq) || rec.expired_at(now)) {
      continue;
    }
    protocol::event_view ev{rec.seq, rec.ts_ms, rec.key, rec.idem, rec.data};
    push_event(self, name, *ts,
               std::make_shared<const std::string>(protocol::encode_event_push(st.enc, name, ev)));
  }
  ts->sub.end_read(result.status.ok() && !events.empty());
  if (ts->sub.has_gap()) {
    output_room(self) > 0 ? push_gap(self, name, *ts) : gap_later(self, *ts);
  }
  read_more(self, name, *ts);
}

/// The seq a subscribe's `from` starts at, given the topic's last seq now (since_ms was
/// resolved to a seq before joining).
uint64_t start_seq(const protocol::start_position& from, uint64_t last) {
  using kind = protocol::start_position::kind;
  auto value = static_cast<uint64_t>(std::max<int64_t>(from.value, 0));
  switch (from.from) {
  case kind::seq:
  case kind::since_ms:
    return std::max<uint64_t>(value, 1);
  case kind::last:
    return value >= last ? 1 : last - value + 1;
  }
  return last + 1;
}

struct join_request {
  std::string name;
  uint64_t generation = 0;
  bool first = true; ///< a client's subscribe (false: re-joining a restarted topic)
  std::optional<int64_t> id;
  std::optional<protocol::start_position> from; ///< since_ms already resolved to a seq
  bool presence = false;                        ///< a member of the topic's presence set
  int attempt = 1;
};

void join(connection_actor* self, join_request req);

void joined(connection_actor* self, const join_request& req, topic_actor handle, uint64_t last) {
  auto& st = self->state;
  auto* ts = find_sub(self, req.name, req.generation);
  if (ts == nullptr) {
    leave_topic(self, handle, [] {}); // unsubscribed meanwhile
    return;
  }
  ts->topic = handle;
  self->monitor(handle);
  output_batch batch{self};
  if (req.first) {
    auto start = req.from ? start_seq(*req.from, last) : last + 1;
    ts->sub.joined(last, start);
    if (req.id) {
      auto replayed = last >= start ? last - start + 1 : 0;
      send_message(self, protocol::encode_subscribe_ok(st.enc, *req.id, req.name, last, replayed));
    }
  } else {
    ts->sub.rejoined(last);
  }
  if (ts->sub.current() == subscription::phase::catching_up) {
    ts->replaying = true;
    read_more(self, req.name, *ts);
  } else {
    go_direct(self, *ts);
  }
}

/// Returns true when the join is tried again.
bool join_failed(connection_actor* self, const join_request& req, const caf::error& err) {
  auto* ts = find_sub(self, req.name, req.generation);
  if (ts == nullptr) {
    return false;
  }
  if (err == caf::sec::request_receiver_down && req.attempt < join_attempts) {
    // The topic stopped after the look-up (idle); the registry starts a new one.
    self->state.targets.forget(req.name);
    auto again = req;
    ++again.attempt;
    join(self, std::move(again));
    return true;
  }
  if (req.first) {
    self->state.subs.erase(req.name);
    send_failure(self, req.id, err, "subscribe to '" + req.name + "'");
  } else {
    end_subscription(
        self, req.name, protocol::error_code::unavailable,
        failure_message(err, "topic '" + req.name + "' became unavailable; subscribe again later"));
  }
  return false;
}

void join(connection_actor* self, join_request req) {
  auto name = req.name;
  with_topic(self, name, [=](const topic_actor* topic, const caf::error& why) {
    auto done = [=] {
      if (req.first) {
        op_finished(self);
      }
    };
    if (topic == nullptr) {
      join_failed(self, req,
                  failure_of(why) ? why
                                  : make_failure(failure::topic_unavailable,
                                                 "topic '" + req.name + "' is unavailable"));
      return done();
    }
    auto handle = *topic;
    const auto& st = self->state;
    self->request(handle, caf::infinite, subscribe_atom::value, st.enc,
                  req.presence ? presence_member(st) : presence_join{})
        .then(
            [=](uint64_t last) {
              joined(self, req, handle, last);
              done();
            },
            [=](caf::error& err) {
              if (!join_failed(self, req, err)) {
                done();
              }
            });
  });
}

/// Fields of `subscribe` this node does not serve yet, or that do not apply to fanout:
/// refused, never ignored.
std::optional<std::string> unsupported(const protocol::client_message& msg) {
  if (msg.queue_mode) {
    return msg.presence ? std::optional<std::string>("field 'presence' applies only to mode "
                                                     "\"fanout\" (queue groups have no presence)")
                        : std::nullopt;
  }
  for (auto [field, given] : {std::pair{"group", msg.group.has_value()},
                              {"max_inflight", msg.max_inflight.has_value()},
                              {"ack_wait_ms", msg.ack_wait_ms.has_value()}}) {
    if (given) {
      return std::string("field '") + field + "' applies only to mode \"queue\"";
    }
  }
  return std::nullopt;
}

} // namespace

void resolve_start(connection_actor* self, const std::string& topic, std::optional<int64_t> id,
                   protocol::start_position from,
                   std::function<void(std::optional<protocol::start_position>)> then) {
  using kind = protocol::start_position::kind;
  if (from.from == kind::last) {
    return then(from);
  }
  // since_ms becomes a seq before joining: events published meanwhile have later seqs,
  // so they are replayed or arrive live, never skipped. A seq is checked against what
  // retention kept.
  auto& st = self->state;
  read_request req;
  req.tenant = st.tenant;
  req.topic = topic;
  if (from.from == kind::since_ms) {
    req.what = read_request::kind::since;
    req.since_ms = from.value;
  } else {
    req.what = read_request::kind::history;
    req.limit = 0; // the topic's range only
  }
  auto failed = [=] {
    send_error(self, id, protocol::error_code::internal,
               "the event store could not be read; retry");
    then(std::nullopt);
  };
  self->request(st.reader, caf::infinite, read_atom::value, std::move(req))
      .then(
          [=](read_result& result) {
            if (!result.status.ok()) {
              return failed();
            }
            if (from.from == kind::since_ms) {
              return then(protocol::start_position{kind::seq, static_cast<int64_t>(result.seq)});
            }
            const auto oldest = oldest_seq(result.page);
            const auto start = static_cast<uint64_t>(std::max<int64_t>(from.value, 1));
            if (start < oldest && oldest > 1) {
              send_expired(self, id, "subscribe to '" + topic + "'", start, oldest);
              return then(std::nullopt);
            }
            then(from);
          },
          [=](caf::error&) { failed(); });
}

namespace {

void subscribe_with_slot(connection_actor* self, protocol::client_message& msg) {
  auto& st = self->state;
  using protocol::error_code::bad_request;
  if (msg.queue_mode) {
    return on_queue_subscribe(self, msg);
  }
  if (st.subs.count(msg.topic) > 0) {
    return send_error(self, msg.id, bad_request, "already subscribed to '" + msg.topic + "'");
  }
  join_request req;
  req.name = msg.topic;
  req.generation = st.next_generation++;
  req.id = msg.id;
  req.from = msg.from;
  req.presence = msg.presence;
  st.subs.emplace(req.name, topic_subscription{req.generation}).first->second.presence =
      msg.presence;
  if (msg.presence) {
    keep_presence_alive(self);
  }
  op_started(self);
  if (!req.from) {
    return join(self, std::move(req));
  }
  auto from = *req.from;
  auto name = req.name;
  resolve_start(self, name, req.id, from,
                [=](std::optional<protocol::start_position> start) mutable {
                  if (!start) {
                    if (find_sub(self, req.name, req.generation) != nullptr) {
                      self->state.subs.erase(req.name);
                    }
                    return op_finished(self);
                  }
                  req.from = start;
                  join(self, std::move(req));
                });
}

} // namespace

void on_subscribe(connection_actor* self, protocol::client_message& msg) {
  auto& st = self->state;
  using protocol::error_code::bad_request;
  if (auto why = unsupported(msg)) {
    return send_error(self, msg.id, bad_request, *why);
  }
  if (!may_read(st, msg.topic)) {
    return send_error(self, msg.id, protocol::error_code::forbidden, not_readable(msg.topic));
  }
  if (static_cast<int64_t>(st.subs.size() + st.queues.size()) >= st.ctx->limits.max_subscriptions) {
    return send_error(self, msg.id, protocol::error_code::too_large,
                      "limit of " + std::to_string(st.ctx->limits.max_subscriptions) +
                          " subscriptions reached");
  }
  with_subscription_slot(self, msg.id,
                         [=, msg = std::move(msg)]() mutable { subscribe_with_slot(self, msg); });
}

void on_unsubscribe(connection_actor* self, const protocol::client_message& msg) {
  auto& st = self->state;
  if (msg.group) {
    return on_queue_unsubscribe(self, msg);
  }
  auto reply = [=, id = msg.id] {
    if (id) {
      send_message(self, protocol::encode_ok_empty(self->state.enc, *id));
    }
  };
  auto it = st.subs.find(msg.topic);
  if (it == st.subs.end()) {
    return reply();
  }
  auto topic = it->second.topic;
  st.subs.erase(it);
  if (!topic) {
    return reply();
  }
  self->demonitor(topic.address());
  // The reply waits for the topic: no event of this subscription follows it.
  leave_topic(self, topic, [=] {
    output_batch batch{self};
    reply();
  });
}

void on_events(connection_actor* self, const event_batch_ptr& batch) {
  auto& st = self->state;
  auto it = st.subs.find(batch->topic);
  if (it == st.subs.end() || st.closing) {
    return;
  }
  auto& ts = it->second;
  // A batch while direct was asked for: the topic refused (events were on their way).
  take_back(ts);
  bool json = st.enc == protocol::encoding::json;
  auto room = output_room(self);
  bool dropped = false;
  for (const auto& ev : batch->events) {
    switch (ts.sub.on_live(ev.seq, room > 0)) {
    case subscription::live_action::skip:
      break;
    case subscription::live_action::dropped:
      gap_later(self, ts);
      dropped = true;
      break;
    case subscription::live_action::push:
      // Aliases the shared batch: no copy and no allocation per delivery.
      push_event(self, batch->topic, ts,
                 std::shared_ptr<const std::string>(batch, json ? &ev.json : &ev.msgpack));
      --room;
      break;
    }
  }
  if (dropped || room * 5 <= st.capacity) {
    note_behind(self, dropped ? 2 : 1);
  }
  go_direct(self, ts);
}

void on_demoted(connection_actor* self, const std::string& topic, uint64_t generation) {
  if (auto* ts = find_sub(self, topic, generation)) {
    take_back(*ts);
  }
}

void refill(connection_actor* self) {
  auto& st = self->state;
  // A scan of every subscription: this runs when the socket drained after a gap or a
  // replay chunk, and a connection holds at most limits.max_subscriptions.
  for (auto it = st.subs.begin(); it != st.subs.end() && output_room(self) > 0; ++it) {
    if (it->second.gapped) {
      push_gap(self, it->first, it->second);
      go_direct(self, it->second);
    }
  }
  for (auto& [name, ts] : st.subs) {
    if (ts.replaying) {
      read_more(self, name, ts);
    }
  }
  // The socket drained: a consumer that fell behind has caught up (after its gaps).
  if (st.behind_level > 0 && !st.closing) {
    st.behind_level = 0;
    send_message(self, protocol::encode_slow_down_push(st.enc, 0, 0, "this connection caught up"));
  }
}

void on_topic_down(connection_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  // A scan: topics die rarely, and a reverse index would cost memory per connection.
  auto found = std::find_if(st.subs.begin(), st.subs.end(), [&](const auto& entry) {
    return entry.second.topic && entry.second.topic.address() == dm.source;
  });
  if (found == st.subs.end() || st.closing) {
    return;
  }
  // The topic restarts from the store; join it again and read what was missed.
  auto& ts = found->second;
  take_back(ts);
  ts.topic = nullptr;
  ts.sub.lost_topic();
  log().debug("conn.resubscribe conn={} tenant={} topic={}", st.conn_id, log_name(st.tenant),
              found->first);
  join_request req;
  req.name = found->first;
  req.generation = ts.sub.generation();
  req.first = false;
  req.presence = ts.presence;
  join(self, std::move(req));
}

void join_resumed(connection_actor* self, const std::string& topic, uint64_t from_seq) {
  auto& ts = self->state.subs.at(topic);
  join_request req;
  req.name = topic;
  req.generation = ts.sub.generation();
  req.from =
      protocol::start_position{protocol::start_position::kind::seq, static_cast<int64_t>(from_seq)};
  req.presence = ts.presence;
  if (ts.presence) {
    keep_presence_alive(self);
  }
  op_started(self);
  join(self, std::move(req));
}

} // namespace switchyard::actors
