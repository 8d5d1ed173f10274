// The connection actor: frames in, replies and pushes out, flow control both ways.

#include "actors/connection_handle.hpp"
#include "actors/connection_state.hpp"
#include "actors/failure.hpp"
#include "actors/liveness.hpp"
#include "actors/log.hpp"
#include "actors/registry.hpp"
#include "actors/store_reader.hpp"
#include "protocol/codec.hpp"

#include <algorithm>
#include <utility>

namespace switchyard::actors {

namespace {

constexpr uint16_t close_policy_violation = 1008;
/// Replies may exceed the fanout capacity by this factor before the client is cut off.
constexpr std::size_t hard_limit_factor = 4;

/// How much of a bad frame the log shows.
constexpr std::size_t bad_snippet_bytes = 64;

std::size_t max_ops_in_flight(const connection_state& st) {
  return 4 * static_cast<std::size_t>(st.ctx->limits.inbound_queue);
}

/// Counts a bad frame; past limits.bad_frames within a minute the connection closes.
void count_bad_frame(connection_actor* self, std::string_view snippet) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  auto& times = st.bad_frames;
  times.erase(times.begin(), std::find_if(times.begin(), times.end(), [&](auto t) {
                return now - t <= std::chrono::minutes(1);
              }));
  times.push_back(now);
  if (st.bad_frames.size() == 1) {
    log().info("conn.bad_frame conn={} remote={} snippet={}", st.conn_id, st.remote,
               log_name(snippet));
  }
  if (static_cast<int64_t>(st.bad_frames.size()) > st.ctx->limits.bad_frames) {
    log().info("conn.closed conn={} remote={} code=1008 reason=bad_frames count={}", st.conn_id,
               st.remote, st.bad_frames.size());
    close_connection(self, close_policy_violation, "too many bad frames");
  }
}

void dispatch(connection_actor* self, protocol::client_message& msg) {
  using protocol::op;
  auto& st = self->state;
  if (!st.connected && msg.kind != op::connect) {
    send_error(self, msg.id, protocol::error_code::not_connected, "send 'connect' first");
    return;
  }
  switch (msg.kind) {
  case op::connect:
    return st.leaving ? refuse_while_leaving(self, msg.id) : on_connect(self, msg);
  case op::subscribe:
    return st.leaving ? refuse_while_leaving(self, msg.id) : on_subscribe(self, msg);
  case op::unsubscribe:
    return on_unsubscribe(self, msg);
  case op::publish:
    return; // a connected client's publishes go through on_publish (handle_frame)
  case op::history:
    return on_history(self, msg);
  case op::ping:
    if (msg.id) {
      send_message(self, protocol::encode_ok_empty(st.enc, *msg.id));
    }
    return;
  case op::ack:
    return; // a connected client's acks go through on_ack (handle_frame)
  case op::nack:
    return on_nack(self, msg);
  case op::refresh:
    return on_refresh(self, msg);
  case op::presence:
    return on_presence(self, msg);
  }
}

/// Handles the frame from where it stopped; false when it paused again (the frame then
/// waits first in `deferred`).
bool handle_frame(connection_actor* self, client_frame& frame) {
  auto& st = self->state;
  if (!st.closing) {
    publish_run run;
    ack_run acks;
    const auto stop_here = [&](std::size_t next) {
      send_publishes(self, run);
      send_acks(self, acks);
      frame.next = next;
      st.deferred.insert(st.deferred.begin(), std::move(frame));
      return false;
    };
    for (; frame.next < frame.messages.size(); ++frame.next) {
      auto& item = frame.messages[frame.next];
      if (auto* err = std::get_if<protocol::decode_error>(&item)) {
        send_error(self, err->id, protocol::error_code::bad_request, err->message);
        continue;
      }
      auto& msg = std::get<protocol::client_message>(item);
      if (msg.kind == protocol::op::publish && st.connected) {
        if (st.leaving) {
          refuse_while_leaving(self, msg.id);
          continue;
        }
        switch (take_credit(self, msg)) {
        case credit_check::go:
          on_publish(self, msg, run);
          break;
        case credit_check::answered:
          break;
        case credit_check::wait:
          return stop_here(frame.next);
        }
        continue;
      }
      if (msg.kind == protocol::op::ack && st.connected) {
        on_ack(self, msg, acks);
        continue;
      }
      // Publishes and acks before another op reach their actor before it acts.
      send_publishes(self, run);
      send_acks(self, acks);
      dispatch(self, msg);
      if (st.paused) {
        return stop_here(frame.next + 1);
      }
    }
    send_publishes(self, run);
    send_acks(self, acks);
    if (!frame.clean) {
      count_bad_frame(self, frame.bad_snippet);
    }
    hold_after_frame(self);
  }
  if (auto sink = st.sink.lock()) {
    sink->frame_done(frame.bytes);
  }
  return true;
}

void on_frame(connection_actor* self, client_frame& frame) {
  auto& st = self->state;
  if (st.paused || !st.deferred.empty() || st.ops_in_flight >= max_ops_in_flight(st)) {
    st.deferred.push_back(std::move(frame));
    return;
  }
  handle_frame(self, frame);
}

caf::behavior connection(connection_actor* self, node_context* ctx, protocol::encoding enc,
                         std::weak_ptr<connection_sink> sink, std::string remote) {
  auto& st = self->state;
  st.ctx = ctx;
  ++ctx->live_connections; // until the state goes (~connection_state)
  st.registry = caf::actor_cast<registry_actor>(ctx->registry);
  st.enc = enc;
  st.sink = std::move(sink);
  st.remote = std::move(remote);
  st.conn_id = ctx->next_conn_id++;
  st.reader = reader_for(*ctx, st.conn_id);
  st.capacity = static_cast<std::size_t>(ctx->limits.outbound_queue);
  self->set_down_handler([=](caf::down_msg& dm) {
    output_batch batch{self};
    if (!on_tenant_down(self, dm) && !on_group_down(self, dm)) {
      on_topic_down(self, dm);
    }
  });
  log().debug("conn.opened conn={} remote={}", st.conn_id, st.remote);
  return {
      [=](frame_atom, client_frame& frame) {
        output_batch batch{self};
        on_frame(self, frame);
      },
      [=](events_atom, const event_batch_ptr& events) {
        output_batch batch{self};
        on_events(self, events);
      },
      [=](queued_atom, const queued_batch& events) { on_queued(self, events); },
      [=](demoted_atom, const std::string& topic, uint64_t generation) {
        on_demoted(self, topic, generation);
      },
      [=](flush_atom) {
        self->state.flush_scheduled = false;
        flush_output(self);
      },
      [=](token_atom, uint64_t timer) { on_token_timer(self, timer); },
      [=](slow_atom, int level, int64_t retry_after_ms, const std::string& reason) {
        on_slow_down(self, level, retry_after_ms, reason);
      },
      [=](limits_atom, const tenant_limits& limits) { on_limits(self, limits); },
      [=](revoke_atom, int64_t retry_after_ms) { on_revoke(self, retry_after_ms); },
      [=](drain_atom, int64_t reconnect_after_ms, int64_t timeout_ms) {
        output_batch batch{self};
        on_node_drain(self, reconnect_after_ms, timeout_ms);
      },
      [=](drain_atom) {
        output_batch batch{self};
        leave_when_done(self);
      },
      [=](resume_atom) {
        output_batch batch{self};
        resume(self);
      },
      [=](written_atom) {
        output_batch batch{self};
        self->state.drain_requested = false;
        refill(self);
      },
      [=](closed_atom, int32_t how) {
        log().debug("conn.closed conn={} remote={}", self->state.conn_id, self->state.remote);
        const bool lost = how == static_cast<int32_t>(connection_handle::hangup::lost);
        leave_presence(self, lost ? ctx->presence.timeout_ms : 0);
        self->quit();
      },
      [=](presence_atom, const std::string& topic, const presence_push_ptr& push) {
        on_presence_push(self, topic, push);
      },
  };
}

} // namespace

const topic_actor* topic_cache::find(const std::string& name) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].first == name) {
      std::rotate(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i),
                  entries_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      return &entries_.front().second;
    }
  }
  return nullptr;
}

void topic_cache::put(const std::string& name, topic_actor handle) {
  forget(name);
  if (entries_.size() == capacity) {
    entries_.pop_back();
  }
  entries_.insert(entries_.begin(), {name, std::move(handle)});
}

void topic_cache::forget(const std::string& name) {
  std::erase_if(entries_, [&](const auto& e) { return e.first == name; });
}

output_batch::output_batch(connection_actor* self) : self_(self) {
  self_->state.batching = true;
}

output_batch::~output_batch() {
  self_->state.batching = false;
  flush_output(self_);
}

void push_output(connection_actor* self, std::shared_ptr<const std::string> msg) {
  auto& st = self->state;
  if (st.closing) {
    return;
  }
  st.pending.parts.push_back(std::move(msg));
  if (!st.batching && !st.flush_scheduled) {
    // A reply outside a batch (a response handler): the replies already in the mailbox
    // join it, and the socket gets them in one hand-over instead of one each.
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

void flush_output(connection_actor* self) {
  auto& st = self->state;
  report_subscriptions(self);
  if (st.pending.parts.empty()) {
    return;
  }
  if (auto sink = st.sink.lock()) {
    sink->write(std::move(st.pending));
  }
  st.pending.parts.clear();
}

std::size_t output_room(connection_actor* self) {
  auto& st = self->state;
  auto sink = st.sink.lock();
  auto used = (sink ? sink->backlog() : 0) + st.pending.parts.size();
  return used < st.capacity ? st.capacity - used : 0;
}

void notify_when_drained(connection_actor* self) {
  auto& st = self->state;
  if (st.drain_requested) {
    return;
  }
  if (auto sink = st.sink.lock()) {
    st.drain_requested = true;
    sink->notify_when_drained();
  }
}

void send_message(connection_actor* self, std::string msg) {
  auto& st = self->state;
  if (st.closing) {
    return;
  }
  // Replies are never dropped, but a client that sends requests and never reads them
  // would grow the backlog forever.
  auto sink = st.sink.lock();
  if (sink && sink->backlog() + st.pending.parts.size() >= hard_limit_factor * st.capacity) {
    log().info("conn.closed conn={} remote={} code=1008 reason=not_reading", st.conn_id, st.remote);
    close_connection(self, close_policy_violation, "client does not read its replies");
    return;
  }
  push_output(self, std::make_shared<const std::string>(std::move(msg)));
}

void send_error(connection_actor* self, std::optional<int64_t> id, std::string_view code,
                std::string_view message, std::optional<int64_t> retry_after_ms) {
  send_message(self, protocol::encode_error(self->state.enc, id, code, message, retry_after_ms));
}

uint64_t oldest_seq(const store::history_page& page) {
  return page.first_seq != 0 ? page.first_seq : page.last_seq + 1;
}

void send_expired(connection_actor* self, std::optional<int64_t> id, const std::string& what,
                  uint64_t from, uint64_t oldest) {
  send_message(self, protocol::encode_expired_error(
                         self->state.enc, id,
                         what + " from seq " + std::to_string(from) + ": events before seq " +
                             std::to_string(oldest) + " are no longer kept (retention or purge)",
                         oldest));
}

void send_failure(connection_actor* self, std::optional<int64_t> id, const caf::error& err,
                  std::string_view what) {
  using namespace protocol::error_code;
  auto f = failure_of(err);
  if (!f) {
    if (err == caf::sec::request_receiver_down) {
      // The actor stopped before it took the request (a passivated topic): nothing of
      // it happened, and a new one starts on the next try.
      return send_error(self, id, unavailable, std::string(what) + " was not done; retry", 10);
    }
    log().warn("conn.request_failed conn={} error=\"{}\"", self->state.conn_id,
               self->system().render(err));
    return send_error(self, id, internal, std::string(what) + " failed");
  }
  auto message = failure_message(err, std::string(what) + " failed");
  switch (*f) {
  case failure::overloaded:
  case failure::not_stored:
    return send_error(self, id, unavailable, message, 100);
  case failure::store_unavailable:
  case failure::topic_unavailable:
  case failure::stopping:
  case failure::not_owner:
    return send_error(self, id, unavailable, message, 1000);
  case failure::not_found:
    return send_error(self, id, not_found, message);
  case failure::bad_request:
    return send_error(self, id, bad_request, message);
  case failure::throttled:
    return send_error(self, id, throttled, message, 1000);
  }
}

void close_connection(connection_actor* self, uint16_t code, std::string reason) {
  auto& st = self->state;
  if (st.closing) {
    return;
  }
  // What is queued goes out first: the session closes after its pending writes.
  flush_output(self);
  st.closing = true;
  if (auto sink = st.sink.lock()) {
    sink->close(code, std::move(reason));
  }
}

void with_topic(connection_actor* self, const std::string& topic, topic_callback fn) {
  auto& st = self->state;
  if (auto sub = st.subs.find(topic);
      sub != st.subs.end() && sub->second.topic && !is_terminated(sub->second.topic)) {
    fn(&sub->second.topic, caf::error{});
    return;
  }
  if (const auto* cached = st.targets.find(topic)) {
    if (!is_terminated(*cached)) {
      fn(cached, caf::error{});
      return;
    }
    st.targets.forget(topic); // stopped (idle, or crashed): look the new one up
  }
  const auto lookup_of = [](connection_state& s, const std::string& name) {
    return std::find_if(s.lookups.begin(), s.lookups.end(),
                        [&](const auto& entry) { return entry.first == name; });
  };
  if (auto pending = lookup_of(st, topic); pending != st.lookups.end()) {
    pending->second.push_back(std::move(fn));
    return;
  }
  st.lookups.emplace_back(topic, std::vector<topic_callback>{}).second.push_back(std::move(fn));
  auto on_result = [=](const topic_actor* handle, const caf::error& why) {
    auto& s = self->state;
    auto entry = lookup_of(s, topic);
    auto callbacks = std::move(entry->second);
    s.lookups.erase(entry);
    if (s.lookups.empty()) {
      s.lookups.shrink_to_fit(); // an idle connection holds no look-up slot
    }
    output_batch batch{self};
    for (auto& cb : callbacks) {
      cb(handle, why);
    }
    // A subscription keeps its topic's handle itself (and most connections only
    // subscribe): the cache is for the topics published to without one.
    if (handle && s.subs.count(topic) == 0) {
      s.targets.put(topic, *handle);
    }
  };
  self->request(st.registry, caf::infinite, lookup_atom::value, topic_key(st.tenant, topic))
      .then([=](const topic_actor& handle) { on_result(&handle, caf::error{}); },
            [=](caf::error& why) { on_result(nullptr, why); });
}

void op_started(connection_actor* self, std::size_t n) {
  self->state.ops_in_flight += n;
}

void op_finished(connection_actor* self, std::size_t n) {
  auto& st = self->state;
  st.ops_in_flight -= n;
  output_batch batch{self};
  while (!st.paused && !st.deferred.empty() && st.ops_in_flight < max_ops_in_flight(st)) {
    auto frame = std::move(st.deferred.front());
    st.deferred.erase(st.deferred.begin());
    if (!handle_frame(self, frame)) {
      break;
    }
  }
  leave_when_done(self);
}

connection_handle& connection_handle::operator=(connection_handle&& other) noexcept {
  if (this != &other) {
    closed();
    actor_ = std::exchange(other.actor_, nullptr);
    enc_ = other.enc_;
  }
  return *this;
}

connection_handle::~connection_handle() {
  if (actor_ != nullptr) {
    caf::intrusive_ptr_release(actor_);
  }
}

connection_handle connection_handle::spawn(node_context& ctx, protocol::encoding enc,
                                           std::weak_ptr<connection_sink> sink,
                                           std::string remote) {
  auto actor = ctx.system->spawn(connection, &ctx, enc, std::move(sink), std::move(remote));
  connection_handle h;
  h.actor_ = caf::actor_cast<caf::strong_actor_ptr>(std::move(actor)).release();
  h.enc_ = enc;
  return h;
}

void connection_handle::frame(std::string_view payload) const {
  if (actor_ == nullptr) {
    return;
  }
  client_frame frame;
  frame.bytes = payload.size();
  frame.clean = protocol::decode_frame(enc_, payload, frame.messages);
  if (!frame.clean) {
    frame.bad_snippet = std::string(payload.substr(0, bad_snippet_bytes));
  }
  caf::anon_send(caf::actor_cast<caf::actor>(actor_), frame_atom::value, std::move(frame));
}

void connection_handle::written() const {
  if (actor_ != nullptr) {
    caf::anon_send(caf::actor_cast<caf::actor>(actor_), written_atom::value);
  }
}

void connection_handle::drain(int64_t reconnect_after_ms, int64_t timeout_ms) const {
  if (actor_ != nullptr) {
    caf::anon_send(caf::actor_cast<caf::actor>(actor_), drain_atom::value, reconnect_after_ms,
                   timeout_ms);
  }
}

void connection_handle::closed(hangup how) {
  if (actor_ != nullptr) {
    caf::anon_send(caf::actor_cast<caf::actor>(actor_), closed_atom::value,
                   static_cast<int32_t>(how));
    caf::intrusive_ptr_release(std::exchange(actor_, nullptr));
  }
}

} // namespace switchyard::actors
