#include "bench/loadgen/report.hpp"

#include "bench/loadgen/clock.hpp"
#include "bench/loadgen/proc_stats.hpp"

#include <cmath>
#include <cstdio>

namespace switchyard::bench {

cpu_window::cpu_window(int server_pid)
    : pid_(server_pid), start_ns_(mono_ns()), server0_(process_cpu_s(server_pid)),
      self0_(self_cpu_s()) {}

void cpu_window::stop() {
  if (stop_ns_ != 0) {
    return;
  }
  stop_ns_ = mono_ns();
  server1_ = process_cpu_s(pid_);
  self1_ = self_cpu_s();
}

void cpu_window::add_to(nlohmann::ordered_json& out, double count,
                        const std::string& per_cpu_key) const {
  const double server = server0_ >= 0 && server1_ >= 0 ? server1_ - server0_ : -1;
  out["window_s"] = round3(static_cast<double>(stop_ns_ - start_ns_) / 1e9);
  out["server_cpu_s"] = known(server < 0 ? -1 : round3(server));
  out[per_cpu_key] = server > 0 ? nlohmann::ordered_json(std::llround(count / server))
                                : nlohmann::ordered_json(nullptr);
  out["generator_cpu_s"] = round3(self1_ - self0_);
}

nlohmann::ordered_json latency_ms(const histogram& h) {
  const auto ms = [&h](double q) { return round3(h.quantile_ns(q) / 1e6); };
  return {{"samples", h.count()}, {"p50", ms(0.5)},    {"p90", ms(0.9)},
          {"p99", ms(0.99)},      {"p999", ms(0.999)}, {"max", ms(1.0)}};
}

double round3(double x) {
  return std::round(x * 1000.0) / 1000.0;
}

nlohmann::ordered_json known(double x) {
  return x < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(x);
}

nlohmann::ordered_json known(long x) {
  return x < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(x);
}

uint64_t per_second(uint64_t count, double seconds) {
  return seconds > 0 ? static_cast<uint64_t>(std::llround(static_cast<double>(count) / seconds))
                     : 0;
}

void print_report(const nlohmann::ordered_json& report) {
  std::printf("%s\n", report.dump().c_str());
  std::fflush(stdout);
}

} // namespace switchyard::bench
