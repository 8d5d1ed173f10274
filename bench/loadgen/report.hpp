#pragma once
// The one JSON object a run prints on stdout, and the pieces every scenario puts in
// it: latency percentiles and the CPU the node and the generator spent in the
// measurement window.

#include "bench/loadgen/histogram.hpp"

#include <string>

#include <nlohmann/json.hpp>

namespace switchyard::bench {

/// CPU seconds of the node (when its pid is known) and of this process between
/// construction and stop().
class cpu_window {
public:
  explicit cpu_window(int server_pid);
  /// Ends the window (idempotent: the first call counts).
  void stop();
  /// Adds window_s, server_cpu_s, generator_cpu_s and `per_cpu_key` = `count` per
  /// server CPU second (fields about the node are null without its pid).
  void add_to(nlohmann::ordered_json& out, double count, const std::string& per_cpu_key) const;

private:
  int pid_;
  uint64_t start_ns_;
  uint64_t stop_ns_ = 0;
  double server0_;
  double self0_;
  double server1_ = -1;
  double self1_ = 0;
};

/// {"p50":..,"p90":..,"p99":..,"p999":..,"max":..} in milliseconds, plus "samples".
nlohmann::ordered_json latency_ms(const histogram& h);

/// `x` rounded to 3 decimals, so reports stay readable.
double round3(double x);

/// A negative value (unknown) as JSON null, anything else as the number.
nlohmann::ordered_json known(double x);
nlohmann::ordered_json known(long x);

/// `count / seconds` rounded to a whole number; 0 for an empty span.
uint64_t per_second(uint64_t count, double seconds);

/// Prints `report` as one line on stdout and flushes.
void print_report(const nlohmann::ordered_json& report);

} // namespace switchyard::bench
