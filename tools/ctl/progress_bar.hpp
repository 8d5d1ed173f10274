#pragma once
// A progress line on stderr for long operations (replay, history, inspect): redrawn at
// most ten times a second, ended with a newline by finish().

#include <chrono>
#include <cstdint>
#include <string>

namespace switchyard::ctl {

class progress_bar {
public:
  /// `total` 0: unknown (a count is shown instead of a bar). Draws nothing unless
  /// `enabled` (the command's --progress, or stderr is a terminal).
  progress_bar(std::string label, uint64_t total, bool enabled);
  ~progress_bar();
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;

  void update(uint64_t done);
  /// Draws the last state and ends the line (also done by the destructor).
  void finish();

  /// Whether stderr is a terminal (the default for --progress).
  static bool stderr_is_terminal();

private:
  void draw();

  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

} // namespace switchyard::ctl
