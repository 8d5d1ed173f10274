#include "actors/cluster_peer.hpp"

#include "actors/cluster_messages.hpp"
#include "actors/failure.hpp"
#include "actors/interfaces.hpp"
#include "actors/log.hpp"
#include "actors/node_context.hpp"
#include "actors/registry.hpp"
#include "actors/shard_map.hpp"
#include "actors/store_reader.hpp"

#include <charconv>
#include <functional>
#include <map>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

namespace switchyard::actors {

namespace {

constexpr auto connect_timeout = std::chrono::seconds(2);
/// A catch-up page: at most this many events, or this much data.
constexpr std::size_t page_events = 1024;
constexpr std::size_t page_bytes = 4u << 20;

publish_batch_ptr to_batch(forwarded_publish& fp) {
  auto batch = std::make_shared<publish_batch>();
  batch->awaited = fp.awaited;
  const auto n = fp.data.size();
  if (fp.key.size() != n || fp.idem.size() != n || fp.ttl_ms.size() != n) {
    return nullptr;
  }
  batch->events.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    batch->events.push_back(
        {std::move(fp.data[i]), std::move(fp.key[i]), std::move(fp.idem[i]), fp.ttl_ms[i]});
  }
  return batch;
}

forwarded_acks to_forwarded(const publish_acks& acks) {
  forwarded_acks out;
  out.lag_level = acks.lag_level;
  for (const auto& a : acks.events) {
    out.seq.push_back(a.seq);
    out.dup.push_back(a.dup ? 1 : 0);
    out.refused.push_back(a.refused ? 1 : 0);
  }
  return out;
}

/// Hands the batch to the local topic; a topic that stopped (idle) before it took it is
/// looked up again, as a connection does.
void publish_here(caf::event_based_actor* self, node_context* ctx, const std::string& key,
                  publish_batch_ptr batch, caf::typed_response_promise<forwarded_acks> rp,
                  int attempt) {
  auto registry = caf::actor_cast<registry_actor>(ctx->registry);
  self->request(registry, caf::infinite, lookup_atom::value, key)
      .then(
          [=](const topic_actor& topic) {
            self->request(topic, caf::infinite, publish_atom::value, batch)
                .then([=](const publish_acks& acks) mutable { rp.deliver(to_forwarded(acks)); },
                      [=](caf::error& err) mutable {
                        if (err == caf::sec::request_receiver_down && attempt < 3) {
                          return publish_here(self, ctx, key, batch, rp, attempt + 1);
                        }
                        rp.deliver(std::move(err));
                      });
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

/// Why a copy from an owner is not taken: a bad tenant, a shard this node owns itself,
/// or an epoch older than the one it knows (fencing an owner that was replaced and may
/// still be sending after a partition).
std::optional<caf::error> refuse_copy(node_context* ctx, const std::string& tenant,
                                      const std::string& topic, int64_t epoch) {
  if (ctx->shards == nullptr || tenant.size() > 255) {
    return make_failure(failure::bad_request, "not a cluster member, or a bad tenant");
  }
  const auto shard = shard_of(tenant, topic);
  if (ctx->shards->serves(shard)) {
    return make_failure(failure::not_owner, "this node owns shard " + std::to_string(shard) +
                                                ": it takes no copies of it");
  }
  if (const auto known = ctx->shards->epoch_of(shard); epoch < known) {
    log().info("cluster.replica_refused tenant={} topic={} shard={} epoch={} known_epoch={}",
               log_name(tenant), topic, shard, epoch, known);
    return make_failure(failure::not_owner, "shard " + std::to_string(shard) + " epoch " +
                                                std::to_string(epoch) + " is older than epoch " +
                                                std::to_string(known) +
                                                ": this owner was replaced");
  }
  return std::nullopt;
}

struct peer_state {
  node_context* ctx = nullptr;
  /// Other members' peer actors by host:port, once connected.
  std::map<std::string, caf::actor> remotes;
  /// Who waits for a connection under way, by host:port.
  std::map<std::string, std::vector<std::function<void(const caf::actor&)>>> connecting;
  static inline const char* name = "cluster-peer";
};

using peer_pointer = caf::stateful_actor<peer_state>*;

/// Stores a copied queue group state or agent record with this node's writer.
template <class Atom, class Record>
caf::result<bool> store_state(peer_pointer self, Atom atom, Record rec) {
  auto rp = self->make_response_promise<bool>();
  self->request(caf::actor_cast<store_writer_actor>(self->state.ctx->writer), caf::infinite, atom,
                std::move(rec))
      .then([=](bool ok) mutable { rp.deliver(ok); },
            [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

/// Calls `then` with the peer actor of the member at `address` (host:port), connecting
/// through the middleman the first time; with null when it cannot be reached.
void with_remote(peer_pointer self, const std::string& address,
                 std::function<void(const caf::actor&)> then) {
  auto& st = self->state;
  if (auto it = st.remotes.find(address); it != st.remotes.end()) {
    return then(it->second);
  }
  auto& waiting = st.connecting[address];
  waiting.push_back(std::move(then));
  if (waiting.size() > 1) {
    return;
  }
  const auto colon = address.rfind(':');
  uint16_t port = 0;
  const auto finish = [self, address](const caf::actor& remote) {
    auto waiters = std::move(self->state.connecting[address]);
    self->state.connecting.erase(address);
    if (remote) {
      self->state.remotes[address] = remote;
      self->monitor(remote);
    }
    for (auto& w : waiters) {
      w(remote);
    }
  };
  if (colon == std::string::npos ||
      std::from_chars(address.data() + colon + 1, address.data() + address.size(), port).ec !=
          std::errc{}) {
    return finish(nullptr);
  }
  auto mm = self->system().middleman().actor_handle();
  self->request(mm, connect_timeout, caf::connect_atom::value, address.substr(0, colon), port)
      .then([=](const caf::node_id&, caf::strong_actor_ptr& ptr,
                const std::set<std::string>&) { finish(caf::actor_cast<caf::actor>(ptr)); },
            [=](caf::error& err) {
              log().info("cluster.connect_failed peer={} error=\"{}\"", address,
                         self->system().render(err));
              finish(nullptr);
            });
}

/// Sends `msg` to the peer at `address` and gives its answer (of type T) to `rp`.
template <class T, class... Ts>
void ask_remote(peer_pointer self, const std::string& address, caf::typed_response_promise<T> rp,
                std::chrono::milliseconds timeout, Ts... xs) {
  with_remote(self, address, [=](const caf::actor& remote) mutable {
    if (!remote) {
      rp.deliver(make_failure(failure::topic_unavailable, "cannot reach node at " + address));
      return;
    }
    self->request(remote, timeout, xs...)
        .then([=](T& answer) mutable { rp.deliver(std::move(answer)); },
              [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  });
}

/// A local actor's message for the member at `address`: its answer goes to the sender.
template <class T, class... Ts>
caf::typed_response_promise<T> relay(peer_pointer self, const std::string& address,
                                     int64_t timeout_ms, Ts... xs) {
  auto rp = self->make_response_promise<T>();
  ask_remote(self, address, rp, std::chrono::milliseconds(timeout_ms), std::move(xs)...);
  return rp;
}

caf::behavior peer(peer_pointer self, node_context* ctx) {
  self->state.ctx = ctx;
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& remotes = self->state.remotes;
    for (auto it = remotes.begin(); it != remotes.end(); ++it) {
      if (it->second.address() == dm.source) {
        remotes.erase(it);
        break;
      }
    }
  });
  return {
      [=](forward_atom, forwarded_publish& fp) -> caf::result<forwarded_acks> {
        if (ctx->shards == nullptr || fp.tenant.size() > 255) {
          return make_failure(failure::bad_request, "not a cluster member, or a bad tenant");
        }
        const auto key = topic_key(fp.tenant, fp.topic);
        if (auto refused = ctx->shards->refusal(key)) {
          return std::move(*refused); // no second hop: the sender retries with its new map
        }
        auto batch = to_batch(fp);
        if (!batch) {
          return make_failure(failure::bad_request, "forwarded publish with uneven columns");
        }
        auto rp = self->make_response_promise<forwarded_acks>();
        publish_here(self, ctx, key, std::move(batch), rp, 1);
        return rp;
      },
      // From a local topic: copy its batch to the follower at `address`.
      [=](replicate_atom, const std::string& address, replica_batch& batch,
          int64_t timeout_ms) -> caf::result<uint64_t> {
        return relay<uint64_t>(self, address, timeout_ms, replicate_atom::value, std::move(batch));
      },
      // From the local store writer: a queue group's state or an agent record to copy.
      [=](replicate_atom, const std::string& address, replica_group& rec,
          int64_t timeout_ms) -> caf::result<bool> {
        return relay<bool>(self, address, timeout_ms, replicate_atom::value, std::move(rec));
      },
      [=](replicate_atom, const std::string& address, replica_agent& rec,
          int64_t timeout_ms) -> caf::result<bool> {
        return relay<bool>(self, address, timeout_ms, replicate_atom::value, std::move(rec));
      },
      // From an owner: a queue group's state or an agent record it stored.
      [=](replicate_atom, replica_group& rec) -> caf::result<bool> {
        if (auto refused = refuse_copy(ctx, rec.tenant, rec.topic, rec.epoch)) {
          return std::move(*refused);
        }
        auto write = to_group_write(std::move(rec));
        if (!write) {
          return make_failure(failure::bad_request, "replica group with uneven columns");
        }
        return store_state(self, group_atom::value, std::move(*write));
      },
      [=](replicate_atom, replica_agent& rec) -> caf::result<bool> {
        if (auto refused = refuse_copy(ctx, rec.tenant, rec.topic, rec.epoch)) {
          return std::move(*refused);
        }
        return store_state(self, checkpoint_atom::value, to_agent_write(std::move(rec)));
      },
      // From a local topic starting: what the member at `address` holds past its last seq.
      [=](pull_atom, const std::string& address, catch_up_request& req,
          int64_t timeout_ms) -> caf::result<replica_batch> {
        return relay<replica_batch>(self, address, timeout_ms, pull_atom::value, std::move(req));
      },
      // From an owner: its stored batch, for this node to store under the same seqs.
      [=](replicate_atom, replica_batch& batch) -> caf::result<uint64_t> {
        if (auto refused = refuse_copy(ctx, batch.tenant, batch.topic, batch.epoch)) {
          return std::move(*refused);
        }
        auto append = to_append_batch(std::move(batch));
        if (!append || append->events.empty()) {
          return make_failure(failure::bad_request, "replica batch with uneven or no columns");
        }
        auto rp = self->make_response_promise<uint64_t>();
        self->request(caf::actor_cast<store_writer_actor>(ctx->writer), caf::infinite,
                      replicate_atom::value, std::move(*append))
            .then([=](uint64_t last) mutable { rp.deliver(last); },
                  [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      // From a topic starting on another member: the events this store holds past its
      // last seq (none when this store holds no more).
      [=](pull_atom, catch_up_request& req) -> caf::result<replica_batch> {
        if (ctx->shards == nullptr || req.tenant.size() > 255) {
          return make_failure(failure::bad_request, "not a cluster member, or a bad tenant");
        }
        store::topic_info info;
        if (auto s = ctx->store->info(req.tenant, req.topic, info); !s.ok()) {
          return make_failure(failure::topic_unavailable, s.message);
        }
        replica_batch empty;
        empty.tenant = req.tenant;
        empty.topic = req.topic;
        if (info.last_seq <= req.after_seq) {
          return empty;
        }
        read_request read;
        read.what = read_request::kind::history;
        read.tenant = req.tenant;
        read.topic = req.topic;
        read.from_seq = req.after_seq >= req.overlap ? req.after_seq - req.overlap + 1 : 1;
        read.limit = page_events;
        read.max_bytes = page_bytes;
        auto rp = self->make_response_promise<replica_batch>();
        self->request(reader_for(*ctx, req.after_seq), caf::infinite, read_atom::value,
                      std::move(read))
            .then(
                [=](read_result& r) mutable {
                  if (!r.status.ok()) {
                    rp.deliver(make_failure(failure::topic_unavailable, r.status.message));
                    return;
                  }
                  store::append_batch page{req.tenant, req.topic, std::move(r.page.events)};
                  const bool from_start =
                      !page.events.empty() && page.events.front().seq == r.page.first_seq;
                  rp.deliver(to_replica(page, 0, from_start));
                },
                [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
  };
}

} // namespace

caf::actor spawn_cluster_peer(caf::actor_system& sys, node_context& ctx) {
  return sys.spawn(peer, &ctx);
}

} // namespace switchyard::actors
