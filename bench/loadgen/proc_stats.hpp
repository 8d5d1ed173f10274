#pragma once
// What the operating system says about the node and about this process: CPU time,
// resident memory and the descriptor limit. Linux /proc only.

#include <cstdint>

namespace switchyard::bench {

/// CPU seconds (utime + stime) of process `pid` from /proc/PID/stat; -1 when unreadable.
double process_cpu_s(int pid);

/// VmRSS of process `pid` in KiB from /proc/PID/status; -1 when unreadable.
long process_rss_kib(int pid);

/// RssAnon of process `pid` in KiB (resident anonymous memory: the heap, not the
/// store's file-backed map); -1 when unreadable.
long process_rss_anon_kib(int pid);

/// The highest RssAnon of a process over the calls to sample(), read at most every
/// 100 ms. In-process on purpose: a shell loop forking a reader twice a second cost the
/// measured tenant of bench/noisy-neighbour.sh a quarter of its p99.
class anon_peak {
public:
  explicit anon_peak(int pid) : pid_(pid) {}
  void sample();
  /// KiB; -1 when never read.
  long kib() const { return peak_; }

private:
  int pid_;
  uint64_t last_ns_ = 0;
  long peak_ = -1;
};

/// CPU seconds (user + system) this process used so far (getrusage).
double self_cpu_s();

/// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the limit now in force.
uint64_t raise_nofile_limit();

} // namespace switchyard::bench
