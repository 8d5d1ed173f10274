#pragma once
// The control thread's side of a run: waiting for a phase to end (bounded in time)
// and the once-a-second progress line on stderr, e.g.
// `fanout: 3s sent=120000 recv=12000000 rate=4012345/s`.

#include <cstdint>
#include <functional>
#include <string>

namespace switchyard::bench {

class progress_meter {
public:
  using counter_fn = std::function<uint64_t()>;

  /// Prints `<label>: <s>s <a_name>=A <b_name>=B rate=<B per second>/s`.
  progress_meter(std::string label, std::string a_name, counter_fn a, std::string b_name,
                 counter_fn b);

  /// Prints a line when a second passed since the last one. Control thread.
  void tick();

private:
  std::string label_;
  std::string a_name_;
  counter_fn a_;
  std::string b_name_;
  counter_fn b_;
  uint64_t start_ns_;
  uint64_t last_ns_;
  uint64_t last_b_;
};

/// Sleeps in short steps until `done()` or monotonic time `deadline_ns`, ticking
/// `meter`; returns done().
bool wait_until(uint64_t deadline_ns, const std::function<bool()>& done, progress_meter& meter);

/// Waits until `done()`, or until `idle_s` seconds pass without `progress()`
/// changing, or `max_s` seconds in all; returns done().
bool wait_drained(double idle_s, double max_s, const std::function<bool()>& done,
                  const std::function<uint64_t()>& progress, progress_meter& meter);

} // namespace switchyard::bench
