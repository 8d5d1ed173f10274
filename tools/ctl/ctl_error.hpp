#pragma once
// What makes a switchyard-ctl command fail: the node's error (its protocol code and
// message), or a local one (no connection, bad arguments, a store that will not open).

#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace switchyard::ctl {

class ctl_error : public std::runtime_error {
public:
  /// A local failure; `code` names its kind ("connect", "usage", "store", ...).
  ctl_error(std::string code, const std::string& message);
  /// The node's `{"code", "message", "retry_after_ms"?}` object.
  static ctl_error from_node(const nlohmann::json& error);

  const std::string& code() const { return code_; }
  uint64_t retry_after_ms() const { return retry_after_ms_; }
  /// A node error the same call may succeed after (unavailable, throttled, circuit_open
  /// with retry_after_ms).
  bool retryable() const { return retry_after_ms_ > 0; }

private:
  std::string code_;
  uint64_t retry_after_ms_ = 0;
};

} // namespace switchyard::ctl
