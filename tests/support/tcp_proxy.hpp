#pragma once
// A TCP proxy on a loopback ephemeral port, for partition tests: a node reaches a
// server (etcd) through it, and the test cuts that path and heals it again while the
// others keep theirs.

#include <cstdint>
#include <memory>

namespace switchyard::testing {

class tcp_proxy {
public:
  /// Forwards every connection made to port() to 127.0.0.1:`upstream`.
  explicit tcp_proxy(uint16_t upstream);
  ~tcp_proxy();
  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  uint16_t port() const;
  /// Drops every open connection and refuses new ones (they are accepted and closed).
  void cut();
  /// Forwards again.
  void heal();

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// A loopback TCP port free right now (bound to 0, read, released).
uint16_t free_port();

} // namespace switchyard::testing
