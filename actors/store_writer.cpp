#include "actors/store_writer.hpp"

#include "actors/atoms.hpp"
#include "actors/node_context.hpp"
#include "actors/log.hpp"
#include "store/event_store.hpp"

#include <chrono>
#include <utility>
#include <vector>

#include <caf/all.hpp>

namespace switchyard::actors {

namespace {

struct writer_state {
  node_context* ctx = nullptr;
  store::event_store* store = nullptr;
  std::vector<store::append_batch> pending;
  std::vector<caf::response_promise> promises;
  bool flush_scheduled = false;
  bool sync_scheduled = false; ///< store.sync async: a periodic sync is due
  static inline const char* name = "store-writer";
};

using writer_actor = caf::stateful_actor<writer_state>;

caf::error to_error(const store::status& st) {
  return caf::make_error(caf::sec::runtime_error, st.message);
}

/// With store.sync async, commits are not synced: one sync follows within flush_ms.
void schedule_sync(writer_actor* self) {
  auto& st = self->state;
  if (st.ctx->sync_interval_ms == 0 || st.sync_scheduled) {
    return;
  }
  st.sync_scheduled = true;
  self->delayed_send(self, std::chrono::milliseconds(st.ctx->sync_interval_ms), sync_atom::value);
}

void sync_now(writer_actor* self) {
  auto& st = self->state;
  st.sync_scheduled = false;
  if (auto result = st.store->sync(); !result.ok()) {
    log().error("store.sync_failed error=\"{}\"", result.message);
  }
}

/// Commits every pending batch in one transaction. If that fails, each batch is
/// retried alone so one topic's fault (say a seq conflict) does not fail the others.
void flush(writer_actor* self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty()) {
    return;
  }
  auto batches = std::move(st.pending);
  auto promises = std::move(st.promises);
  st.pending.clear();
  st.promises.clear();
  auto result = st.store->append(batches);
  ++st.ctx->store_commits;
  st.ctx->store_batches += batches.size();
  schedule_sync(self);
  if (result.ok()) {
    for (std::size_t i = 0; i < batches.size(); ++i) {
      promises[i].deliver(std::move(batches[i]));
    }
    return;
  }
  for (std::size_t i = 0; i < batches.size(); ++i) {
    auto one = st.store->append(std::span<const store::append_batch>(&batches[i], 1));
    if (one.ok()) {
      promises[i].deliver(std::move(batches[i]));
      continue;
    }
    log().error("store.append_failed tenant={} topic={} events={} error=\"{}\"",
                                batches[i].tenant, batches[i].topic, batches[i].events.size(),
                                one.message);
    promises[i].deliver(to_error(one));
  }
}

caf::behavior store_writer(writer_actor* self, node_context* ctx) {
  self->state.ctx = ctx;
  self->state.store = ctx->store;
  return {
      [=](append_atom, store::append_batch& batch) {
        auto& st = self->state;
        st.pending.push_back(std::move(batch));
        st.promises.push_back(self->make_response_promise());
        // The flush message queues behind every append already in the mailbox, so one
        // transaction takes all of them: batching from backlog, never from a timer.
        if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
      },
      [=](flush_atom) { flush(self); },
      [=](sync_atom) { sync_now(self); },
      [=](shutdown_atom) {
        flush(self);
        if (self->state.sync_scheduled) {
          sync_now(self);
        }
        self->quit();
      },
  };
}

} // namespace

caf::actor spawn_store_writer(caf::actor_system& sys, node_context& ctx) {
  return sys.spawn<caf::detached>(store_writer, &ctx);
}

} // namespace switchyard::actors
