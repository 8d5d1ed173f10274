#pragma once
// A plain TCP client for what a WebSocket library would not do: a handshake written
// byte by byte, a peer that never reads (a tiny receive buffer), masked frames built
// by hand. Every wait is bounded.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::testing {

class raw_socket {
public:
  /// Connects to 127.0.0.1:port. With `receive_buffer` > 0 the kernel buffer is set that
  /// small before connecting (a client that reads slowly, or never).
  explicit raw_socket(uint16_t port, int receive_buffer = 0);
  ~raw_socket();
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;

  /// Writes all bytes (blocking); false when the peer closed or reset, or when `stop`
  /// became true while the write was blocked (checked every 50 ms).
  bool write(const std::string& bytes, const std::atomic<bool>* stop = nullptr);
  /// Reads what arrives within `timeout` (at most `max` bytes); empty on timeout,
  /// nullopt once the peer closed or reset.
  std::optional<std::string> read(std::chrono::milliseconds timeout, std::size_t max = 65536);
  /// Reads until the peer closes or resets (discarding data) or the timeout passes;
  /// true when it closed.
  bool wait_closed(std::chrono::milliseconds timeout);
  void close();
  /// Closes with a reset (SO_LINGER 0): the peer's kernel drops what it did not read.
  void reset();

  /// Sends the WebSocket upgrade for /ws and waits for the server's response headers
  /// (RFC 6455: a client sends no frame before that). Returns false when refused.
  bool handshake(uint16_t port, const std::string& subprotocol = "");

private:
  int fd_ = -1;
};

/// The HTTP upgrade request for /ws offering `subprotocol` (none when empty).
std::string ws_upgrade_request(uint16_t port, const std::string& subprotocol = "");

/// One client frame (masked, FIN set) with `opcode` (1 text, 2 binary, 8 close).
std::string ws_client_frame(const std::string& payload, uint8_t opcode = 1);

/// One frame the server sent (servers do not mask).
struct ws_frame {
  uint8_t opcode = 0; ///< 1 text, 2 binary, 8 close, 9 ping, 10 pong
  std::string payload;
};

/// The complete frames in server bytes (after the handshake response, if there is one).
std::vector<ws_frame> ws_frames_in(const std::string& server_bytes);

/// The close code of the first close frame found in server bytes (after the handshake
/// response), or 0.
uint16_t ws_close_code_in(const std::string& server_bytes);

} // namespace switchyard::testing
