#pragma once
// Internal: the table of configuration keys (one entry a key) shared by the loader,
// the help text and --dump-config.

#include "runtime/config.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::runtime {

struct config_option {
  std::string key;  ///< dotted name, e.g. "limits.max_frame_bytes"
  std::string help; ///< one line, with the unit
  /// Parses and stores a textual value; returns an error message or "".
  std::function<std::string(node_config&, const std::string&)> set;
  /// The current value as JSON text.
  std::function<std::string(const node_config&)> get;
};

const std::vector<config_option>& config_options();

/// One line on a tenant limit (tenants.defaults.<key>, tenants.overrides.<tenant>.<key>).
std::string_view tenant_limit_help(std::string_view key);
/// Parses a tenant limit (0 or more); "" when good.
std::string check_tenant_limit(const std::string& text, int64_t& out);

/// "--data-dir" for "data_dir", "--limits-max-frame-bytes" for "limits.max_frame_bytes".
std::string cli_flag(const std::string& key);
/// "SWITCHYARD_LIMITS_MAX_FRAME_BYTES" for "limits.max_frame_bytes".
std::string env_name(const std::string& key);

} // namespace switchyard::runtime
