#include "bench/loadgen/publisher.hpp"

#include "bench/loadgen/clock.hpp"
#include "bench/loadgen/error_log.hpp"
#include "bench/loadgen/message_scan.hpp"
#include "bench/loadgen/payload.hpp"

#include <algorithm>

namespace switchyard::bench {

namespace {

/// Closed loop: how soon to look again when the window is full and nothing is queued.
constexpr uint64_t window_poll_ns = 100'000;
/// Open loop: shortest sleep. Due messages are sent together, each with its own
/// intended time, so a short tick costs timer wake-ups and buys nothing in accuracy.
constexpr uint64_t min_tick_ns = 50'000;
/// Open loop: messages one wake-up sends at most before other handlers get the thread.
constexpr uint64_t max_per_pump = 4096;
/// Open loop: queued bytes at which sending pauses (late messages keep their intended time).
constexpr std::size_t max_queued_bytes = std::size_t{64} << 20;

} // namespace

publisher::publisher(io_pool& pool, std::size_t worker, const endpoint& ep, publish_flow& flow,
                     std::function<uint64_t()> delivered, publisher_setup setup)
    : pool_(pool), worker_(worker), conn_(pool, worker, ep, *this, setup.batch),
      timer_(pool, worker), flow_(flow), delivered_(std::move(delivered)), setup_(std::move(setup)),
      per_topic_(setup_.topics.size(), 0), payload_(make_payload(setup_.size)),
      next_topic_(setup_.id % setup_.topics.size()) {
  for (const auto& topic : setup_.topics) {
    prefixes_.push_back(R"({"op":"publish","topic":")" + topic + R"(","data":")");
  }
  interval_ns_ = setup_.rate > 0 ? 1e9 / setup_.rate : 0;
}

void publisher::begin(uint64_t t0_ns) {
  pool_.post(worker_, [this, t0_ns] {
    t0_ = t0_ns;
    running_ = true;
    pump();
  });
}

void publisher::on_open() {
  conn_.send_connect();
}

void publisher::on_message(std::string_view msg, uint64_t) {
  switch (classify(msg)) {
  case message_kind::ok:
    if (!connected_ && uint_field(msg, "id") == 1u) {
      connected_ = true;
      flow_.ready.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  case message_kind::error:
  case message_kind::other:
    return record_error("publisher", msg);
  case message_kind::ping:
    return conn_.send(R"({"op":"ping"})");
  case message_kind::push:
    return record_push(msg);
  default:
    return;
  }
}

void publisher::on_write_done() {
  if (running_ && setup_.rate <= 0) {
    pump();
  }
}

void publisher::on_closed(std::string_view why) {
  record_error("publisher closed", why);
  if (!connected_) {
    flow_.failed.fetch_add(1, std::memory_order_relaxed);
  }
  finish();
}

void publisher::pump() {
  if (!running_) {
    return;
  }
  if (flow_.stop.load(std::memory_order_relaxed) || sent_ >= setup_.max_msgs) {
    return finish();
  }
  const uint64_t before = sent_;
  const uint64_t owed = setup_.rate > 0 ? pump_open(mono_ns()) : pump_closed();
  flow_.sent.fetch_add(sent_ - before, std::memory_order_relaxed);
  flow_.expected.fetch_add(owed, std::memory_order_relaxed);
}

/// Sends while the run's deliveries in flight are under the window and this
/// connection has room in its next frame; returns the deliveries the sends owe.
uint64_t publisher::pump_closed() {
  const uint64_t now = mono_ns();
  int64_t budget = static_cast<int64_t>(setup_.window + delivered_()) -
                   static_cast<int64_t>(flow_.expected.load(std::memory_order_relaxed));
  uint64_t owed = 0;
  while (budget > 0 && conn_.queued_msgs() < setup_.batch && sent_ < setup_.max_msgs) {
    const uint64_t members = setup_.members[next_topic_];
    budget -= static_cast<int64_t>(members);
    owed += members;
    send_one(now);
  }
  // A queued frame brings on_write_done; with nothing queued, only a timer wakes us.
  if (conn_.queued_msgs() == 0) {
    timer_.wait_until(now + window_poll_ns, [this] { pump(); });
  }
  return owed;
}

/// Sends every message due by `now` (bounded per wake-up), then sleeps until the next.
uint64_t publisher::pump_open(uint64_t now) {
  const uint64_t elapsed = now > t0_ ? now - t0_ : 0;
  const uint64_t due = std::min<uint64_t>(
      setup_.max_msgs, static_cast<uint64_t>(static_cast<double>(elapsed) / interval_ns_) + 1);
  const auto intended = [this](uint64_t k) {
    return t0_ + static_cast<uint64_t>(static_cast<double>(k) * interval_ns_);
  };
  uint64_t owed = 0;
  for (uint64_t n = 0; sent_ < due && n < max_per_pump && conn_.queued_bytes() < max_queued_bytes;
       ++n) {
    owed += setup_.members[next_topic_];
    send_one(intended(sent_));
  }
  const uint64_t next =
      sent_ < due ? now + min_tick_ns : std::max(intended(sent_), now + min_tick_ns);
  timer_.wait_until(next, [this] { pump(); });
  return owed;
}

void publisher::send_one(uint64_t sent_ns) {
  const std::size_t topic = next_topic_;
  next_topic_ = topic + 1 == setup_.topics.size() ? 0 : topic + 1;
  write_stamp(payload_.data(), {pack_seq(setup_.id, per_topic_[topic]++), sent_ns});
  scratch_.assign(prefixes_[topic]);
  scratch_.append(payload_);
  scratch_.append(R"("})");
  conn_.send(scratch_);
  ++sent_;
}

void publisher::finish() {
  if (!running_) {
    return;
  }
  running_ = false;
  flow_.done.fetch_add(1, std::memory_order_release); // after its last `expected`
}

} // namespace switchyard::bench
