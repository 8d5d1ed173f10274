#include "tests/support/test_node.hpp"

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include <unistd.h>

namespace switchyard::testing {

temp_dir::temp_dir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("switchyard-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
           std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

runtime::node_config test_config(const std::filesystem::path& dir) {
  runtime::node_config cfg;
  cfg.server.port = 0;
  cfg.store.data_dir = (dir / "data").string();
  cfg.store.map_size_mb = 256;
  // SWITCHYARD_TEST_LOG=debug shows what a failing test's node did.
  const char* level = std::getenv("SWITCHYARD_TEST_LOG");
  cfg.log_level = level != nullptr ? level : "warn";
  return cfg;
}

test_node::test_node(const std::function<void(runtime::node_config&)>& tweak) {
  auto cfg = test_config(dir_.path());
  if (tweak) {
    tweak(cfg);
  }
  node_ = std::make_unique<runtime::node>(cfg);
  std::string error;
  if (!node_->start(error)) {
    throw std::runtime_error("test node did not start: " + error);
  }
}

test_node::~test_node() {
  node_->stop();
}

} // namespace switchyard::testing
