#include "tests/support/etcd_process.hpp"

#include "tests/support/tcp_proxy.hpp"
#include "tests/support/ws_client.hpp"

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <unistd.h>

namespace switchyard::testing {

namespace {

/// The etcd binary on PATH (execv wants a path).
std::string etcd_binary() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    auto colon = dirs.find(':', start);
    auto candidate = std::filesystem::path(dirs.substr(start, colon - start)) / "etcd";
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
    if (colon == std::string::npos) {
      break;
    }
    start = colon + 1;
  }
  throw std::runtime_error("no etcd on PATH: install Debian's etcd-server (./dev.sh deps)");
}

} // namespace

etcd_process::etcd_process(const std::filesystem::path& dir) {
  client_port_ = free_port();
  const auto peer = "http://127.0.0.1:" + std::to_string(free_port());
  const auto client = url();
  std::filesystem::create_directories(dir);
  process_ =
      std::make_unique<node_process>(etcd_binary(),
                                     std::vector<std::string>{"--name",
                                                              "test",
                                                              "--data-dir",
                                                              (dir / "etcd").string(),
                                                              "--listen-client-urls",
                                                              client,
                                                              "--advertise-client-urls",
                                                              client,
                                                              "--listen-peer-urls",
                                                              peer,
                                                              "--initial-advertise-peer-urls",
                                                              peer,
                                                              "--initial-cluster",
                                                              "test=" + peer,
                                                              "--logger",
                                                              "zap",
                                                              "--log-outputs",
                                                              "stderr",
                                                              "--log-level",
                                                              "warn"},
                                     dir / "etcd.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (http_get(client_port_, "/health").first == 200) {
        return;
      }
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("etcd did not come up (is Debian's etcd-server installed? "
                           "./dev.sh deps installs it); its log: " +
                           process_->log());
}

etcd_process::~etcd_process() {
  process_->signal(SIGKILL);
  process_->wait();
}

std::string etcd_process::url() const {
  return "http://127.0.0.1:" + std::to_string(client_port_);
}

void etcd_process::signal(int sig) {
  process_->signal(sig);
}

} // namespace switchyard::testing
