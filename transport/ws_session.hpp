#pragma once
// Internal: one WebSocket connection. Owns the Beast stream and nothing else; every
// handler runs on the session's strand. Frames go to the connection actor through a
// connection_handle; the actor writes back through connection_sink (posted here).

#include "actors/connection_handle.hpp"
#include "actors/connection_sink.hpp"
#include "transport/outbound_queue.hpp"
#include "transport/net.hpp"
#include "protocol/message.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::actors {
struct node_context;
}

namespace switchyard::transport {

class session_registry;

class ws_session : public actors::connection_sink, public std::enable_shared_from_this<ws_session> {
public:
  ws_session(beast::tcp_stream&& stream, actors::node_context& ctx, session_registry& registry,
             std::size_t max_frame_bytes);
  ~ws_session() override;

  /// Completes the upgrade `req` (already read) with the negotiated subprotocol.
  void run(http::request<http::string_body> req, protocol::encoding enc, std::string subprotocol);

  void write(actors::outbound_frame frame) override;
  std::size_t backlog() const override;
  void notify_when_drained() override;
  void close(uint16_t code, std::string reason) override;

  /// Ends the session without the socket (its io threads are gone): tells the actor.
  /// Only after the server's io threads stopped.
  void abandon() { finish(); }

private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void do_write();
  void on_write(beast::error_code ec, std::size_t bytes);
  void start_close();
  void finish();

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  actors::node_context& ctx_;
  session_registry& registry_;
  actors::connection_handle conn_;
  protocol::encoding enc_ = protocol::encoding::json;
  std::string remote_;
  outbound_queue queue_;
  std::string wbuf_;          ///< the frame being written
  std::size_t in_flight_ = 0; ///< messages in wbuf_
  std::atomic<std::size_t> backlog_{0};
  std::atomic<bool> notify_drained_{false};
  std::optional<websocket::close_reason> close_;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

} // namespace switchyard::transport
