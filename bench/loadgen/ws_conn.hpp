#pragma once
// One client WebSocket connection to the node (Beast inside, kept out of this header):
// connect (ws://, or wss:// with endpoint::tls), handshake offering `switchyard.v1.json`,
// a read loop that hands each message (line) of a frame to a handler, and a write queue
// that coalesces messages sent while a write is in flight into one '\n'-separated
// frame, as the protocol allows, and a clean close (a WebSocket close frame). Everything
// after start() runs on the connection's io thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace switchyard::bench {

class io_pool;

/// Where the node listens (loopback; checked by the caller).
struct endpoint {
  std::string address;     ///< numeric: 127.0.0.1 or ::1
  uint16_t port = 0;       ///< TCP port
  std::string host_header; ///< Host header of the handshake, e.g. 127.0.0.1:7400
  bool tls = false;        ///< wss:// (the node's certificate is not checked: loopback)
  /// The `connect` message (id 1) every connection sends first (with --token, its JWT).
  std::string connect_message = R"({"id":1,"op":"connect","client":"switchyard-bench"})";
};

/// Receives a connection's events, always on its io thread.
class ws_handler {
public:
  /// The handshake is done; messages sent before it are being written now.
  virtual void on_open() = 0;
  /// One message of a received frame; `recv_ns` is when the frame was read (mono_ns).
  virtual void on_message(std::string_view msg, uint64_t recv_ns) = 0;
  /// Every message of the frame was handed over (for handlers that count frames).
  virtual void on_frame_end() {}
  /// A frame left for the socket: room to queue more.
  virtual void on_write_done() {}
  /// The connection failed, was closed by the node or finished close(); it sends
  /// nothing more.
  virtual void on_closed(std::string_view why) = 0;

protected:
  ~ws_handler() = default;
};

class ws_conn {
public:
  /// `max_frame_msgs` caps the messages coalesced into one frame (the node takes at
  /// most 1024 a frame); frames also stop growing past 256 KiB.
  ws_conn(io_pool& pool, std::size_t worker, const endpoint& ep, ws_handler& handler,
          std::size_t max_frame_msgs = 512);
  ~ws_conn();
  ws_conn(const ws_conn&) = delete;
  ws_conn& operator=(const ws_conn&) = delete;

  /// Connects and handshakes in the background. Any thread, once.
  void start();
  /// Queues one message (no trailing newline). Dropped once the connection is closed.
  void send(std::string_view msg);
  /// Queues the endpoint's `connect` (id 1).
  void send_connect();
  /// Sends a close frame once the queued messages are written (sends after it are
  /// dropped); on_closed follows when the node answered it. Before the handshake is done
  /// it drops the socket instead. Any thread.
  void close();
  /// Messages queued but not yet handed to the socket.
  std::size_t queued_msgs() const;
  /// Bytes queued but not yet handed to the socket.
  std::size_t queued_bytes() const;

  /// What a connection does over its stream (plain or TLS; ws_conn.cpp).
  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace switchyard::bench
