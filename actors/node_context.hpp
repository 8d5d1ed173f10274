#pragma once
// What every actor of a node shares: the actor system, the store, the well-known
// actors and the limits. Built by runtime::node; outlives every actor it names.
// Light on purpose (transport includes it): handles are untyped here, interfaces.hpp
// has the typed views.

#include "actors/node_metrics.hpp"
#include "actors/restart_tracker.hpp"
#include "actors/tenant_board.hpp"
#include "actors/tenant_policy.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>

namespace caf {
class actor_system;
}
namespace switchyard::store {
class event_store;
}

namespace switchyard::actors {

class shard_map;

/// Per-connection limits (config area `limits`).
struct connection_limits {
  int64_t max_frame_bytes = 1 << 20; ///< bytes; bigger client frames close with 1009, and no
                                     ///< server message is bigger
  int64_t bad_frames = 20;           ///< bad frames a minute before close 1008
  int64_t max_subscriptions = 1000;  ///< topics one connection may subscribe
  int64_t outbound_queue = 4096;     ///< queued pushes before a fanout subscriber gets `gap`
  int64_t ping_ms = 25000;           ///< advertised keep-alive interval
  int64_t inbound_queue = 256;       ///< frames read but not yet handled before reading pauses
  int64_t write_timeout_ms = 10000;  ///< a write making no progress this long closes with 1008
  /// Events of a topic with at least write_round_room subscribers wait up to this long for
  /// the next write round of a socket that has just written (0: never wait).
  int64_t write_round_ms = 20;
  int64_t write_round_room = 256;
};

/// Topic actors (config area `topics`).
struct topic_limits {
  int64_t idle_ms = 60000;    ///< a topic without subscribers or pending work stops after this
  int64_t max_pending = 8192; ///< staged + in-flight events; past it publishes get `unavailable`
  int64_t max_live = 10000;   ///< running topics; past it the least recently used idle ones stop
};

/// Queue groups (config area `groups`).
struct group_limits {
  int64_t max_deliver = 5;                         ///< attempts before dead/<topic>
  int64_t inactive_ms = int64_t{72} * 3600 * 1000; ///< a group without members is deleted
  /// Events a group may be behind (published, not yet acked) before its topic's
  /// publishers get slow_down; 0: never.
  int64_t lag_watermark = 10000;
};

/// The retention sweeper (config area `retention`); 0 turns a rule off.
struct retention_limits {
  int64_t max_age_ms = int64_t{72} * 3600 * 1000; ///< events older than this are deleted
  int64_t max_events = 0;                         ///< per topic
  int64_t max_bytes = 0;                          ///< per topic, bytes of data
  int64_t sweep_ms = 1000;                        ///< how often the sweeper looks
};

/// Presence sets (config area `presence`; PROTOCOL.md, Presence).
struct presence_limits {
  /// A member whose connection vanished (or was closed by the node) stays this long, so
  /// that a resume takes it over; a presence connection silent this long is cut.
  int64_t timeout_ms = 10000;
  int64_t batch_ms = 100;            ///< at most one presence push per member this often
  int64_t max_members_listed = 1000; ///< members in one `presence` reply
};

/// Agent sessions (config area `agents`).
struct agent_limits {
  /// Running sessions; each start beyond it asks the least recently woken idle ones to
  /// passivate (what they have armed is in their checkpoint: it wakes them when due).
  int64_t max_live_sessions = 50000;
  /// Sessions rebuilding from their snapshot and inbox at once (after a start, a
  /// passivation, a node restart); the others wait their turn, so a restart of many
  /// sessions is no storm.
  int64_t max_concurrent_recoveries = 50;
  /// What a session does when a handler, replayed in a rebuild, decides differently from
  /// the digest stored when it first ran (a nondeterministic handler, or changed code):
  /// it always logs agent.diverged and counts switchyard_agent_divergences_total; then
  /// `keep_going` (true) goes on with the replayed state, false stops the session (its
  /// events wait in the inbox for a node whose handlers decide as before).
  bool keep_going_on_divergence = true;
  /// Ceilings of every kind's kind_options (a kind may ask for less): the operator's
  /// bounds on what one session may take. Defaults: the kind_options defaults.
  int64_t max_crashes_per_event = 3;
  int64_t max_state_bytes = int64_t{1} << 20;
  int64_t max_hops_per_turn = 16;
  int64_t max_fan_out = 64;
};

/// auth.*: how a connection proves who it is (PROTOCOL.md, Auth).
struct auth_settings {
  /// auth.mode jwt: `connect.token` is required. false (none): everyone is user
  /// `anonymous` in tenant `default`, with all rights.
  bool jwt = false;
  std::string jwt_secret; ///< the HS256 key (auth.jwt_secret or auth.jwt_secret_file)
  int64_t leeway_ms = 30000;
  /// resume.session_ttl_ms: how long the `session` of a connect reply can be resumed.
  int64_t session_ttl_ms = int64_t{24} * 3600 * 1000;
};

struct node_context {
  caf::actor_system* system = nullptr;
  store::event_store* store = nullptr;
  caf::actor writer;         ///< store_writer_actor
  caf::actor registry;       ///< registry_actor
  caf::actor group_registry; ///< group_registry_actor
  caf::actor tenants;        ///< tenant_registry_actor
  /// In a cluster: this node's cluster peer (cluster_peer.hpp), through which its topics
  /// reach the other members' peers. Null when the node runs alone.
  caf::actor cluster_peer;
  /// Agent sessions (agents/host): the router inbox topics wake after each commit with
  /// (wake_atom, topic_key, last seq), and the sessions' supervisor. Null when the node
  /// runs no agent kinds.
  caf::actor agents;
  caf::actor agent_sessions;
  /// The registered agent kinds: a publish to the inbox of any other kind is not_found.
  std::vector<std::string> agent_kinds;
  agent_limits agent_bounds;
  std::vector<caf::actor> readers; ///< store_reader_actor, one per reader thread
  connection_limits limits;
  topic_limits topics;
  group_limits groups;
  retention_limits retention;
  presence_limits presence;
  int64_t dedup_window_ms = 0; ///< store.dedup_window_ms: the sweeper drops older idem entries
  restart_policy restarts;
  auth_settings auth;
  /// tenants.*: replaced whole by a reload; tenant actors pick it up on their next tick.
  tenant_policy_source tenant_policy;
  std::string node_name;
  /// In a cluster (cluster.etcd): which node owns each shard, as etcd last said; null
  /// on a node that runs alone. Outlives every actor.
  const shard_map* shards = nullptr;
  /// store.sync async: the writer syncs this long after a commit (0: commits sync).
  uint64_t sync_interval_ms = 0;
  /// store.commit_wait_us: the writer's pause after a busy commit (0: none).
  std::chrono::microseconds commit_wait{0};
  /// Called once, from the writer's thread, when the store can no longer be used
  /// (MDB_PANIC and kin): the node stops with a non-zero exit.
  std::function<void(const std::string&)> on_fatal;

  /// Where each tenant stands, as its actor last reported (admin API, /metrics).
  tenant_board tenant_reports;
  node_metrics metrics;
  int64_t started_ms = 0; ///< when the node started (epoch ms)
  /// metrics.max_tenant_labels: tenants with a label of their own in /metrics.
  int64_t metrics_tenant_labels = 100;

  std::atomic<uint64_t> next_conn_id{1};
  std::atomic<int64_t> live_connections{0};
  std::atomic<int64_t> live_topics{0};               ///< topic actors running
  std::atomic<int64_t> live_agent_sessions{0};       ///< agent session actors running
  std::atomic<int64_t> recovering_agent_sessions{0}; ///< of those, rebuilding from their inbox
  /// The most that ever rebuilt at once (tests check agents.max_concurrent_recoveries).
  std::atomic<int64_t> recovering_agent_sessions_peak{0};
  std::atomic<uint64_t> store_commits{0}; ///< write transactions committed
  std::atomic<uint64_t> store_batches{0}; ///< topic batches those transactions held
  /// False while the last commit failed for lack of space or a disk error (/readyz 503).
  std::atomic<bool> store_writable{true};
};

} // namespace switchyard::actors
