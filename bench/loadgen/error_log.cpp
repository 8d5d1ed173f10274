#include "bench/loadgen/error_log.hpp"

#include <atomic>
#include <cstdio>

namespace switchyard::bench {

namespace {

std::atomic<uint64_t> errors{0};

/// Longest snippet of a bad message printed, so one huge frame cannot flood stderr.
constexpr std::size_t max_snippet = 300;

} // namespace

void record_error(std::string_view where, std::string_view what) {
  if (errors.fetch_add(1, std::memory_order_relaxed) != 0) {
    return;
  }
  const auto shown = what.substr(0, max_snippet);
  std::fprintf(stderr, "first error (%.*s): %.*s%s\n", static_cast<int>(where.size()), where.data(),
               static_cast<int>(shown.size()), shown.data(),
               shown.size() < what.size() ? "..." : "");
}

uint64_t error_count() {
  return errors.load(std::memory_order_relaxed);
}

} // namespace switchyard::bench
