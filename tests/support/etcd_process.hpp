#pragma once
// A real etcd (Debian's etcd-server) on loopback ephemeral ports with its data in a
// temp dir, for the cluster tests.

#include "tests/support/process.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace switchyard::testing {

class etcd_process {
public:
  /// Starts etcd with its data under `dir` and waits until it answers /health.
  /// Throws std::runtime_error when it does not come up.
  explicit etcd_process(const std::filesystem::path& dir);
  ~etcd_process();

  uint16_t client_port() const { return client_port_; }
  /// http://127.0.0.1:<client port>, a node's cluster.etcd.
  std::string url() const;
  void signal(int sig);

private:
  uint16_t client_port_ = 0;
  std::unique_ptr<node_process> process_;
};

} // namespace switchyard::testing
