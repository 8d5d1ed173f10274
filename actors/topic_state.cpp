#include "actors/topic_state.hpp"

#include "protocol/codec.hpp"

#include <algorithm>
#include <utility>

namespace switchyard::actors {

topic_state::topic_state(std::string tenant, std::string topic, std::size_t max_pending)
    : tenant_(std::move(tenant)), topic_(std::move(topic)), max_pending_(max_pending) {}

void topic_state::recover(const store::topic_info& info) {
  durable_seq_ = info.last_seq;
  durable_ts_ = info.last_ts_ms;
  inflight_ = 0;
}

void topic_state::stage(int64_t now_ms, publish_request req) {
  store::event_record rec;
  rec.ts_ms = now_ms;
  rec.data = std::move(req.data);
  rec.key = std::move(req.key);
  rec.idem = std::move(req.idem);
  rec.ttl_ms = req.ttl_ms;
  staged_.push_back(std::move(rec));
}

store::append_batch topic_state::take_batch() {
  store::append_batch batch;
  batch.tenant = tenant_;
  batch.topic = topic_;
  batch.events.swap(staged_);
  uint64_t seq = durable_seq_;
  int64_t ts = durable_ts_;
  for (auto& rec : batch.events) {
    rec.seq = ++seq;
    ts = std::max(ts, rec.ts_ms);
    rec.ts_ms = ts;
  }
  inflight_ = batch.events.size();
  return batch;
}

event_batch_ptr topic_state::commit(const store::append_batch& batch, bool json, bool msgpack) {
  auto out = std::make_shared<event_batch>();
  out->topic = topic_;
  out->events.reserve(batch.events.size());
  for (const auto& rec : batch.events) {
    protocol::event_view ev{rec.seq, rec.ts_ms, rec.key, rec.idem, rec.data};
    encoded_event enc;
    enc.seq = rec.seq;
    if (json) {
      enc.json = protocol::encode_event_push(protocol::encoding::json, topic_, ev);
    }
    if (msgpack) {
      enc.msgpack = protocol::encode_event_push(protocol::encoding::msgpack, topic_, ev);
    }
    out->events.push_back(std::move(enc));
  }
  if (!batch.events.empty()) {
    durable_seq_ = batch.events.back().seq;
    durable_ts_ = batch.events.back().ts_ms;
  }
  inflight_ = 0;
  return out;
}

std::size_t topic_state::refused(const store::topic_info& info) {
  const auto dropped = inflight_;
  inflight_ = 0;
  durable_seq_ = info.last_seq;
  durable_ts_ = std::max(durable_ts_, info.last_ts_ms);
  return dropped;
}

} // namespace switchyard::actors
