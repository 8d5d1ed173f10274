#include "actors/store_reader.hpp"

#include "actors/node_context.hpp"
#include "store/event_store.hpp"

#include <algorithm>
#include <chrono>

#include <caf/all.hpp>

namespace switchyard::actors {

namespace {

/// Retries of a busy read before its status is passed on (about 2 s in all).
constexpr int32_t max_busy_retries = 40;

struct reader_state {
  store::event_store* store = nullptr;
  static inline const char* name = "store-reader";
};

using reader_pointer = store_reader_actor::stateful_pointer<reader_state>;

read_result run(const store::event_store& store, const read_request& req) {
  read_result out;
  switch (req.what) {
  case read_request::kind::events:
    out.status =
        store.read(req.tenant, req.topic, req.from_seq, req.limit, out.page.events, req.max_bytes);
    break;
  case read_request::kind::history:
    out.status = store.history(req.tenant, req.topic, req.from_seq, req.since_ms, req.limit,
                               req.max_bytes, out.page);
    break;
  case read_request::kind::since:
    out.status = store.first_seq_since(req.tenant, req.topic, req.since_ms.value_or(0), out.seq);
    break;
  }
  return out;
}

std::chrono::milliseconds backoff(int32_t attempt) {
  return std::chrono::milliseconds(std::min<int32_t>(1 << std::min(attempt, 6), 64));
}

store_reader_actor::behavior_type store_reader(reader_pointer self, node_context* ctx) {
  self->state.store = ctx->store;
  return {
      [=](read_atom, read_request& req) -> caf::result<read_result> {
        auto out = run(*self->state.store, req);
        if (out.status.value != store::status::code::busy) {
          return out;
        }
        auto rp = self->make_response_promise<read_result>();
        self->delayed_send(self, backoff(1), retry_atom::value, std::move(req), rp, int32_t{1});
        return rp;
      },
      [=](retry_atom, read_request& req, caf::typed_response_promise<read_result>& rp,
          int32_t attempt) {
        auto out = run(*self->state.store, req);
        if (out.status.value == store::status::code::busy && attempt < max_busy_retries) {
          self->delayed_send(self, backoff(attempt + 1), retry_atom::value, std::move(req), rp,
                             attempt + 1);
          return;
        }
        rp.deliver(std::move(out));
      },
  };
}

} // namespace

std::vector<store_reader_actor> spawn_store_readers(caf::actor_system& sys, node_context& ctx,
                                                    std::size_t count) {
  std::vector<store_reader_actor> out;
  for (std::size_t i = 0; i < std::max<std::size_t>(count, 1); ++i) {
    out.push_back(sys.spawn<caf::detached>(store_reader, &ctx));
  }
  return out;
}

store_reader_actor reader_for(const node_context& ctx, uint64_t conn_id) {
  return caf::actor_cast<store_reader_actor>(ctx.readers[conn_id % ctx.readers.size()]);
}

} // namespace switchyard::actors
