// event_store::append as the store writer calls it: every call is one LMDB write
// transaction committed with fsync (group commit), so the disk's sync latency dominates
// and the times are wall-clock.

#include "bench/micro/payloads.hpp"
#include "bench/micro/temp_dir.hpp"
#include "store/event_store.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace switchyard::bench {
namespace {

constexpr std::size_t data_bytes = 200;

/// `events` events of `data_bytes` bytes each, spread as evenly as possible over `topics`
/// topics of one tenant (the store treats `data` as opaque bytes). Seqs are set per call.
std::vector<store::append_batch> make_batches(int64_t events, int64_t topics) {
  std::vector<store::append_batch> batches(static_cast<std::size_t>(topics));
  for (int64_t i = 0; i < events; ++i) {
    auto& batch = batches[static_cast<std::size_t>(i % topics)];
    store::event_record rec;
    rec.ts_ms = 1700000000000 + i;
    rec.data = text(data_bytes);
    batch.events.push_back(std::move(rec));
  }
  for (std::size_t t = 0; t < batches.size(); ++t) {
    batches[t].tenant = "acme";
    batches[t].topic = "orders/" + std::to_string(t);
  }
  return batches;
}

/// Gives every event the next seq of its topic, so the batches continue what the previous
/// call committed (append refuses a gap with seq_conflict).
void advance_seqs(std::vector<store::append_batch>& batches) {
  for (auto& batch : batches) {
    const auto last = batch.events.back().seq;
    for (std::size_t i = 0; i < batch.events.size(); ++i) {
      batch.events[i].seq = last + 1 + i;
    }
  }
}

/// One append call of `events` events over `topics` topics in a fresh store; items are
/// events, bytes are their data. The batches are reused (only seqs change), so the time is
/// the store's: record encoding, the B-tree writes and the synced commit.
void BM_StoreAppend(benchmark::State& state) {
  const auto events = state.range(0);
  const auto topics = state.range(1);
  temp_dir dir;
  store::store_config cfg;
  cfg.data_dir = dir.path().string();
  std::string error;
  auto store = store::event_store::open(cfg, error);
  if (!store) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto batches = make_batches(events, topics);
  std::vector<store::batch_result> per_batch;
  for (auto _ : state) {
    advance_seqs(batches);
    if (const auto st = store->append(batches, per_batch); !st.ok()) {
      state.SkipWithError(st.message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * events);
  state.SetBytesProcessed(state.iterations() * events * static_cast<int64_t>(data_bytes));
}

/// Events per call 1..1000, in one topic and spread over 8 (the writer's group commit of
/// several topics' batches).
void store_append_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"events", "topics"});
  for (int64_t events : {1, 10, 100, 1000}) {
    for (int64_t topics : {1, 8}) {
      if (topics <= events) {
        b->Args({events, topics});
      }
    }
  }
}
BENCHMARK(BM_StoreAppend)->Apply(store_append_args)->UseRealTime();

} // namespace
} // namespace switchyard::bench
