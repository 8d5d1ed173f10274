#pragma once
// A node's membership of a cluster (docs/cluster.md): it registers under a lease in
// etcd, keeps the lease alive, and claims, keeps and gives up shard ownership keys so
// that each shard has one owner among the live members (rendezvous hashing). What it
// reads goes into the node's shard_map; every key's actor asks that map before it
// serves. One thread of its own: etcd calls block (each with a deadline).

#include "actors/shard_map.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace switchyard::transport {

class etcd_client;

/// Config area `cluster`.
struct cluster_options {
  std::vector<std::string> etcd;   ///< cluster.etcd: empty = this node runs alone
  std::string name = "switchyard"; ///< cluster.name: the etcd key prefix
  int64_t lease_ttl_ms = 3000;     ///< cluster.lease_ttl_ms
  int64_t replication = 1;         ///< cluster.replication (1-3)
  uint16_t peer_port = 7401;       ///< cluster.peer_port: the CAF middleman listener (0: any)
};

class cluster_coordinator {
public:
  /// `url` is where this node's clients connect (ws://host:port), told to the others.
  /// `peer` is host:port of its CAF middleman endpoint (the cluster peer actor).
  cluster_coordinator(cluster_options options, std::string url, std::string peer,
                      actors::shard_map& shards);
  ~cluster_coordinator();
  cluster_coordinator(const cluster_coordinator&) = delete;
  cluster_coordinator& operator=(const cluster_coordinator&) = delete;

  /// Called (on the coordinator's thread) when what this node serves changed: shards
  /// claimed (`claimed` true: what waits in its store for them may need serving, as agent
  /// sessions with unapplied events), given up or lost with the lease. Set before start().
  void on_served_changed(std::function<void(bool claimed)> fn) { on_changed_ = std::move(fn); }

  /// Registers this node (its name must not be live in the cluster) and starts the
  /// coordinator's thread. False with `error` when etcd cannot be reached or the name is
  /// taken (`name_taken` then).
  bool start(std::string& error, bool& name_taken);
  /// Gives up the lease (the node's shards go to the others at once) and stops the thread.
  void stop();

private:
  void run();
  void step();
  bool register_member(bool at_start, bool& name_taken);
  std::string member_key(const std::string& node) const;
  std::string shard_key(uint32_t shard) const;

  cluster_options options_;
  std::string url_;
  std::string peer_;
  actors::shard_map& shards_;
  std::unique_ptr<etcd_client> etcd_;
  int64_t lease_ = 0;
  bool member_ = false;        ///< this node's member key is in etcd under lease_
  bool renew_failing_ = false; ///< renewals fail (logged once per outage)
  int64_t ttl_ms_ = 0;
  std::chrono::steady_clock::time_point renewed_; ///< when the last renewal was sent
  actors::cluster_view view_;
  std::function<void(bool claimed)> on_changed_;
  bool was_live_ = false;      ///< the lease was live at the last step
  bool fenced_before_ = false; ///< it ran out once (unfencing is worth a log line)

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

} // namespace switchyard::transport
