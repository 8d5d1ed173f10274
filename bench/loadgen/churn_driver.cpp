#include "bench/loadgen/churn_driver.hpp"

#include "bench/loadgen/clock.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace switchyard::bench {

namespace {

/// Shortest sleep between wake-ups.
constexpr uint64_t min_wait_ns = 50'000;
/// Ticks one wake-up runs at most (a driver far behind) before other handlers get the thread.
constexpr uint64_t max_ticks_per_pump = 64;

/// The endpoint's `connect` (with its token, if any) naming `client`.
std::string connect_as(const std::string& connect_message, const std::string& client) {
  auto msg = nlohmann::ordered_json::parse(connect_message);
  msg["client"] = client;
  return msg.dump();
}

} // namespace

churn_driver::churn_driver(io_pool& pool, std::size_t worker, const endpoint& ep, std::string topic,
                           const churn_schedule& schedule)
    : pool_(pool), worker_(worker), ep_(ep), topic_(std::move(topic)), schedule_(schedule),
      timer_(pool, worker) {
  churners_.reserve(schedule_.pool() + schedule_.ticks());
}

void churn_driver::prefill() {
  while (churners_.size() < schedule_.pool()) {
    open_next();
  }
}

void churn_driver::begin() {
  pool_.post(worker_, [this] { pump(); });
}

void churn_driver::open_next() {
  endpoint ep = ep_;
  ep.connect_message =
      connect_as(ep_.connect_message, churn_schedule::client_name(churners_.size()));
  churners_.push_back(std::make_unique<churner>(pool_, worker_, ep, topic_, flow_));
  churners_.back()->start();
}

/// Runs every tick due by now (bounded per wake-up), then sleeps until the next one.
void churn_driver::pump() {
  const uint64_t now = mono_ns();
  uint64_t j = ticks_done();
  for (uint64_t n = 0; n < max_ticks_per_pump && j < schedule_.ticks(); ++n, ++j) {
    const uint64_t due = schedule_.tick_due_ns(j);
    if (due > now) {
      break;
    }
    max_lag_ns_ = std::max(max_lag_ns_, now - due);
    churners_[j]->leave();
    open_next();
  }
  ticks_.store(j, std::memory_order_relaxed);
  if (j < schedule_.ticks()) {
    timer_.wait_until(std::max(schedule_.tick_due_ns(j), now + min_wait_ns), [this] { pump(); });
  }
}

} // namespace switchyard::bench
