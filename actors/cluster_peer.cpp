#include "actors/cluster_peer.hpp"

#include "actors/cluster_messages.hpp"
#include "actors/failure.hpp"
#include "actors/interfaces.hpp"
#include "actors/node_context.hpp"
#include "actors/registry.hpp"
#include "actors/shard_map.hpp"

#include <caf/all.hpp>

namespace switchyard::actors {

namespace {

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
          [=](const topic_actor& topic) mutable {
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

caf::behavior peer(caf::event_based_actor* self, node_context* ctx) {
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
  };
}

} // namespace

caf::actor spawn_cluster_peer(caf::actor_system& sys, node_context& ctx) {
  return sys.spawn(peer, &ctx);
}

} // namespace switchyard::actors
