#pragma once
// One Switchyard node: the event store, the actor system with its well-known actors,
// and the WebSocket server, started and stopped in the order that cannot hang.
// Used by main and by the integration tests (in-process, port 0).

#include "runtime/config.hpp"

namespace switchyard::actors {
struct node_context;
}

#include <cstdint>
#include <memory>
#include <string>

namespace switchyard::runtime {

class node {
public:
  explicit node(node_config cfg);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Opens the store, starts the actors and the listener. Returns false with `error`
  /// (one line) when any of it fails.
  bool start(std::string& error);
  /// After a failed start(): the process exit code it calls for (2 when the
  /// configuration conflicts with the cluster, as a node_name already live there; else 1).
  int start_failure_exit_code() const;
  /// The bound port (after start()).
  uint16_t port() const;
  /// Blocks until request_stop() is called or the store failed beyond use. Returns that
  /// failure ("" after request_stop()). Call stop() next.
  std::string wait();
  /// Wakes wait() (from a signal handler thread, say).
  void request_stop();
  /// Begins a graceful drain (ws_server::drain; POST /admin/drain does the same): once
  /// the connections have gone, or drain.timeout_ms passed, wait() returns. Idempotent.
  void drain(const std::string& reason);
  /// Stops accepting, closes connections with 1001, lets the store writer commit
  /// what is pending, and waits for every actor. Idempotent.
  void stop();
  /// Takes the reloadable keys of `fresh` (the tenant limits and breaker), reads the TLS
  /// certificate and key again; logs the changed keys that wait for a restart.
  void reload(const node_config& fresh);

  // For tests and benchmarks.

  /// What the node's actors share (after start()): for tests that drive a transport
  /// session over an in-memory stream.
  actors::node_context& context();

  /// Fault injection for supervision tests: makes the topic actor throw; returns once
  /// it died.
  void crash_topic(const std::string& tenant, const std::string& topic);
  /// Fault injection: the tenant's actor (if running) throws; returns once it is dead.
  void crash_tenant(const std::string& tenant);
  /// Subscribers the topic actor holds now (0 if it is not running).
  uint64_t subscriber_count(const std::string& tenant, const std::string& topic);
  /// Topic actors running now.
  uint64_t live_topics();
  /// Open WebSocket connections (their actors are alive).
  int64_t live_connections() const;
  /// False while the store cannot take writes (full, or a disk error).
  bool store_writable() const;

  struct store_stats {
    uint64_t commits = 0;   ///< write transactions (each one fsync)
    uint64_t batches = 0;   ///< topic batches they carried (group commit: batches >= commits)
    uint64_t map_bytes = 0; ///< current LMDB map size
    uint64_t map_grown = 0; ///< times the map was enlarged online
  };
  store_stats store_counters() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace switchyard::runtime
