#pragma once
// The run shared by the fanout and rooms scenarios: connect every subscriber, then the
// publishers, publish for --duration, drain, report. A plan says who subscribes to
// what and where publishers send; the scenario files only build plans.

#include "bench/loadgen/options.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace switchyard::bench {

struct pubsub_plan {
  std::string scenario;                                        ///< name in the report
  std::size_t subscribers = 0;                                 ///< subscriber connections
  std::function<std::vector<std::string>(std::size_t)> topics; ///< topics of subscriber i
  std::vector<std::string> pub_topics;                         ///< topics events go to
  std::vector<uint64_t> members;                               ///< subscribers per pub topic
  std::function<std::size_t(std::size_t)> topic_of;            ///< pub topic subscriber i hears
  std::size_t publishers = 1;                                  ///< publisher connections
  double rate_per_publisher = 0;                               ///< msgs/s; 0 = closed loop
  uint64_t window = 20000;                                     ///< closed loop: deliveries
  nlohmann::ordered_json describe;                             ///< copied into the report
};

/// Runs `plan`, prints the report; returns the exit code (1 when setup failed).
int run_pubsub(const bench_options& o, const pubsub_plan& plan);

} // namespace switchyard::bench
