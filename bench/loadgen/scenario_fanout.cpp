// fanout: --subs subscribers on one topic, --pubs publishers sending to it. Closed loop
// by default (a window of --inflight deliveries); open loop with --rate per publisher.

#include "bench/loadgen/pubsub_run.hpp"
#include "bench/loadgen/scenarios.hpp"

#include <string>
#include <vector>

namespace switchyard::bench {

int run_fanout(const bench_options& o) {
  pubsub_plan plan;
  plan.scenario = "fanout";
  plan.subscribers = o.subs;
  plan.topics = [topic = o.topic](std::size_t) { return std::vector<std::string>{topic}; };
  plan.pub_topics = {o.topic};
  plan.members = {o.subs};
  plan.topic_of = [](std::size_t) { return std::size_t{0}; };
  plan.publishers = o.pubs;
  plan.rate_per_publisher = o.rate;
  plan.window = o.inflight;
  plan.describe = {{"subs", o.subs}, {"topic", o.topic}};
  return run_pubsub(o, plan);
}

} // namespace switchyard::bench
