#pragma once
// What every actor of a node shares: the actor system, the store, the well-known
// actors and the limits. Built by runtime::node; outlives every actor it names.

#include <atomic>
#include <cstdint>
#include <string>

#include <caf/actor.hpp>

namespace caf {
class actor_system;
}
namespace switchyard::store {
class event_store;
}

namespace switchyard::actors {

/// Per-connection limits (config area `limits`).
struct connection_limits {
  int64_t max_frame_bytes = 1 << 20; ///< bytes; bigger client frames close with 1009
  int64_t bad_frames = 20;           ///< bad frames a minute before close 1008
  int64_t max_subscriptions = 1000;  ///< topics one connection may subscribe
  int64_t publish_per_s = 0;         ///< advertised in `connect`; 0: not limited
  int64_t outbound_queue = 4096;     ///< queued pushes before a fanout subscriber gets `gap`
  int64_t ping_ms = 25000;           ///< advertised keep-alive interval
};

/// Supervision of topic actors (config area `supervision`).
struct restart_policy {
  int64_t backoff_min_ms = 10;   ///< first restart delay
  int64_t backoff_max_ms = 1000; ///< restart delay cap (doubles per failure)
  int64_t max_restarts = 10;     ///< restarts allowed within window_ms
  int64_t window_ms = 10000;     ///< past the intensity, the topic is unavailable this long
};

struct node_context {
  caf::actor_system* system = nullptr;
  store::event_store* store = nullptr;
  caf::actor writer;
  caf::actor registry;
  connection_limits limits;
  restart_policy restarts;
  std::string node_name;
  /// store.sync async: the writer syncs this long after a commit (0: commits sync).
  uint64_t sync_interval_ms = 0;
  std::atomic<uint64_t> next_conn_id{1};
  std::atomic<int64_t> live_connections{0};
  std::atomic<uint64_t> store_commits{0}; ///< write transactions committed
  std::atomic<uint64_t> store_batches{0}; ///< topic batches those transactions held
};

} // namespace switchyard::actors
