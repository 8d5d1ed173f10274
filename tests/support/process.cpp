#include "tests/support/process.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace switchyard::testing {

namespace {

std::vector<char*> argv_of(const std::string& binary, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  return argv;
}

int decode_status(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

} // namespace

node_process::node_process(const std::string& binary, const std::vector<std::string>& args,
                           std::filesystem::path log_file, const std::vector<std::string>& env)
    : log_file_(std::move(log_file)) {
  auto argv = argv_of(binary, args);
  pid_ = ::fork();
  if (pid_ == 0) {
    for (const auto& entry : env) {
      ::putenv(const_cast<char*>(entry.c_str()));
    }
    int fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, STDERR_FILENO);
    ::dup2(fd, STDOUT_FILENO);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
}

node_process::~node_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

uint16_t node_process::wait_for_port(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = log();
    if (auto line = text.find("ws.listening "); line != std::string::npos) {
      auto port = text.find("port=", line);
      if (port != std::string::npos) {
        return static_cast<uint16_t>(std::stoi(text.substr(port + 5)));
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

void node_process::signal(int sig) {
  if (pid_ > 0) {
    ::kill(pid_, sig);
  }
}

int node_process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return decode_status(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return INT_MIN;
}

std::string node_process::log() const {
  std::ifstream in{log_file_};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::pair<int, std::string> run_binary(const std::string& binary,
                                       const std::vector<std::string>& args,
                                       const std::vector<std::string>& env) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) {
    return {INT_MIN, "pipe failed"};
  }
  auto argv = argv_of(binary, args);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    ::dup2(pipefd[1], STDOUT_FILENO);
    ::dup2(pipefd[1], STDERR_FILENO);
    for (const auto& e : env) {
      ::putenv(const_cast<char*>(e.c_str()));
    }
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {decode_status(status), out};
}

} // namespace switchyard::testing
