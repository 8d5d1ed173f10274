#include "bench/loadgen/proc_stats.hpp"

#include "bench/loadgen/clock.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

#include <sys/resource.h>
#include <unistd.h>

namespace switchyard::bench {

double process_cpu_s(int pid) {
  if (pid <= 0) {
    return -1;
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) {
    return -1;
  }
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // After the name come field 3 (state) ... field 14 (utime), field 15 (stime).
  for (int i = 3; i <= 15 && (fields >> field); ++i) {
    if (i == 14) {
      utime = std::stoull(field);
    } else if (i == 15) {
      stime = std::stoull(field);
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

namespace {

/// A "Name:   N kB" line of /proc/PID/status, in KiB; -1 when unreadable.
long status_kib(int pid, std::string_view name) {
  if (pid <= 0) {
    return -1;
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(name)) {
      return std::stol(line.substr(name.size()));
    }
  }
  return -1;
}

} // namespace

long process_rss_kib(int pid) {
  return status_kib(pid, "VmRSS:");
}

long process_rss_anon_kib(int pid) {
  return status_kib(pid, "RssAnon:");
}

void anon_peak::sample() {
  const uint64_t now = mono_ns();
  if (pid_ <= 0 || now - last_ns_ < 100'000'000) {
    return;
  }
  last_ns_ = now;
  peak_ = std::max(peak_, process_rss_anon_kib(pid_));
}

double self_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

uint64_t raise_nofile_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 0;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      lim = raised;
    }
  }
  return static_cast<uint64_t>(lim.rlim_cur);
}

} // namespace switchyard::bench
