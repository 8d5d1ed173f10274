// rooms: --conns connections, each subscribed to its own user/<i> and to room/<i/10>
// (rooms of ten, like a chat); --pubs publishers share --rate messages/s in total,
// round-robin over the rooms, so each message is owed to the room's members.

#include "bench/loadgen/pubsub_run.hpp"
#include "bench/loadgen/scenarios.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace switchyard::bench {

namespace {

constexpr std::size_t room_size = 10;

std::string room_topic(std::size_t room) {
  return "room/" + std::to_string(room);
}

} // namespace

int run_rooms(const bench_options& o) {
  const std::size_t rooms = (o.conns + room_size - 1) / room_size;
  pubsub_plan plan;
  plan.scenario = "rooms";
  plan.subscribers = o.conns;
  plan.topics = [](std::size_t i) {
    return std::vector<std::string>{"user/" + std::to_string(i), room_topic(i / room_size)};
  };
  for (std::size_t r = 0; r < rooms; ++r) {
    plan.pub_topics.push_back(room_topic(r));
    // The last room holds the remainder when --conns is not a multiple of ten.
    plan.members.push_back(std::min(room_size, o.conns - r * room_size));
  }
  plan.topic_of = [](std::size_t i) { return i / room_size; };
  plan.publishers = o.pubs;
  plan.rate_per_publisher = o.rate / static_cast<double>(o.pubs);
  plan.window = o.inflight;
  plan.describe = {
      {"conns", o.conns}, {"rooms", rooms}, {"room_size", room_size}, {"rate_total", o.rate}};
  return run_pubsub(o, plan);
}

} // namespace switchyard::bench
