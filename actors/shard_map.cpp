#include "actors/shard_map.hpp"

#include "actors/failure.hpp"
#include "actors/registry.hpp"

#include <algorithm>

namespace switchyard::actors {

namespace {

uint32_t fnv1a(std::string_view bytes) {
  uint32_t h = 2166136261u;
  for (unsigned char c : bytes) {
    h = (h ^ c) * 16777619u;
  }
  return h;
}

} // namespace

uint64_t rendezvous_score(std::string_view node, uint32_t shard) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
  for (unsigned char c : node) {
    mix(c);
  }
  mix(0);
  for (int i = 0; i < 4; ++i) {
    mix(static_cast<unsigned char>(shard >> (8 * i)));
  }
  // FNV's low bits mix poorly for near-equal inputs; a final avalanche (splitmix64).
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

uint32_t shard_of_key(std::string_view key) {
  if (key.empty()) {
    return 0;
  }
  // topic_key: one byte of tenant length, the tenant, the topic; a group_key goes on
  // after a '\n' (topic names never hold one).
  const auto tenant_end = 1 + static_cast<std::size_t>(static_cast<uint8_t>(key[0]));
  const auto end = key.find('\n', std::min(tenant_end, key.size()));
  return fnv1a(key.substr(0, end)) % shard_count;
}

uint32_t shard_of(std::string_view tenant, std::string_view topic) {
  return shard_of_key(topic_key(tenant, topic));
}

shard_map::shard_map(std::string node_name, int replication)
    : node_(std::move(node_name)), replication_(std::max(1, replication)) {}

void shard_map::update(cluster_view view) {
  std::lock_guard<std::mutex> guard{mutex_};
  view_ = std::move(view);
  for (uint32_t shard = 0; shard < shard_count; ++shard) {
    mine_[shard].store(view_.owners[shard].node == node_, std::memory_order_relaxed);
  }
  lease_until_ns_.store(view_.lease_until.time_since_epoch().count(), std::memory_order_release);
}

cluster_view shard_map::snapshot() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return view_;
}

bool shard_map::lease_live() const {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return now < lease_until_ns_.load(std::memory_order_acquire);
}

bool shard_map::serves(uint32_t shard) const {
  return lease_live() && mine_[shard % shard_count].load(std::memory_order_relaxed);
}

std::optional<caf::error> shard_map::refusal(std::string_view key) const {
  return refusal_of_shard(shard_of_key(key));
}

std::optional<caf::error> shard_map::unroutable(std::string_view key) const {
  const auto shard = shard_of_key(key);
  if (serves(shard) || owner_of(shard)) {
    return std::nullopt;
  }
  return refusal_of_shard(shard);
}

std::string shard_map::other_member_url(uint64_t pick) const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<const cluster_member*> others;
  for (const auto& m : view_.members) {
    if (m.node != node_ && !m.url.empty()) {
      others.push_back(&m);
    }
  }
  return others.empty() ? std::string{} : others[pick % others.size()]->url;
}

std::vector<cluster_member> shard_map::followers_of(uint32_t shard) const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<std::pair<uint64_t, const cluster_member*>> ranked;
  for (const auto& m : view_.members) {
    if (m.node != node_) {
      ranked.emplace_back(rendezvous_score(m.node, shard % shard_count), &m);
    }
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<cluster_member> out;
  for (std::size_t i = 0;
       i < ranked.size() && out.size() + 1 < static_cast<std::size_t>(replication_); ++i) {
    out.push_back(*ranked[i].second);
  }
  return out;
}

std::vector<cluster_member> shard_map::other_members() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<cluster_member> out;
  for (const auto& m : view_.members) {
    if (m.node != node_) {
      out.push_back(m);
    }
  }
  return out;
}

int64_t shard_map::epoch_of(uint32_t shard) const {
  std::lock_guard<std::mutex> guard{mutex_};
  return view_.owners[shard % shard_count].epoch;
}

std::optional<cluster_member> shard_map::owner_of(uint32_t shard) const {
  std::lock_guard<std::mutex> guard{mutex_};
  const auto& owner = view_.owners[shard % shard_count];
  if (!view_.lease_live() || owner.node.empty() || owner.node == node_) {
    return std::nullopt;
  }
  for (const auto& m : view_.members) {
    if (m.node == owner.node) {
      return m;
    }
  }
  return std::nullopt;
}

std::optional<caf::error> shard_map::refusal_of_shard(uint32_t shard) const {
  shard %= shard_count;
  std::lock_guard<std::mutex> guard{mutex_};
  const auto& owner = view_.owners[shard];
  const bool live = view_.lease_live();
  if (live && owner.node == node_) {
    return std::nullopt;
  }
  const auto where = "shard " + std::to_string(shard);
  if (!live) {
    return make_failure(failure::not_owner,
                        "this node has lost its cluster lease (etcd unreachable); " + where +
                            " may be served elsewhere; retry or connect to another node");
  }
  if (owner.node.empty()) {
    return make_failure(failure::not_owner,
                        where + " has no owner right now (it is moving); retry");
  }
  auto member = std::find_if(view_.members.begin(), view_.members.end(),
                             [&](const cluster_member& m) { return m.node == owner.node; });
  const auto url = member == view_.members.end() ? std::string{} : " at " + member->url;
  return make_failure(failure::not_owner, where + " is owned by node " + owner.node + url);
}

} // namespace switchyard::actors
