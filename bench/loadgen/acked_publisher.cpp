#include "bench/loadgen/acked_publisher.hpp"

#include "bench/loadgen/clock.hpp"
#include "bench/loadgen/error_log.hpp"
#include "bench/loadgen/message_scan.hpp"
#include "bench/loadgen/payload.hpp"

#include <charconv>

namespace switchyard::bench {

acked_publisher::acked_publisher(io_pool& pool, std::size_t worker, const endpoint& ep,
                                 ack_flow& flow, acked_setup setup)
    : pool_(pool), worker_(worker), conn_(pool, worker, ep, *this, setup.batch), flow_(flow),
      setup_(std::move(setup)), sent_at_(setup_.window == 0 ? 1 : setup_.window, 0),
      body_(R"(,"op":"publish","topic":")" + setup_.topic + R"(","data":")"),
      payload_(make_payload(setup_.size)) {}

void acked_publisher::begin() {
  pool_.post(worker_, [this] {
    running_ = true;
    pump();
  });
}

void acked_publisher::on_open() {
  conn_.send_connect();
}

void acked_publisher::on_message(std::string_view msg, uint64_t recv_ns) {
  switch (classify(msg)) {
  case message_kind::ok:
    return on_reply(msg, recv_ns, true);
  case message_kind::error:
    record_error("publish", msg);
    return on_reply(msg, recv_ns, false);
  case message_kind::ping:
    return conn_.send(R"({"op":"ping"})");
  case message_kind::push:
    return record_push(msg);
  case message_kind::other:
    return record_error("publisher: unexpected message", msg);
  default:
    return;
  }
}

void acked_publisher::on_closed(std::string_view why) {
  record_error("publisher closed", why);
  if (!connected_) {
    flow_.failed.fetch_add(1, std::memory_order_relaxed);
  }
  running_ = false;
}

/// Sends while fewer than `window` publishes wait for acks and the next frame has room.
void acked_publisher::pump() {
  if (!running_) {
    return;
  }
  if (flow_.stop.load(std::memory_order_relaxed)) {
    running_ = false;
    return;
  }
  const uint64_t now = mono_ns();
  while (unacked_ < setup_.window && conn_.queued_msgs() < setup_.batch &&
         next_id_ - 2 < setup_.max_msgs) {
    send_one(now);
  }
}

void acked_publisher::send_one(uint64_t now) {
  const uint64_t id = next_id_++;
  sent_at_[id % sent_at_.size()] = now;
  write_stamp(payload_.data(), {pack_seq(0, id - 2), now});
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, id).ptr;
  scratch_.assign(R"({"id":)");
  scratch_.append(digits, end);
  scratch_.append(body_);
  scratch_.append(payload_);
  if (setup_.idem) {
    // A token no publish repeats: what the dedup index costs, not what it saves.
    scratch_.append(R"(","idem":")");
    scratch_.append(setup_.topic);
    scratch_.push_back('#');
    scratch_.append(digits, end);
  }
  scratch_.append(R"("})");
  conn_.send(scratch_);
  ++unacked_;
  flow_.sent.fetch_add(1, std::memory_order_relaxed);
}

/// id 1 answers `connect`; the others answer publishes, in the order they were sent.
void acked_publisher::on_reply(std::string_view msg, uint64_t recv_ns, bool ok) {
  const auto id = uint_field(msg, "id");
  if (!id) {
    return;
  }
  if (*id == 1) {
    (ok ? flow_.ready : flow_.failed).fetch_add(1, std::memory_order_relaxed);
    connected_ = ok;
    return;
  }
  if (*id != last_id_ + 1) {
    ++seq_violations_;
  }
  last_id_ = *id > last_id_ ? *id : last_id_;
  unacked_ -= unacked_ > 0 ? 1 : 0;
  flow_.settled.fetch_add(1, std::memory_order_relaxed);
  if (ok) {
    const uint64_t sent = sent_at_[*id % sent_at_.size()];
    latency_.record(recv_ns > sent ? recv_ns - sent : 0);
    last_ack_ns_ = recv_ns;
    flow_.acked.fetch_add(1, std::memory_order_relaxed);
    check_seq(msg);
  }
  pump();
}

/// The stored seqs of one topic with one publisher must count up by one.
void acked_publisher::check_seq(std::string_view msg) {
  const auto seq = uint_field(msg, "seq");
  if (!seq) {
    ++seq_violations_;
    return;
  }
  if (first_seq_ == 0) {
    first_seq_ = *seq;
  } else if (*seq != last_seq_ + 1) {
    ++seq_violations_;
  }
  last_seq_ = *seq;
}

} // namespace switchyard::bench
