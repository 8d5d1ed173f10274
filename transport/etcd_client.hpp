#pragma once
// A small etcd v3 client over its HTTP/JSON gateway (docs/cluster.md names the calls):
// lease grant, keep-alive and revoke, range reads and compare-and-swap transactions.
// Blocking, with a deadline on every call; used from one thread (the cluster
// coordinator's). Keys and values are bytes; the gateway wants them in base64.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::transport {

struct etcd_kv {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

class etcd_client {
public:
  /// `endpoints`: http://host:port URLs, tried in turn; `timeout_ms` bounds each call.
  etcd_client(std::vector<std::string> endpoints, int64_t timeout_ms);
  ~etcd_client();
  etcd_client(const etcd_client&) = delete;
  etcd_client& operator=(const etcd_client&) = delete;

  /// Checks that every endpoint is an http://host:port URL; "" if so, else why not.
  static std::string check_endpoints(const std::vector<std::string>& endpoints);

  /// A new lease of `ttl_s` seconds -> its id and the TTL etcd granted.
  struct lease {
    int64_t id = 0;
    int64_t ttl_s = 0;
  };
  std::optional<lease> grant(int64_t ttl_s);
  /// Renews the lease -> the TTL left (0: the lease is gone); nullopt: etcd not reached.
  std::optional<int64_t> keep_alive(int64_t lease_id);
  bool revoke(int64_t lease_id);

  /// Every key that starts with `prefix`, and the store's revision.
  struct range_result {
    std::vector<etcd_kv> kvs;
    int64_t revision = 0;
  };
  std::optional<range_result> range_prefix(const std::string& prefix);

  /// Puts `key` = `value` under the lease only if the key does not exist. Returns the
  /// revision of the put (the key's create revision), 0 if the key existed; nullopt:
  /// etcd not reached.
  std::optional<int64_t> create(const std::string& key, const std::string& value, int64_t lease_id);
  /// Deletes `key` only if its create revision is `create_revision` (so only the
  /// ownership it names is given up). True if it was deleted.
  std::optional<bool> remove_if_created_at(const std::string& key, int64_t create_revision);

  /// The last failure, for logs ("" after a success).
  const std::string& last_error() const { return error_; }

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string error_;
  /// POSTs a JSON body to the gateway -> the JSON reply text; nullopt on failure.
  std::optional<std::string> call(const std::string& path, const std::string& body);
};

} // namespace switchyard::transport
