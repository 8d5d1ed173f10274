#pragma once
// An in-process Switchyard node on an ephemeral loopback port with its store in a
// fresh temp dir (removed afterwards).

#include "runtime/node.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace switchyard::testing {

/// A unique, empty temp directory, removed with the object.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

/// A node config for tests: port 0, store in `dir`, warnings-only logging.
runtime::node_config test_config(const std::filesystem::path& dir);

class test_node {
public:
  /// `tweak` may change the config before start (limits, supervision...).
  explicit test_node(const std::function<void(runtime::node_config&)>& tweak = {});
  ~test_node();
  uint16_t port() const { return node_->port(); }
  runtime::node& get() { return *node_; }
  const std::filesystem::path& data_dir() const { return dir_.path(); }

private:
  temp_dir dir_;
  std::unique_ptr<runtime::node> node_;
};

} // namespace switchyard::testing
