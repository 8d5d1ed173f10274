// Fanout subscriptions of a connection: subscribe with replay, live events, gaps for
// a slow client, catch-up from the store, and re-subscription after a topic restart.

#include "actors/atoms.hpp"
#include "actors/connection_state.hpp"
#include "actors/log.hpp"
#include "store/event_store.hpp"
#include "protocol/codec.hpp"

#include <algorithm>

namespace switchyard::actors {

namespace {

/// Most events read from the store in one go while catching up.
constexpr std::size_t replay_chunk = 256;

/// Queues one event of `name`, reporting a pending gap of that topic first so the
/// client sees seqs in order: ..., gap(from, to), to+1, ...
void push_event(connection_actor* self, const std::string& name, subscription& sub,
                std::shared_ptr<const std::string> bytes, uint64_t seq) {
  auto& st = self->state;
  if (sub.gap_from != 0) {
    push_output(self, std::make_shared<const std::string>(
                          protocol::encode_gap_push(st.enc, name, sub.gap_from, sub.gap_to)));
    sub.gap_from = sub.gap_to = 0;
    st.gapped.erase(name);
  }
  push_output(self, std::move(bytes));
  sub.delivered = seq;
}

/// Events from..to will not reach the client; it is told with one `gap` push later.
void note_gap(connection_actor* self, const std::string& name, subscription& sub, uint64_t from,
              uint64_t to) {
  if (sub.gap_from == 0) {
    sub.gap_from = from;
    self->state.gapped.insert(name);
    notify_when_drained(self); // the gap is reported once there is room again
  }
  sub.gap_to = to;
  sub.delivered = to;
}

/// The start seq a subscribe's `from` asks for, given the topic's last seq now.
uint64_t start_seq(connection_actor* self, const std::string& topic,
                   const protocol::start_position& from, uint64_t last) {
  using kind = protocol::start_position::kind;
  auto value = static_cast<uint64_t>(std::max<int64_t>(from.value, 0));
  switch (from.from) {
  case kind::seq:
    return std::max<uint64_t>(value, 1);
  case kind::last:
    return value >= last ? 1 : last - value + 1;
  case kind::since_ms: {
    uint64_t seq = last + 1;
    auto& st = self->state;
    auto status = st.ctx->store->first_seq_since(st.tenant, topic, from.value, seq);
    return status.ok() ? seq : last + 1;
  }
  }
  return last + 1;
}

/// Reads what the subscription missed from the store, at the socket's pace.
void start_catch_up(connection_actor* self, const std::string& name) {
  self->state.replaying.insert(name);
  output_batch batch{self};
  refill(self);
}

/// How often joining a topic is retried when it dies between look-up and subscribe.
constexpr int join_attempts = 3;

/// Asks the topic to add this connection; `then` runs with the topic's last seq.
void join_topic(connection_actor* self, const std::string& name, uint64_t generation,
                std::function<void(uint64_t)> then, std::function<void()> failed, int attempt = 1) {
  with_topic(self, name, [=](const caf::actor* topic) {
    if (!topic) {
      return failed();
    }
    auto handle = *topic;
    self->request(handle, caf::infinite, subscribe_atom::value, self->state.enc)
        .then(
            [=](uint64_t last) {
              auto it = self->state.subs.find(name);
              if (it == self->state.subs.end() || it->second.generation != generation) {
                self->send(handle, unsub_atom::value); // unsubscribed meanwhile
                return;
              }
              it->second.topic = handle;
              then(last);
            },
            [=](caf::error&) {
              // The topic died after the look-up; the next look-up waits for its restart.
              if (attempt < join_attempts) {
                join_topic(self, name, generation, then, failed, attempt + 1);
              } else {
                failed();
              }
            });
  });
}

} // namespace

void on_subscribe(connection_actor* self, protocol::client_message& msg) {
  auto& st = self->state;
  using protocol::error_code::bad_request;
  if (msg.queue_mode) {
    return send_error(self, msg.id, bad_request, "mode 'queue' is not supported by this node yet");
  }
  if (st.subs.count(msg.topic) > 0) {
    return send_error(self, msg.id, bad_request, "already subscribed to '" + msg.topic + "'");
  }
  if (static_cast<int64_t>(st.subs.size()) >= st.ctx->limits.max_subscriptions) {
    return send_error(self, msg.id, protocol::error_code::too_large,
                      "limit of " + std::to_string(st.ctx->limits.max_subscriptions) +
                          " subscriptions reached");
  }
  auto generation = st.next_generation++;
  st.subs[msg.topic].generation = generation;
  auto name = msg.topic;
  auto id = msg.id;
  auto from = msg.from;
  join_topic(
      self, name, generation,
      [=](uint64_t last) {
        auto& sub = self->state.subs[name];
        auto start = from ? start_seq(self, name, *from, last) : last + 1;
        sub.delivered = start - 1;
        sub.replay_to = last;
        if (id) {
          auto replayed = last >= start ? last - start + 1 : 0;
          send_message(self,
                       protocol::encode_subscribe_ok(self->state.enc, *id, name, last, replayed));
        }
        if (sub.catching_up()) {
          start_catch_up(self, name);
        }
      },
      [=] {
        self->state.subs.erase(name);
        send_error(self, id, protocol::error_code::unavailable,
                   "topic '" + name + "' is unavailable", 1000);
      });
}

void on_unsubscribe(connection_actor* self, const protocol::client_message& msg) {
  auto& st = self->state;
  if (auto it = st.subs.find(msg.topic); it != st.subs.end()) {
    if (it->second.topic) {
      self->send(it->second.topic, unsub_atom::value);
    }
    st.subs.erase(it);
    st.replaying.erase(msg.topic);
    st.gapped.erase(msg.topic);
  }
  if (msg.id) {
    send_message(self, protocol::encode_ok_empty(st.enc, *msg.id));
  }
}

void on_events(connection_actor* self, const event_batch_ptr& batch) {
  auto& st = self->state;
  auto it = st.subs.find(batch->topic);
  if (it == st.subs.end() || st.closing || batch->events.empty()) {
    return;
  }
  auto& sub = it->second;
  if (sub.catching_up()) {
    // Durable already: the catch-up reads them from the store in order.
    sub.replay_to = std::max(sub.replay_to, batch->events.back().seq);
    return;
  }
  bool json = st.enc == protocol::encoding::json;
  auto room = output_room(self);
  for (const auto& ev : batch->events) {
    if (ev.seq <= sub.delivered) {
      continue;
    }
    if (room == 0) {
      note_gap(self, batch->topic, sub, ev.seq, ev.seq);
      continue;
    }
    // Aliases the shared batch: no copy and no allocation per delivery.
    std::shared_ptr<const std::string> bytes(batch, json ? &ev.json : &ev.msgpack);
    push_event(self, batch->topic, sub, std::move(bytes), ev.seq);
    --room;
  }
}

void refill(connection_actor* self) {
  auto& st = self->state;
  for (auto it = st.gapped.begin(); it != st.gapped.end();) {
    auto& sub = st.subs[*it];
    push_output(self, std::make_shared<const std::string>(
                          protocol::encode_gap_push(st.enc, *it, sub.gap_from, sub.gap_to)));
    sub.gap_from = sub.gap_to = 0;
    it = st.gapped.erase(it);
  }
  std::vector<store::event_record> events;
  for (auto it = st.replaying.begin(); it != st.replaying.end();) {
    auto& sub = st.subs[*it];
    for (auto room = output_room(self); sub.catching_up() && room > 0; room = output_room(self)) {
      auto want = std::min<uint64_t>({room, replay_chunk, sub.replay_to - sub.delivered});
      events.clear();
      auto status = st.ctx->store->read(st.tenant, *it, sub.delivered + 1, want, events);
      if (!status.ok() || events.empty()) {
        // Nothing readable (store fault): report the range rather than spin.
        note_gap(self, *it, sub, sub.delivered + 1, sub.replay_to);
        break;
      }
      for (const auto& rec : events) {
        protocol::event_view ev{rec.seq, rec.ts_ms, rec.key, rec.idem, rec.data};
        push_event(
            self, *it, sub,
            std::make_shared<const std::string>(protocol::encode_event_push(st.enc, *it, ev)),
            rec.seq);
      }
    }
    it = sub.catching_up() ? std::next(it) : st.replaying.erase(it);
  }
  if (!st.replaying.empty()) {
    notify_when_drained(self); // go on reading when the socket has taken this
  }
}

void on_topic_down(connection_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  // A scan: topics die rarely, and a reverse index would cost memory per connection.
  auto found = std::find_if(st.topics.begin(), st.topics.end(),
                            [&](const auto& entry) { return entry.second.address() == dm.source; });
  if (found == st.topics.end()) {
    return;
  }
  auto name = found->first;
  st.topics.erase(found);
  auto sub = st.subs.find(name);
  if (sub == st.subs.end() || st.closing) {
    return;
  }
  // The topic restarts from the store; join it again and read what was missed.
  sub->second.topic = nullptr;
  auto generation = sub->second.generation;
  log().debug("conn.resubscribe conn={} topic={}", st.conn_id, name);
  join_topic(
      self, name, generation,
      [=](uint64_t last) {
        auto& s = self->state.subs[name];
        s.replay_to = std::max(s.replay_to, last);
        if (s.catching_up()) {
          start_catch_up(self, name);
        }
      },
      [=] {
        self->state.subs.erase(name);
        send_message(self, protocol::encode_error(self->state.enc, std::nullopt,
                                                   protocol::error_code::unavailable,
                                                   "topic '" + name +
                                                       "' became unavailable; "
                                                       "subscribe again",
                                                   1000));
      });
}

} // namespace switchyard::actors
