#include "bench/loadgen/run_control.hpp"

#include "bench/loadgen/clock.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

namespace switchyard::bench {

namespace {

/// The control thread's polling step: short against any phase, negligible CPU.
constexpr auto poll_step = std::chrono::milliseconds(5);

} // namespace

progress_meter::progress_meter(std::string label, std::string a_name, counter_fn a,
                               std::string b_name, counter_fn b)
    : label_(std::move(label)), a_name_(std::move(a_name)), a_(std::move(a)),
      b_name_(std::move(b_name)), b_(std::move(b)), start_ns_(mono_ns()), last_ns_(start_ns_),
      last_b_(b_()) {}

void progress_meter::tick() {
  const uint64_t now = mono_ns();
  if (now - last_ns_ < 1'000'000'000) {
    return;
  }
  const uint64_t b = b_();
  const double rate = static_cast<double>(b - last_b_) * 1e9 / static_cast<double>(now - last_ns_);
  std::fprintf(stderr, "%s: %.0fs %s=%llu %s=%llu rate=%.0f/s\n", label_.c_str(),
               static_cast<double>(now - start_ns_) / 1e9, a_name_.c_str(),
               static_cast<unsigned long long>(a_()), b_name_.c_str(),
               static_cast<unsigned long long>(b), rate);
  last_ns_ = now;
  last_b_ = b;
}

bool wait_until(uint64_t deadline_ns, const std::function<bool()>& done, progress_meter& meter) {
  while (!done() && mono_ns() < deadline_ns) {
    std::this_thread::sleep_for(poll_step);
    meter.tick();
  }
  return done();
}

bool wait_drained(double idle_s, double max_s, const std::function<bool()>& done,
                  const std::function<uint64_t()>& progress, progress_meter& meter) {
  const uint64_t start = mono_ns();
  uint64_t last_change = start;
  uint64_t last = progress();
  while (!done()) {
    const uint64_t now = mono_ns();
    if (const uint64_t p = progress(); p != last) {
      last = p;
      last_change = now;
    }
    if (now - last_change > seconds_ns(idle_s) || now - start > seconds_ns(max_s)) {
      return false;
    }
    std::this_thread::sleep_for(poll_step);
    meter.tick();
  }
  return true;
}

} // namespace switchyard::bench
