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

/// CPU seconds (user + system) this process used so far (getrusage).
double self_cpu_s();

/// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the limit now in force.
uint64_t raise_nofile_limit();

} // namespace switchyard::bench
