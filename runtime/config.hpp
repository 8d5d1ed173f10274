#pragma once
// The node's configuration: embedded defaults < config file (--config, JSON) <
// environment (SWITCHYARD_*) < command line. Every key is validated at start-up.

#include "actors/node_context.hpp"
#include "store/event_store.hpp"
#include "transport/cluster_coordinator.hpp"
#include "transport/ws_server.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace switchyard::agents::detail {
struct kind_entry;
}

namespace switchyard::runtime {

struct node_config {
  transport::server_options server;   ///< keys bind, port, io_threads
  store::store_config store;          ///< keys data_dir, store.map_size_mb
  actors::connection_limits limits;   ///< keys limits.*
  actors::topic_limits topics;        ///< keys topics.*
  actors::group_limits groups;        ///< keys groups.*
  actors::retention_limits retention; ///< keys retention.*
  actors::presence_limits presence;   ///< keys presence.*
  actors::restart_policy restarts;    ///< keys supervision.*
  actors::agent_limits agents;        ///< keys agents.*
  transport::cluster_options cluster; ///< keys cluster.*
  /// keys tenants.defaults.*, tenants.breaker.*; tenants.overrides (config file only)
  actors::tenant_policy tenants;
  int64_t store_readers = 2;              ///< key store.readers: reader threads
  std::string node_name = "switchyard-1"; ///< reported to clients in `connect`
  std::string auth_mode = "none";         ///< none (loopback listeners only) or jwt
  actors::auth_settings auth;             ///< keys auth.jwt_secret, auth.leeway_ms
  std::string jwt_secret_file;            ///< key auth.jwt_secret_file: read into auth
  std::string log_level = "info";         ///< trace, debug, info, warn, error, critical, off
  int64_t workers = 0; ///< CAF scheduler threads; 0: one per core beyond the io threads, at least 1
  std::string scheduler = "sharing";       ///< CAF scheduler policy: sharing or stealing
  int64_t max_throughput = 100;            ///< messages an actor handles before yielding its thread
  int64_t metrics_max_tenant_labels = 100; ///< key metrics.max_tenant_labels
  /// Agent kinds this node runs (switchyard::app::add_kind; not a config key).
  std::vector<std::shared_ptr<const agents::detail::kind_entry>> agent_kinds;
};

/// What start-up should do after reading the configuration.
struct config_outcome {
  node_config config;
  bool exit_now = false; ///< --help, --version or --dump-config was handled
  int exit_code = 0;
  std::string error;  ///< one line naming the bad option or value
  std::string output; ///< text for stdout (help, version, dump)
};

/// Reads the configuration. `env` holds the process environment (NAME -> value).
config_outcome load_config(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env);

/// The process environment as a map (for load_config).
std::map<std::string, std::string> environment();

/// The keys whose new values a running node takes on a reload (SIGHUP): the tenant
/// limits and breaker; the other keys it names in `needs_restart`.
struct reload_plan {
  actors::tenant_policy tenants;
  std::vector<std::string> needs_restart; ///< keys that changed but wait for a restart
};
reload_plan plan_reload(const node_config& running, const node_config& fresh);

/// The effective configuration as JSON (secrets redacted), as --dump-config prints it.
std::string dump_config(const node_config& cfg);

} // namespace switchyard::runtime
