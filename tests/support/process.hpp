#pragma once
// The real `switchyard` binary as a child process, for end-to-end tests.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace switchyard::testing {

class node_process {
public:
  /// Starts the binary with `args`; its stderr (the log) goes to `log_file`. `env`
  /// entries ("NAME=value") are added to the inherited environment.
  node_process(const std::string& binary, const std::vector<std::string>& args,
               std::filesystem::path log_file, const std::vector<std::string>& env = {});
  ~node_process();

  /// Waits for the `ws.listening ... port=N` log line; returns N (0 on timeout or exit).
  uint16_t wait_for_port(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void signal(int sig);
  /// Waits for the process to end; returns its exit status (-signal when killed),
  /// or INT32_MIN on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::string log() const;

private:
  pid_t pid_ = -1;
  std::filesystem::path log_file_;
};

/// Runs the binary to completion; returns (exit status, stdout + stderr).
std::pair<int, std::string> run_binary(const std::string& binary,
                                       const std::vector<std::string>& args,
                                       const std::vector<std::string>& env = {});

} // namespace switchyard::testing
