#pragma once
// Where the node is: `--url http://HOST:PORT` (default http://127.0.0.1:7400), and the
// token its calls carry.

#include <string>

namespace switchyard::ctl {

struct node_endpoint {
  std::string host = "127.0.0.1";
  std::string port = "7400";
  /// A JWT for auth mode jwt (empty: none sent).
  std::string token;

  /// Parses `http://host[:port][/]`. https:// is refused: this version of
  /// switchyard-ctl speaks plain HTTP and WebSocket only (throws ctl_error).
  static node_endpoint parse(const std::string& url, std::string token);
  std::string host_port() const { return host + ":" + port; }
};

} // namespace switchyard::ctl
