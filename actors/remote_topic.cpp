#include "actors/remote_topic.hpp"

#include "actors/cluster_messages.hpp"
#include "actors/failure.hpp"
#include "actors/log.hpp"
#include "actors/node_context.hpp"
#include "actors/shard_map.hpp"

#include <charconv>
#include <map>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

namespace switchyard::actors {

namespace {

/// A forward waits this long for the owner's answer (its store commit included).
constexpr auto forward_timeout = std::chrono::seconds(10);
constexpr auto connect_timeout = std::chrono::seconds(2);

struct remote_topic_state {
  node_context* ctx = nullptr;
  std::string tenant;
  std::string topic;
  uint32_t shard = 0;
  std::string peer_address; ///< host:port of the owner's peer actor, as last resolved
  caf::actor peer;          ///< null until resolved, and after the owner went
  /// Publishes on their way to the owner (or waiting for its connection), by number:
  /// whatever ends them first (answer, failure, the owner's loss) answers them.
  std::map<uint64_t, caf::typed_response_promise<publish_acks>> pending;
  uint64_t forwards = 0;
  static inline const char* name = "remote_topic";
};

using remote_topic_pointer = topic_actor::stateful_pointer<remote_topic_state>;

caf::error not_here(const remote_topic_state& st, const char* what) {
  auto owner = st.ctx->shards->owner_of(st.shard);
  return make_failure(failure::not_owner,
                      std::string{what} + " works only on the node that owns the topic's shard " +
                          std::to_string(st.shard) +
                          (owner ? " (node " + owner->node + " at " + owner->url + ")" : "") +
                          "; relaying events between nodes is not built yet");
}

forwarded_publish to_forwarded(const remote_topic_state& st, publish_batch& batch) {
  forwarded_publish fp;
  fp.tenant = st.tenant;
  fp.topic = st.topic;
  fp.awaited = batch.awaited;
  for (auto& e : batch.events) {
    fp.data.push_back(e.data);
    fp.key.push_back(e.key);
    fp.idem.push_back(e.idem);
    fp.ttl_ms.push_back(e.ttl_ms);
  }
  return fp;
}

publish_acks to_acks(const forwarded_acks& fa) {
  publish_acks out;
  out.lag_level = fa.lag_level;
  for (std::size_t i = 0; i < fa.seq.size(); ++i) {
    out.events.push_back({fa.seq[i], i < fa.dup.size() && fa.dup[i] != 0,
                          i < fa.refused.size() && fa.refused[i] != 0});
  }
  return out;
}

/// Answers a pending publish (once: later answers for it are dropped).
template <class T> void answer(remote_topic_pointer self, uint64_t id, T&& x) {
  auto& pending = self->state.pending;
  if (auto it = pending.find(id); it != pending.end()) {
    it->second.deliver(std::forward<T>(x));
    pending.erase(it);
  }
}

caf::error owner_lost(const remote_topic_state& st) {
  // Not not_owner: the connection would send it again at once, and it may have been
  // stored. The same idem makes a retry safe.
  return make_failure(failure::topic_unavailable,
                      "the node owning shard " + std::to_string(st.shard) +
                          " did not answer: the publish may or may not be stored; retry with "
                          "the same idem");
}

/// The owner went (its connection broke, or etcd moved the shard): every publish on its
/// way there is answered now rather than at its timeout, and the stand-in stops, so the
/// next look-up finds what serves the topic now.
void give_up(remote_topic_pointer self, const char* why) {
  auto& st = self->state;
  if (!st.pending.empty()) {
    log().info("cluster.forwards_abandoned tenant={} topic={} peer={} publishes={} reason={}",
               log_name(st.tenant), st.topic, st.peer_address, st.pending.size(), why);
  }
  const auto err = owner_lost(st);
  for (auto& [id, rp] : st.pending) {
    rp.deliver(err);
  }
  st.pending.clear();
  self->quit();
}

void forward(remote_topic_pointer self, uint64_t id, std::shared_ptr<forwarded_publish> fp) {
  auto& st = self->state;
  self->request(st.peer, forward_timeout, forward_atom::value, *fp)
      .then([=](const forwarded_acks& acks) { answer(self, id, to_acks(acks)); },
            [=](caf::error& err) {
              auto& s = self->state;
              if (!failure_of(err)) {
                // The owner went, or did not answer in time: whether it stored the events
                // is unknown, as after any lost answer.
                log().info("cluster.forward_failed tenant={} topic={} peer={} error=\"{}\"",
                           log_name(s.tenant), s.topic, s.peer_address, self->system().render(err));
                s.peer = nullptr;
                err = owner_lost(s);
              }
              answer(self, id, std::move(err));
            });
}

topic_actor::behavior_type remote_topic_behavior(remote_topic_pointer self) {
  return {
      [=](publish_atom, const publish_batch_ptr& batch) -> caf::result<publish_acks> {
        auto& st = self->state;
        const auto owner = st.ctx->shards->owner_of(st.shard);
        if (!owner) {
          // The shard came here, or has no owner now: this actor stops, and the
          // connection's retry finds what serves the topic now.
          auto refused = st.ctx->shards->refusal_of_shard(st.shard);
          give_up(self, "moved");
          if (refused) {
            return std::move(*refused);
          }
          return make_failure(failure::not_owner, "the topic's shard moved to this node; retry");
        }
        auto fp = std::make_shared<forwarded_publish>(to_forwarded(st, *batch));
        auto rp = self->make_response_promise<publish_acks>();
        const auto id = ++st.forwards;
        st.pending.emplace(id, rp);
        if (st.peer && st.peer_address == owner->peer) {
          forward(self, id, fp);
          return rp;
        }
        const auto colon = owner->peer.rfind(':');
        uint16_t port = 0;
        if (colon == std::string::npos ||
            std::from_chars(owner->peer.data() + colon + 1, owner->peer.data() + owner->peer.size(),
                            port)
                    .ec != std::errc{}) {
          st.pending.erase(id);
          return make_failure(failure::topic_unavailable,
                              "node " + owner->node + " has no peer address in etcd");
        }
        const auto host = owner->peer.substr(0, colon);
        const auto address = owner->peer;
        auto mm = self->system().middleman().actor_handle();
        self->request(mm, connect_timeout, caf::connect_atom::value, host, port)
            .then(
                [=](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
                  auto& s = self->state;
                  auto peer = caf::actor_cast<caf::actor>(ptr);
                  if (!peer) {
                    return answer(self, id,
                                  make_failure(failure::not_owner,
                                               "node at " + address + " has no peer actor; retry"));
                  }
                  if (s.peer != peer) {
                    s.peer = peer;
                    s.peer_address = address;
                    // Its connection breaking answers the publishes on their way there.
                    self->monitor(peer);
                  }
                  forward(self, id, fp);
                },
                [=](caf::error& err) {
                  log().info("cluster.connect_failed peer={} error=\"{}\"", address,
                             self->system().render(err));
                  answer(self, id,
                         make_failure(failure::not_owner,
                                      "cannot reach the node owning the topic's shard at " +
                                          address + "; retry"));
                });
        return rp;
      },
      [=](subscribe_atom, protocol::encoding, presence_join&) -> caf::result<uint64_t> {
        return not_here(self->state, "subscribe");
      },
      [=](leave_atom, int64_t) {},
      [=](presence_atom, uint64_t, uint32_t) -> caf::result<presence_page> {
        return not_here(self->state, "presence");
      },
      [=](presence_atom) {},
      [=](sweep_atom) {},
      [=](promote_atom, direct_delivery&) {},
      [=](unsub_atom) { return true; },
      [=](attach_atom) -> caf::result<uint64_t> { return not_here(self->state, "a queue group"); },
      [=](detach_atom) {},
      [=](slow_atom, int32_t) {},
      [=](committed_atom, store::append_batch&) {},
      [=](committed_atom, held_commit&) {},
      [=](retry_atom) {},
      [=](flush_atom) {},
      [=](refused_atom, store::topic_info&) {},
      [=](count_atom) { return uint64_t{0}; },
      [=](crash_atom) { throw std::runtime_error("crash requested (fault injection)"); },
      [=](passivate_atom) {
        if (self->state.pending.empty()) {
          self->quit();
        }
      },
      [=](tick_atom) {
        // Idle, or the shard's owner is no longer the node it forwards to.
        auto& st = self->state;
        const auto owner = st.ctx->shards->owner_of(st.shard);
        if (st.pending.empty() || !owner || owner->peer != st.peer_address) {
          give_up(self, "moved");
        }
      },
  };
}

topic_actor::behavior_type remote_topic_init(remote_topic_pointer self, node_context* ctx,
                                             std::string tenant, std::string topic) {
  auto& st = self->state;
  st.ctx = ctx;
  st.shard = shard_of(tenant, topic);
  st.tenant = std::move(tenant);
  st.topic = std::move(topic);
  self->set_down_handler([=](caf::down_msg& dm) {
    if (self->state.peer && dm.source == self->state.peer.address()) {
      self->state.peer = nullptr;
      give_up(self, "connection_lost");
    }
  });
  return remote_topic_behavior(self);
}

} // namespace

topic_actor spawn_remote_topic(caf::local_actor* supervisor, node_context& ctx, std::string tenant,
                               std::string topic) {
  return supervisor->spawn<caf::monitored>(remote_topic_init, &ctx, std::move(tenant),
                                           std::move(topic));
}

} // namespace switchyard::actors
