#include "tools/ctl/ctl_error.hpp"

#include <utility>

namespace switchyard::ctl {

ctl_error::ctl_error(std::string code, const std::string& message)
    : std::runtime_error(code + ": " + message), code_(std::move(code)) {}

ctl_error ctl_error::from_node(const nlohmann::json& error) {
  const auto code = error.is_object() ? error.value("code", std::string("internal")) : "internal";
  const auto message = error.is_object() ? error.value("message", std::string()) : error.dump();
  ctl_error e(code, message);
  if (error.is_object() && error.contains("retry_after_ms") &&
      error["retry_after_ms"].is_number_unsigned()) {
    e.retry_after_ms_ = error["retry_after_ms"].get<uint64_t>();
  }
  return e;
}

} // namespace switchyard::ctl
