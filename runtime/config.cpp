#include "runtime/config.hpp"

#include "runtime/config_options.hpp"

#include <algorithm>
#include <fstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

extern char** environ;

namespace switchyard::runtime {

namespace {

using json = nlohmann::json;

/// Flattens a JSON config file into dotted keys with textual values.
std::string flatten(const json& node, const std::string& prefix,
                    std::map<std::string, std::string>& out) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    auto key = prefix.empty() ? it.key() : prefix + "." + it.key();
    const auto& v = it.value();
    if (v.is_object()) {
      if (auto err = flatten(v, key, out); !err.empty()) {
        return err;
      }
    } else if (v.is_string()) {
      out[key] = v.get<std::string>();
    } else if (v.is_number_integer() || v.is_boolean()) {
      out[key] = v.dump();
    } else {
      return "key '" + key + "' must be a string or an integer";
    }
  }
  return "";
}

/// Limits by tenant, as the config file gives them (keys left out follow the defaults).
using tenant_overrides = std::map<std::string, std::map<std::string, int64_t>>;

/// Takes `tenants.overrides` out of the file: its keys are tenant names, which may hold
/// dots, so it cannot be flattened like the rest.
std::string take_overrides(json& doc, tenant_overrides& out) {
  if (!doc.contains("tenants") || !doc["tenants"].is_object() ||
      !doc["tenants"].contains("overrides")) {
    return "";
  }
  auto overrides = std::move(doc["tenants"]["overrides"]);
  doc["tenants"].erase("overrides");
  if (!overrides.is_object()) {
    return "key 'tenants.overrides' must be an object of tenants";
  }
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    const auto where = "key 'tenants.overrides' tenant '" + it.key() + "'";
    if (it.key().empty() || it.key().size() > 255) {
      return where + ": a tenant name is 1 to 255 bytes";
    }
    if (!it.value().is_object()) {
      return where + " must be an object of limits";
    }
    auto& limits = out[it.key()];
    for (auto kv = it.value().begin(); kv != it.value().end(); ++kv) {
      const auto& keys = actors::tenant_limit_keys();
      auto k =
          std::find_if(keys.begin(), keys.end(), [&](const auto& e) { return e.key == kv.key(); });
      if (k == keys.end()) {
        return where + " key '" + kv.key() + "': unknown key";
      }
      if (!kv.value().is_number_integer()) {
        return where + " key '" + kv.key() + "': must be an integer";
      }
      int64_t v = 0;
      if (auto err = check_tenant_limit(kv.value().dump(), v); !err.empty()) {
        return where + " key '" + kv.key() + "': " + err;
      }
      limits[kv.key()] = v;
    }
  }
  return "";
}

std::string read_file_values(const std::string& path, std::map<std::string, std::string>& out,
                             tenant_overrides& overrides) {
  std::ifstream in{path};
  if (!in) {
    return "config file '" + path + "' cannot be read";
  }
  auto doc = json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return "config file '" + path + "' is not a JSON object";
  }
  if (auto err = take_overrides(doc, overrides); !err.empty()) {
    return "config file '" + path + "': " + err;
  }
  if (auto err = flatten(doc, "", out); !err.empty()) {
    return "config file '" + path + "': " + err;
  }
  return "";
}

const config_option* find_option(const std::string& key) {
  for (const auto& opt : config_options()) {
    if (opt.key == key) {
      return &opt;
    }
  }
  return nullptr;
}

/// Applies one layer of values; `origin(key)` names where a value came from.
template <class Origin>
std::string apply(node_config& cfg, const std::map<std::string, std::string>& values,
                  Origin origin) {
  for (const auto& [key, value] : values) {
    const auto* opt = find_option(key);
    if (!opt) {
      return origin(key) + ": unknown key";
    }
    if (auto err = opt->set(cfg, value); !err.empty()) {
      return origin(key) + ": " + err;
    }
  }
  return "";
}

bool is_loopback(const std::string& addr) {
  return addr.rfind("127.", 0) == 0 || addr == "::1";
}

/// HS256 wants a key at least as long as its hash (RFC 7518, 3.2).
constexpr std::size_t min_jwt_secret_bytes = 32;

/// The auth.* keys together: one source of the key, read from its file, long enough,
/// and only with auth.mode jwt. The messages never hold the key.
std::string check_auth(node_config& cfg) {
  if (!cfg.auth.jwt_secret.empty() && !cfg.jwt_secret_file.empty()) {
    return "auth.jwt_secret and auth.jwt_secret_file are both set: give the key one way";
  }
  if (!cfg.jwt_secret_file.empty()) {
    std::ifstream in(cfg.jwt_secret_file, std::ios::binary);
    std::string key{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.good() && !in.eof()) {
      return "auth.jwt_secret_file: cannot read '" + cfg.jwt_secret_file + "'";
    }
    // A key file written by `echo` ends with a newline that is not part of the key.
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) {
      key.pop_back();
    }
    cfg.auth.jwt_secret = std::move(key);
  }
  cfg.auth.jwt = cfg.auth_mode == "jwt";
  if (!cfg.auth.jwt) {
    return cfg.auth.jwt_secret.empty()
               ? ""
               : "a JWT key is set but auth.mode is none: set auth.mode jwt, or drop the key";
  }
  if (cfg.auth.jwt_secret.size() < min_jwt_secret_bytes) {
    return "auth.mode jwt needs a key of at least " + std::to_string(min_jwt_secret_bytes) +
           " bytes in auth.jwt_secret or auth.jwt_secret_file";
  }
  return "";
}

} // namespace

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry{*e};
    auto eq = entry.find('=');
    if (eq != std::string::npos) {
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  return env;
}

config_outcome load_config(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env) {
  config_outcome result;
  CLI::App app{"switchyard: a realtime orchestration node (WebSocket pub/sub with a durable "
               "event store).\nEvery option can also be set in the config file (JSON, dotted keys "
               "as nested objects)\nor as an environment variable SWITCHYARD_<KEY> (dots become "
               "underscores, upper case).",
               "switchyard"};
  std::map<std::string, std::string> cli_values;
  std::vector<std::pair<const config_option*, CLI::Option*>> bound;
  std::string config_path;
  bool dump = false;
  bool version = false;
  app.add_option("--config", config_path, "JSON config file");
  app.add_flag("--dump-config", dump, "print the effective configuration and exit");
  app.add_flag("--version", version, "print the version and exit");
  const node_config defaults;
  for (const auto& opt : config_options()) {
    auto* o = app.add_option(cli_flag(opt.key), cli_values[opt.key],
                             opt.help + " [default " + opt.get(defaults) + "]");
    bound.emplace_back(&opt, o);
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    result.exit_now = true;
    result.output = app.help();
    return result;
  } catch (const CLI::ParseError& e) {
    result.exit_now = true;
    result.exit_code = 2;
    result.error = e.what();
    return result;
  }
  if (version) {
    result.exit_now = true;
    result.output = "switchyard 0.1.0\n";
    return result;
  }
  auto& cfg = result.config;
  std::map<std::string, std::string> file_values;
  std::map<std::string, std::string> env_values;
  if (config_path.empty()) {
    if (auto it = env.find("SWITCHYARD_CONFIG"); it != env.end()) {
      config_path = it->second;
    }
  }
  std::string err;
  tenant_overrides overrides;
  if (!config_path.empty()) {
    err = read_file_values(config_path, file_values, overrides);
  }
  if (err.empty()) {
    err = apply(cfg, file_values, [&](const std::string& k) {
      return "config file '" + config_path + "' key '" + k + "'";
    });
  }
  for (const auto& opt : config_options()) {
    if (auto it = env.find(env_name(opt.key)); it != env.end()) {
      env_values[opt.key] = it->second;
    }
  }
  if (err.empty()) {
    err = apply(cfg, env_values, [](const std::string& k) { return env_name(k); });
  }
  std::map<std::string, std::string> given;
  for (const auto& [opt, o] : bound) {
    if (o->count() > 0) {
      given[opt->key] = cli_values[opt->key];
    }
  }
  if (err.empty()) {
    err = apply(cfg, given, [](const std::string& k) { return "option " + cli_flag(k); });
  }
  if (err.empty()) {
    err = check_auth(cfg);
  }
  if (err.empty() && cfg.server.tls_cert_file.empty() != cfg.server.tls_key_file.empty()) {
    err = "tls.cert_file and tls.key_file go together: set both (TLS) or neither";
  }
  // Overrides complete the defaults of every layer.
  for (const auto& [tenant, values] : overrides) {
    auto& limits = cfg.tenants.overrides[tenant];
    limits = cfg.tenants.defaults;
    for (const auto& k : actors::tenant_limit_keys()) {
      if (auto v = values.find(std::string(k.key)); v != values.end()) {
        limits.*k.field = v->second;
      }
    }
  }
  if (err.empty() && cfg.auth_mode == "none" && !is_loopback(cfg.server.bind)) {
    err = "option --bind: auth.mode none is allowed only on a loopback address, got '" +
          cfg.server.bind + "'";
  }
  if (!err.empty()) {
    result.exit_now = true;
    result.exit_code = 2;
    result.error = err;
    return result;
  }
  if (dump) {
    result.exit_now = true;
    result.output = dump_config(cfg);
  }
  return result;
}

std::string dump_config(const node_config& cfg) {
  json doc = json::object();
  for (const auto& opt : config_options()) {
    auto pointer = "/" + opt.key;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    doc[json::json_pointer(pointer)] = json::parse(opt.get(cfg));
  }
  for (const auto& [tenant, limits] : cfg.tenants.overrides) {
    auto& entry = doc["tenants"]["overrides"][tenant];
    for (const auto& k : actors::tenant_limit_keys()) {
      entry[std::string(k.key)] = limits.*k.field;
    }
  }
  return doc.dump(2) + "\n";
}

reload_plan plan_reload(const node_config& running, const node_config& fresh) {
  reload_plan plan;
  plan.tenants = fresh.tenants;
  for (const auto& opt : config_options()) {
    if (opt.key.rfind("tenants.", 0) != 0 && opt.get(running) != opt.get(fresh)) {
      plan.needs_restart.push_back(opt.key);
    }
  }
  return plan;
}

} // namespace switchyard::runtime
