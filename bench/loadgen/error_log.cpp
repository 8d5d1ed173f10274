#include "bench/loadgen/error_log.hpp"

#include "bench/loadgen/message_scan.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace switchyard::bench {

namespace {

std::atomic<uint64_t> errors{0};

/// Longest snippet of a bad message printed, so one huge frame cannot flood stderr.
constexpr std::size_t max_snippet = 300;

std::mutex tally_mutex;
std::map<std::string, uint64_t> codes;
std::map<std::string, uint64_t> pushes;

} // namespace

void record_error(std::string_view where, std::string_view what) {
  {
    std::lock_guard lock(tally_mutex);
    ++codes[std::string(string_field(what, R"("code":")", "closed"))];
  }
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

namespace switchyard::bench {

std::map<std::string, uint64_t> error_codes() {
  std::lock_guard lock(tally_mutex);
  return codes;
}

void record_push(std::string_view msg) {
  std::lock_guard lock(tally_mutex);
  ++pushes[std::string(string_field(msg, R"("push":")", "?"))];
}

std::map<std::string, uint64_t> push_counts() {
  std::lock_guard lock(tally_mutex);
  return pushes;
}

} // namespace switchyard::bench
