#pragma once
// The Asio side of io_pool, shared with ws_conn.cpp only (Asio headers are slow to
// compile; other files see io_pool.hpp).

#include "bench/loadgen/io_pool.hpp"

#include <memory>
#include <optional>
#include <thread>
#include <utility> // before Asio: Boost 1.74 needs std::exchange declared in C++20
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace switchyard::bench {

struct io_pool::impl {
  struct worker {
    boost::asio::io_context ioc{1}; ///< concurrency hint 1: one thread runs it
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
    std::thread thread;
  };
  std::vector<std::unique_ptr<worker>> workers;
  bool stopped = false;

  boost::asio::io_context& context(std::size_t w) { return workers[w % workers.size()]->ioc; }
};

} // namespace switchyard::bench
