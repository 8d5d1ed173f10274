#pragma once
// TLS for tests: a self-signed certificate made at test time (OpenSSL), and blocking
// clients that verify the node against it like a real client would (chain and host
// name), over real loopback sockets.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace switchyard::testing {

/// PEM files of a fresh self-signed certificate for "localhost" (and 127.0.0.1).
struct certificate_files {
  std::filesystem::path cert;
  std::filesystem::path key;
};
certificate_files make_self_signed(const std::filesystem::path& dir, const std::string& name);

/// What a verifying TLS client saw.
struct tls_result {
  bool verified = false; ///< the handshake succeeded and the certificate checked out
  std::string error;     ///< why not, when not
  std::string protocol;  ///< the TLS version, e.g. "TLSv1.3"
  std::string reply;     ///< the WebSocket reply / HTTP body
  int status = 0;        ///< HTTP status (https_get)
};

/// wss://localhost:port/ws trusting only `ca` (subprotocol switchyard.v1.json), kept
/// open: for what must go on across a reload. Throws with OpenSSL's reason.
class wss_client {
public:
  wss_client(uint16_t port, const std::filesystem::path& ca);
  ~wss_client();
  wss_client(const wss_client&) = delete;
  wss_client& operator=(const wss_client&) = delete;

  /// The TLS version, e.g. "TLSv1.3".
  std::string protocol();
  /// Sends `message` as one text frame and returns the next frame that comes back.
  std::string exchange(const std::string& message);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// One wss_client exchange: `message` out, the first frame back.
tls_result wss_exchange(uint16_t port, const std::filesystem::path& ca, const std::string& message);

/// GET https://localhost:port{target} trusting only `ca`.
tls_result https_get(uint16_t port, const std::filesystem::path& ca, const std::string& target);

/// A client that offers at most TLS 1.1 (and verifies nothing): whether the node took it.
bool old_tls_accepted(uint16_t port);

} // namespace switchyard::testing
