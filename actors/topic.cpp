#include "actors/topic.hpp"

#include "actors/atoms.hpp"
#include "actors/messages.hpp"
#include "actors/topic_state.hpp"
#include "actors/log.hpp"
#include "store/event_store.hpp"
#include "protocol/message.hpp"

#include <chrono>
#include <deque>
#include <stdexcept>
#include <vector>

#include <caf/all.hpp>

namespace switchyard::actors {

namespace {

struct subscriber {
  caf::actor who;
  protocol::encoding enc;
};

struct topic_actor_state {
  topic_state log{"", ""};
  node_context* ctx = nullptr;
  std::vector<subscriber> subscribers;
  /// One entry per staged or in-flight event, in seq order; an empty promise means
  /// the publisher asked for no reply.
  std::deque<caf::response_promise> replies;
  std::size_t json_subscribers = 0;
  std::size_t msgpack_subscribers = 0;
  static inline const char* name = "topic";
};

using topic_actor = caf::stateful_actor<topic_actor_state>;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void count_encoding(topic_actor_state& st, protocol::encoding enc, int delta) {
  auto& n = enc == protocol::encoding::json ? st.json_subscribers : st.msgpack_subscribers;
  n = static_cast<std::size_t>(static_cast<int64_t>(n) + delta);
}

void remove_subscriber(topic_actor_state& st, const caf::actor_addr& who) {
  for (std::size_t i = 0; i < st.subscribers.size(); ++i) {
    if (st.subscribers[i].who.address() == who) {
      count_encoding(st, st.subscribers[i].enc, -1);
      st.subscribers[i] = std::move(st.subscribers.back());
      st.subscribers.pop_back();
      return;
    }
  }
}

/// Replies to the first `n` publishers, then sends the batch to every subscriber as
/// one shared message (no copy per subscriber).
void deliver(topic_actor* self, const event_batch_ptr& batch) {
  auto& st = self->state;
  for (const auto& ev : batch->events) {
    auto& rp = st.replies.front();
    if (rp.pending()) {
      rp.deliver(ev.seq, false);
    }
    st.replies.pop_front();
  }
  if (st.subscribers.empty() || batch->events.empty()) {
    return;
  }
  auto msg = caf::make_message(events_atom::value, batch);
  for (auto& sub : st.subscribers) {
    sub.who->enqueue(caf::strong_actor_ptr{self->ctrl()}, caf::make_message_id(), msg,
                     self->context());
  }
}

void fail_pending(topic_actor* self, const caf::error& err) {
  auto& st = self->state;
  auto dropped = st.log.abort();
  log().error("topic.append_failed tenant={} topic={} dropped={} error=\"{}\"",
                               st.log.tenant(), st.log.topic(), dropped,
                               self->system().render(err));
  for (auto& rp : st.replies) {
    if (rp.pending()) {
      rp.deliver(err);
    }
  }
  st.replies.clear();
}

void flush(topic_actor* self) {
  auto& st = self->state;
  if (!st.log.ready_to_flush()) {
    return;
  }
  self->request(st.ctx->writer, caf::infinite, append_atom::value, st.log.take_batch())
      .then(
          [=](store::append_batch& batch) {
            auto& s = self->state;
            deliver(self, s.log.commit(std::move(batch), s.json_subscribers > 0,
                                       s.msgpack_subscribers > 0));
            flush(self);
          },
          [=](caf::error& err) { fail_pending(self, err); });
}

caf::behavior topic_behavior(topic_actor* self) {
  self->set_down_handler([=](caf::down_msg& dm) { remove_subscriber(self->state, dm.source); });
  return {
      [=](publish_atom, publish_request& req) {
        auto& st = self->state;
        st.replies.push_back(req.wants_reply ? self->make_response_promise()
                                             : caf::response_promise{});
        st.log.stage(now_ms(), std::move(req.data), std::move(req.key), std::move(req.idem));
        flush(self);
      },
      [=](subscribe_atom, protocol::encoding enc) {
        auto& st = self->state;
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        remove_subscriber(st, sender.address());
        st.subscribers.push_back(subscriber{sender, enc});
        count_encoding(st, enc, +1);
        self->monitor(sender);
        return st.log.durable_seq();
      },
      [=](unsub_atom) {
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        remove_subscriber(self->state, sender.address());
        self->demonitor(sender);
      },
      [=](count_atom) { return static_cast<uint64_t>(self->state.subscribers.size()); },
      [=](crash_atom) -> uint64_t { throw std::runtime_error("injected fault"); },
  };
}

caf::behavior topic_init(topic_actor* self, node_context* ctx, std::string tenant,
                         std::string topic) {
  auto& st = self->state;
  st.ctx = ctx;
  st.log = topic_state{std::move(tenant), std::move(topic)};
  store::topic_info info;
  auto status = ctx->store->info(st.log.tenant(), st.log.topic(), info);
  if (!status.ok()) {
    // Thrown from init: the actor quits with an error and the registry restarts it.
    throw std::runtime_error("cannot read topic state: " + status.message);
  }
  st.log.recover(info);
  log().debug("topic.started tenant={} topic={} last_seq={}", st.log.tenant(),
                               st.log.topic(), info.last_seq);
  return topic_behavior(self);
}

} // namespace

caf::actor spawn_topic(caf::event_based_actor* supervisor, node_context& ctx, std::string tenant,
                       std::string topic) {
  return supervisor->spawn<caf::linked>(topic_init, &ctx, std::move(tenant), std::move(topic));
}

} // namespace switchyard::actors
