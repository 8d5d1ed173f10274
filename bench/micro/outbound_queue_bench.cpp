// outbound_queue: a connection's per-delivery cost once a shared event batch arrives:
// one aliasing shared_ptr pushed per event, then whatever is queued taken as frames.

#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "bench/micro/payloads.hpp"
#include "protocol/codec.hpp"
#include "transport/outbound_queue.hpp"

#include <cstdint>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

namespace switchyard::bench {
namespace {

/// A batch of `events` JSON `event` pushes with 128-byte string data, as commit makes it.
actors::event_batch_ptr json_batch(int64_t events) {
  auto batch = std::make_shared<actors::event_batch>();
  batch->topic = "chat/room-1";
  const auto data = msgpack_of(json_string(text(128)));
  for (int64_t i = 0; i < events; ++i) {
    const auto seq = static_cast<uint64_t>(i + 1);
    const protocol::event_view ev{seq, 1700000000000 + i, {}, {}, data};
    batch->events.push_back(
        {seq, protocol::encode_event_push(protocol::encoding::json, batch->topic, ev), {}});
  }
  return batch;
}

/// Pushes the `events` events of a shared batch, each as a shared_ptr aliasing the batch
/// (as the connection actor does: no copy, no allocation of the bytes), then copies frames
/// into one buffer until the queue is empty (what the WebSocket session does); items
/// are deliveries. The frame size is the default limit.
void BM_OutboundQueuePushTake(benchmark::State& state) {
  const auto events = state.range(0);
  const auto batch = json_batch(events);
  const actors::connection_limits limits;
  transport::outbound_queue queue{static_cast<std::size_t>(limits.max_frame_bytes)};
  std::string frame;
  for (auto _ : state) {
    for (const auto& ev : batch->events) {
      queue.push(std::shared_ptr<const std::string>(batch, &ev.json));
    }
    while (!queue.empty()) {
      frame.clear();
      benchmark::DoNotOptimize(queue.take_frame(frame, true));
    }
  }
  state.SetItemsProcessed(state.iterations() * events);
}
BENCHMARK(BM_OutboundQueuePushTake)->ArgName("events")->Arg(1)->Arg(16)->Arg(256);

} // namespace
} // namespace switchyard::bench
