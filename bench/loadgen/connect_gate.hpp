#pragma once
// Starts many connections with a bounded number of handshakes in flight (a burst of
// thousands of SYNs would overflow the node's accept backlog and turn a benchmark into
// a retry test): each finished setup starts the next.

#include <atomic>
#include <cstddef>
#include <functional>

namespace switchyard::bench {

class connect_gate {
public:
  /// Starts connection `index` (0 .. count-1); called once per index.
  using start_fn = std::function<void(std::size_t index)>;

  connect_gate(std::size_t count, std::size_t concurrency, start_fn start);

  /// Starts the first `concurrency` connections. Once.
  void start();
  /// Connection setup finished, `ok` or not: counts it and starts the next. Any thread.
  void done(bool ok);
  std::size_t size() const { return count_; }
  std::size_t ready() const { return ready_.load(std::memory_order_relaxed); }
  std::size_t failed() const { return failed_.load(std::memory_order_relaxed); }
  /// Every connection finished its setup.
  bool settled() const { return ready() + failed() == count_; }

private:
  void launch_next();

  std::size_t count_;
  std::size_t concurrency_;
  start_fn start_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> ready_{0};
  std::atomic<std::size_t> failed_{0};
};

} // namespace switchyard::bench
