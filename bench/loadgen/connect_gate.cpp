#include "bench/loadgen/connect_gate.hpp"

#include <algorithm>

namespace switchyard::bench {

connect_gate::connect_gate(std::size_t count, std::size_t concurrency, start_fn start)
    : count_(count), concurrency_(std::max<std::size_t>(concurrency, 1)), start_(std::move(start)) {
}

void connect_gate::start() {
  for (std::size_t k = 0; k < std::min(concurrency_, count_); ++k) {
    launch_next();
  }
}

void connect_gate::launch_next() {
  const std::size_t i = next_.fetch_add(1);
  if (i < count_) {
    start_(i);
  }
}

void connect_gate::done(bool ok) {
  (ok ? ready_ : failed_).fetch_add(1, std::memory_order_relaxed);
  launch_next();
}

} // namespace switchyard::bench
