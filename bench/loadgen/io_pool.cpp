#include "bench/loadgen/io_pool.hpp"

#include "bench/loadgen/io_pool_impl.hpp"

#include <chrono>
#include <utility> // before Asio: Boost 1.74 needs std::exchange declared in C++20

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace switchyard::bench {

io_pool::io_pool(std::size_t threads) : impl_(std::make_unique<impl>()) {
  const std::size_t n = threads == 0 ? 1 : threads;
  for (std::size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<impl::worker>();
    w->guard.emplace(w->ioc.get_executor());
    impl_->workers.push_back(std::move(w));
  }
  for (auto& w : impl_->workers) {
    w->thread = std::thread([ioc = &w->ioc] { ioc->run(); });
  }
}

io_pool::~io_pool() {
  stop();
}

std::size_t io_pool::size() const {
  return impl_->workers.size();
}

void io_pool::post(std::size_t worker, std::function<void()> fn) {
  boost::asio::post(impl_->context(worker), std::move(fn));
}

void io_pool::stop() {
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  for (auto& w : impl_->workers) {
    w->guard.reset();
    w->ioc.stop();
  }
  for (auto& w : impl_->workers) {
    w->thread.join();
  }
}

struct io_timer::impl {
  explicit impl(boost::asio::io_context& ioc) : timer(ioc) {}
  boost::asio::steady_timer timer;
};

io_timer::io_timer(io_pool& pool, std::size_t worker)
    : impl_(std::make_unique<impl>(pool.native().context(worker))) {}

io_timer::~io_timer() = default;

void io_timer::wait_until(uint64_t at_ns, std::function<void()> fn) {
  // steady_clock is CLOCK_MONOTONIC, the clock of mono_ns().
  const std::chrono::steady_clock::time_point at{std::chrono::nanoseconds(at_ns)};
  impl_->timer.expires_at(at);
  impl_->timer.async_wait([fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) {
      fn();
    }
  });
}

} // namespace switchyard::bench
