#include "actors/topic_state.hpp"

#include "protocol/codec.hpp"

#include <algorithm>
#include <utility>

namespace switchyard::actors {

topic_state::topic_state(std::string tenant, std::string topic)
    : tenant_(std::move(tenant)), topic_(std::move(topic)) {}

void topic_state::recover(const store::topic_info& info) {
  durable_seq_ = info.last_seq;
  next_seq_ = info.last_seq + 1;
  last_ts_ = info.last_ts_ms;
  durable_ts_ = info.last_ts_ms;
  inflight_ = 0;
  staged_.clear();
}

uint64_t topic_state::stage(int64_t now_ms, std::string data, std::string key, std::string idem) {
  last_ts_ = std::max(last_ts_, now_ms);
  store::event_record rec;
  rec.seq = next_seq_++;
  rec.ts_ms = last_ts_;
  rec.data = std::move(data);
  rec.key = std::move(key);
  rec.idem = std::move(idem);
  staged_.push_back(std::move(rec));
  return staged_.back().seq;
}

store::append_batch topic_state::take_batch() {
  store::append_batch batch;
  batch.tenant = tenant_;
  batch.topic = topic_;
  batch.events.swap(staged_);
  inflight_ = batch.events.size();
  return batch;
}

event_batch_ptr topic_state::commit(store::append_batch batch, bool json, bool msgpack) {
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

std::size_t topic_state::abort() {
  auto dropped = inflight_ + staged_.size();
  inflight_ = 0;
  staged_.clear();
  next_seq_ = durable_seq_ + 1;
  last_ts_ = durable_ts_;
  return dropped;
}

} // namespace switchyard::actors
