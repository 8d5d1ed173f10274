#pragma once
// The generator's io threads: one io_context and one thread each. A connection lives
// on one thread for its whole life, so its state needs no locks; cross-thread
// numbers are relaxed atomics. Asio stays behind this header (io_pool_impl.hpp).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace switchyard::bench {

class io_pool {
public:
  /// Starts `threads` io threads (at least one).
  explicit io_pool(std::size_t threads);
  /// Stops and joins the threads (see stop()).
  ~io_pool();
  io_pool(const io_pool&) = delete;
  io_pool& operator=(const io_pool&) = delete;

  std::size_t size() const;
  /// Runs `fn` on io thread `worker`. Any thread.
  void post(std::size_t worker, std::function<void()> fn);
  /// Stops every io thread and joins it; pending handlers never run. Idempotent.
  /// Call from the control thread only; objects on the threads may be read afterwards.
  void stop();

  struct impl;
  impl& native() { return *impl_; }

private:
  std::unique_ptr<impl> impl_;
};

/// A one-shot timer on one io thread; used only from that thread.
class io_timer {
public:
  io_timer(io_pool& pool, std::size_t worker);
  ~io_timer();
  io_timer(const io_timer&) = delete;
  io_timer& operator=(const io_timer&) = delete;

  /// Calls `fn` on the timer's thread at monotonic time `at_ns` (soon, when that has
  /// passed). A new wait replaces a pending one, whose `fn` is then never called.
  void wait_until(uint64_t at_ns, std::function<void()> fn);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace switchyard::bench
