#pragma once
// Every option of switchyard-bench with its default, once. Fields whose default
// depends on the scenario are resolved by main() (see resolve_defaults there).

#include "bench/loadgen/ws_conn.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace switchyard::bench {

struct bench_options {
  std::string scenario = "fanout";    ///< fanout|rooms|publish|idle|topics|nack|presence
  std::string host = "127.0.0.1";     ///< 127.0.0.1, localhost or ::1; nothing else
  uint16_t port = 0;                  ///< the node's port (required)
  double duration_s = 5;              ///< publishing (presence: churn) time, s (0 < d <= 120)
  std::size_t size = 128;             ///< payload bytes (32 .. 65536)
  std::size_t threads = 2;            ///< io threads
  int server_pid = 0;                 ///< the node's pid, for CPU and RSS (0 = not reported)
  std::string topic = "bench";        ///< fanout/presence: the topic
  std::size_t subs = 100;             ///< fanout: subscribers
  std::size_t pubs = 0;               ///< publishers; 0 = fanout 1, rooms 2, publish 8
  std::size_t conns = 0;              ///< rooms/idle/presence; 0 = rooms 1000, else 10000
  double rate = -1;                   ///< -1 = fanout 0 (closed loop), rooms 1000, presence 100
  std::size_t inflight = 0;           ///< 0 = fanout 20000 deliveries, publish 256 unacked/conn
  std::size_t batch = 64;             ///< messages per frame a publisher sends at most
  bool idem = false;                  ///< publish: each publish carries a unique idem token
  uint64_t max_msgs = 50'000'000;     ///< messages one publisher sends at most
  double drain_s = 5;                 ///< give up draining after this long without progress
  double hold_s = 3;                  ///< idle/topics: settle time before reading the node's RSS
  std::size_t topics = 100000;        ///< topics: distinct topics published to once each
  std::size_t connect_parallel = 256; ///< handshakes in flight at most
  double connect_timeout_s = 60;      ///< all connections must be ready within this
  std::string token;                  ///< a JWT every `connect` carries (auth.mode jwt)
  bool tls = false;                   ///< connect with wss:// (tls.cert_file on the node)
  double slow_ms = 0; ///< fanout/rooms: report when events slower than this were sent

  /// fanout/rooms: publishers connect to this port instead (another node of a cluster:
  /// their publishes are forwarded to the topic's owner); 0: --port.
  uint16_t pub_port = 0;

  endpoint target;     ///< resolved from host and port by main()
  endpoint pub_target; ///< where publishers connect: target, or pub_port on the same host
};

} // namespace switchyard::bench
