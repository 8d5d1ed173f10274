#include "bench/loadgen/subscriber.hpp"

#include "bench/loadgen/error_log.hpp"
#include "bench/loadgen/message_scan.hpp"

namespace switchyard::bench {

subscriber::subscriber(io_pool& pool, std::size_t worker, const endpoint& ep, worker_stats& stats,
                       std::vector<std::string> topics, std::size_t publishers, ready_fn on_ready)
    : conn_(pool, worker, ep, *this), stats_(stats), topics_(std::move(topics)),
      tracker_(publishers), on_ready_(std::move(on_ready)), acks_missing_(topics_.size()) {}

void subscriber::on_open() {
  conn_.send_connect();
  std::size_t id = 2;
  for (const auto& topic : topics_) {
    conn_.send(R"({"id":)" + std::to_string(id++) + R"(,"op":"subscribe","topic":")" + topic +
               R"("})");
  }
  if (topics_.empty()) {
    finish_setup(true);
  }
}

void subscriber::on_message(std::string_view msg, uint64_t recv_ns) {
  switch (classify(msg)) {
  case message_kind::event:
    return on_event(msg, recv_ns);
  case message_kind::gap:
    return on_gap(msg);
  case message_kind::ping:
    return conn_.send(R"({"op":"ping"})");
  case message_kind::push:
    return record_push(msg);
  case message_kind::ok:
    return on_reply(msg, true);
  case message_kind::error:
    record_error("subscriber", msg);
    return on_reply(msg, false);
  case message_kind::other:
    return record_error("subscriber: unexpected message", msg);
  }
}

void subscriber::on_event(std::string_view msg, uint64_t recv_ns) {
  const auto stamp = event_stamp(msg);
  if (!stamp || !tracker_.observe(seq_publisher(stamp->seq), seq_number(stamp->seq))) {
    ++stats_.bad_payloads;
    return;
  }
  const uint64_t took = recv_ns > stamp->sent_ns ? recv_ns - stamp->sent_ns : 0;
  stats_.latency.record(took);
  if (stats_.slow_ns > 0 && took > stats_.slow_ns) {
    ++stats_.slow[stamp->sent_ns / slow_bucket_ns];
  }
  stats_.last_recv_ns = recv_ns;
  bump(stats_.delivered);
}

void subscriber::on_gap(std::string_view msg) {
  ++stats_.gap_pushes;
  const auto from = uint_field(msg, "from");
  const auto to = uint_field(msg, "to");
  if (from && to && *to >= *from) {
    bump(stats_.gap_events, *to - *from + 1);
  }
}

/// Replies matter only while subscribing: id 1 is connect, 2.. the subscribes.
void subscriber::on_reply(std::string_view msg, bool ok) {
  if (set_up_) {
    return;
  }
  if (!ok) {
    return finish_setup(false);
  }
  const auto id = uint_field(msg, "id");
  if (id && *id >= 2 && acks_missing_ > 0 && --acks_missing_ == 0) {
    finish_setup(true);
  }
}

void subscriber::finish_setup(bool ok) {
  set_up_ = true;
  topics_.clear();
  topics_.shrink_to_fit();
  on_ready_(ok);
}

void subscriber::on_closed(std::string_view why) {
  if (!set_up_) {
    record_error("subscriber setup", why);
    return finish_setup(false);
  }
  ++stats_.disconnects;
  record_error("subscriber closed", why);
}

} // namespace switchyard::bench
