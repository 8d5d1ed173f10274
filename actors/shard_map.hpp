#pragma once
// Which node of a cluster owns each shard (docs/cluster.md). Topics, their queue groups
// and agent inboxes hash into shard_count shards by tenant and topic; the cluster
// coordinator (transport/cluster_coordinator) writes what etcd says, every actor that
// serves a key asks before it does.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

namespace switchyard::actors {

inline constexpr uint32_t shard_count = 256;

/// The shard of a tenant's topic: FNV-1a (32 bit) of topic_key(tenant, topic), mod 256.
uint32_t shard_of(std::string_view tenant, std::string_view topic);
/// The shard of a registry key: a topic_key, or a key that starts with one and goes on
/// after a '\n' (group_key), so a topic's queue groups share its shard.
uint32_t shard_of_key(std::string_view key);

/// Rendezvous hashing: a shard's preferred owner is the live member with the highest
/// score, its followers the next ones, so a member that joins or leaves moves only the
/// shards it wins or held (about 1/n of them).
uint64_t rendezvous_score(std::string_view node, uint32_t shard);

/// A live member of the cluster, as it registered in etcd.
struct cluster_member {
  std::string node;
  std::string url;  ///< where clients connect (ws://host:port)
  std::string peer; ///< host:port of its CAF middleman
  int64_t started_ms = 0;
};

/// A shard's owner; `epoch` is the revision at which etcd created its ownership key, so a
/// later owner always has a higher epoch.
struct shard_owner {
  std::string node; ///< empty: unowned right now
  int64_t epoch = 0;
};

/// Everything the coordinator last read from etcd, at once.
struct cluster_view {
  std::vector<cluster_member> members; ///< by node name
  std::array<shard_owner, shard_count> owners;
  /// Until when this node's lease is surely live (the last renewal's send time plus
  /// cluster.lease_ttl_ms): it may serve the shards it owns until then. Past it, with
  /// etcd out of reach, the node fences itself: its keys may be gone and another node
  /// serving its shards.
  std::chrono::steady_clock::time_point lease_until{};

  bool lease_live() const { return std::chrono::steady_clock::now() < lease_until; }
};

class shard_map {
public:
  /// `replication`: cluster.replication, the copies of each shard's events (1-3).
  shard_map(std::string node_name, int replication);

  const std::string& node_name() const { return node_; }
  int replication() const { return replication_; }
  /// The coordinator's view replaces the last one.
  void update(cluster_view view);
  cluster_view snapshot() const;
  /// Whether this node's lease is surely live now (it may serve what it owns).
  bool lease_live() const;
  /// Whether this node may serve the shard now (lock-free: topics ask on every publish).
  bool serves(uint32_t shard) const;
  /// Nullopt when this node serves the key's shard; else the refusal a client gets
  /// (failure::not_owner naming the owner and where it listens).
  std::optional<caf::error> refusal(std::string_view key) const;
  std::optional<caf::error> refusal_of_shard(uint32_t shard) const;
  /// Nullopt when a publish to the key can be served: here, or forwarded to a live owner
  /// this node knows; else why not (no owner while it moves, or this node's lease lost).
  std::optional<caf::error> unroutable(std::string_view key) const;
  /// The client URL of a live member other than this node, chosen by `pick` (spread
  /// among them: a draining node's clients do not all go to one); "" when there is none.
  std::string other_member_url(uint64_t pick) const;
  /// The owner of the shard when it is another live member and this node's lease is live
  /// (where to forward); nullopt otherwise.
  std::optional<cluster_member> owner_of(uint32_t shard) const;
  /// Where the owner copies a shard's events: the replication - 1 live members other than
  /// this node that rank highest for it (fewer when the cluster has fewer).
  std::vector<cluster_member> followers_of(uint32_t shard) const;
  /// Every live member but this node.
  std::vector<cluster_member> other_members() const;
  /// The epoch of the shard's ownership as etcd last said (0: unowned).
  int64_t epoch_of(uint32_t shard) const;

private:
  std::string node_;
  int replication_ = 1;
  mutable std::mutex mutex_;
  cluster_view view_;
  std::array<std::atomic<bool>, shard_count> mine_{};
  std::atomic<int64_t> lease_until_ns_{0}; ///< view_.lease_until, as steady_clock ns
};

} // namespace switchyard::actors
