#include "switchyard/app.hpp"

#include "runtime/config.hpp"
#include "runtime/log.hpp"
#include "runtime/node.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>

namespace {

/// glibc gives freed memory at the top of the heap back at 128 KiB, and its dynamic mmap
/// threshold moves with frame sizes; in a busy fanout every write then grew the heap
/// again and faulted its pages in (sysmalloc and page-table updates were top symbols).
/// Fixed thresholds doubled fanout throughput at S=100 (docs/benchmarks.md). The cost:
/// up to 64 MiB of freed memory stays mapped. (A no-op under AddressSanitizer.)
void tune_allocator() {
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

/// Every connection is a descriptor, and the usual soft limit (1024) is far below what a
/// node serves: take the hard limit, as most servers do.
void raise_open_files_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

} // namespace

namespace switchyard {

app::app(int argc, char** argv) : args_(argv + 1, argv + argc) {}

int app::run() {
  using namespace switchyard::runtime;
  const auto& args = args_;
  auto outcome = load_config(args, environment());
  if (!outcome.error.empty()) {
    std::fprintf(stderr, "switchyard: %s\n", outcome.error.c_str());
    return outcome.exit_code;
  }
  if (outcome.exit_now) {
    std::fputs(outcome.output.c_str(), stdout);
    return outcome.exit_code;
  }
  // Block the stop signals before any thread starts, so every thread inherits the mask
  // and only the signal thread below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  tune_allocator();
  raise_open_files_limit();

  for (std::size_t i = 0; i < kinds_.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (kinds_[i]->name == kinds_[j]->name) {
        std::fprintf(stderr, "switchyard: agent kind '%s' is added twice\n",
                     kinds_[i]->name.c_str());
        return 2;
      }
    }
  }
  outcome.config.agent_kinds = kinds_;
  node n{outcome.config};
  std::string error;
  if (!n.start(error)) {
    std::fprintf(stderr, "switchyard: %s\n", error.c_str());
    return n.start_failure_exit_code();
  }
  std::atomic<bool> stopping{false};
  std::thread signals([&] {
    int sig = 0;
    bool draining = false;
    // Runs until main says the node stops (and wakes it with a signal of its own).
    while (sigwait(&stop_signals, &sig) == 0 && !stopping) {
      if (sig == SIGHUP) {
        // Reloads what can change while running (config.hpp, plan_reload); a bad file
        // keeps the configuration in force.
        auto fresh = load_config(args, environment());
        if (!fresh.error.empty() || fresh.exit_now) {
          log::runtime().error("config.reload_failed error=\"{}\"", fresh.error);
          continue;
        }
        n.reload(fresh.config);
        continue;
      }
      const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
      if (!draining) {
        // The first SIGINT or SIGTERM drains; a second one stops at once.
        draining = true;
        log::runtime().info("node.draining signal={}", name);
        n.drain(name);
      } else {
        log::runtime().info("node.stopping signal={} draining=cut_short", name);
        n.request_stop();
      }
    }
  });
  auto fatal = n.wait();
  stopping = true;
  if (!fatal.empty()) {
    log::runtime().critical("node.stopping reason=store_failure error=\"{}\"", fatal);
  }
  pthread_kill(signals.native_handle(), SIGTERM); // wakes the signal thread's sigwait
  signals.join();
  n.stop();
  return fatal.empty() ? 0 : 1;
}

} // namespace switchyard
