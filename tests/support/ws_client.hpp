#pragma once
// A blocking WebSocket test client over real loopback sockets (Beast inside, kept out
// of this header). Every wait is bounded, so a broken server fails a test, never hangs it.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::testing {

using namespace std::chrono_literals;

class ws_client {
public:
  /// Connects to ws://127.0.0.1:port/ws offering `subprotocol` (none when empty).
  /// Throws std::runtime_error when the handshake fails.
  explicit ws_client(uint16_t port, std::string subprotocol = "", std::string target = "/ws");
  ~ws_client();
  ws_client(ws_client&&) noexcept;

  /// The subprotocol the server chose ("" when none).
  const std::string& subprotocol() const;

  void send_text(const std::string& frame);
  void send_binary(const std::string& frame);

  /// Next whole frame, or nullopt when none arrives in time or the connection closed.
  std::optional<std::string> read_frame(std::chrono::milliseconds timeout = 5s);
  /// Next message: a JSON frame is split at '\n'; a msgpack frame is returned whole
  /// (the caller splits it). nullopt on timeout or close.
  std::optional<std::string> next(std::chrono::milliseconds timeout = 5s);
  /// Reads messages until one contains `needle`; returns it, or nullopt.
  std::optional<std::string> next_containing(const std::string& needle,
                                             std::chrono::milliseconds timeout = 5s);

  /// Sends `op` with an id and returns the reply carrying that id (pushes in between
  /// are kept for next()).
  std::string request(const std::string& json_without_braces, int64_t id);

  /// The close code the server sent, once read_frame/next saw the close (0 if none).
  uint16_t close_code() const;
  /// Waits for the server to close; returns its close code (0 on timeout).
  uint16_t wait_closed(std::chrono::milliseconds timeout = 5s);
  /// Sends a close frame and waits for the handshake to finish.
  void close();
  /// Writes raw bytes to the TCP socket, bypassing WebSocket framing.
  void write_raw(const std::string& bytes);
  /// Drops the TCP connection without a close frame.
  void abort();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// An HTTP answer as a client sees it.
struct http_answer {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers; ///< by lower-case name
};

/// Sends an HTTP/1.1 request (Beast's client, over a real socket) and returns the answer.
http_answer http_call(uint16_t port, const std::string& method, const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers = {},
                      const std::string& body = "");

/// Sends an HTTP request and returns the status code and body (for HTTP paths and
/// refused handshakes).
std::pair<int, std::string>
http_request(uint16_t port, const std::string& method, const std::string& target,
             const std::vector<std::pair<std::string, std::string>>& headers = {},
             const std::string& body = "");
std::pair<int, std::string>
http_get(uint16_t port, const std::string& target,
         const std::vector<std::pair<std::string, std::string>>& headers = {});

} // namespace switchyard::testing
