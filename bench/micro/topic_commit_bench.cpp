// topic_state::commit: a durable batch encoded once per encoding, into the one batch every
// subscriber shares. This is the topic actor's CPU per batch, apart from the store.

#include "actors/topic_state.hpp"
#include "bench/micro/payloads.hpp"

#include <cstdint>
#include <utility>

#include <benchmark/benchmark.h>

namespace switchyard::bench {
namespace {

/// Commits a batch of `events` events with 128-byte string data, encoded for JSON and
/// MessagePack (a topic with subscribers of both kinds); items are events. commit consumes
/// its batch, so each iteration copies a prepared one: the copy (one allocation per event
/// and the vector) is in the time, where the topic actor moves the store's batch instead.
void BM_TopicCommit(benchmark::State& state) {
  const auto events = state.range(0);
  actors::topic_state topic{"acme", "chat/room-1", 1u << 20};
  const auto data = msgpack_of(json_string(text(128)));
  for (int64_t i = 0; i < events; ++i) {
    topic.stage(1700000000000 + i, {data, "", "", 0});
  }
  const auto prepared = topic.take_batch();
  for (auto _ : state) {
    auto batch = prepared;
    benchmark::DoNotOptimize(topic.commit(std::move(batch), true, true));
  }
  state.SetItemsProcessed(state.iterations() * events);
}
BENCHMARK(BM_TopicCommit)->ArgName("events")->Arg(1)->Arg(16)->Arg(256);

} // namespace
} // namespace switchyard::bench
