#pragma once
// The scenarios. Each runs to completion (bounded by its options), prints one JSON
// object on stdout and returns the process exit code (0 ok, 1 the run failed).

#include "bench/loadgen/options.hpp"

namespace switchyard::bench {

/// S subscribers on one topic, P publishers; closed loop or open loop (--rate).
int run_fanout(const bench_options& o);
/// C connections, each on user/<i> and room/<i/10>; publishers round-robin over rooms.
int run_rooms(const bench_options& o);
/// P connections publishing with ids to pub/<i>: durable acks per second and latency.
int run_publish(const bench_options& o);
/// N subscribed idle connections: the node's memory per connection.
int run_idle(const bench_options& o);
/// One connection publishing once to each of --topics distinct topics: the node's
/// memory per topic while they run, and after they stop (idle).
int run_topics(const bench_options& o);

/// One queue-group member nacking each event once: the redelivery latency after a nack.
int run_nack(const bench_options& o);

/// C presence members on one topic while short-lived connections join and leave it at
/// --rate changes/s: how the node batches presence pushes.
int run_presence(const bench_options& o);
/// --rate x --duration of the presence scenario at most: each churner's connection is
/// kept until the run ends (a closed one's handlers may still be queued).
inline constexpr double max_presence_changes = 100'000;

} // namespace switchyard::bench
