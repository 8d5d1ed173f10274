#pragma once
// Internal: one WebSocket connection over `Stream` (the bare tcp::socket in the node, an
// in-memory stream in the fuzz target). Owns the Beast stream and nothing else; every
// handler runs on the session's io thread (one io_context per thread, no strand). Frames
// go to the connection actor through a connection_handle; the actor writes back through
// connection_sink (posted here).
//
// Limits, each with what happens when it is hit:
// - a message over limits.max_frame_bytes: close 1009 (the session enforces it while
//   reading, so it never holds more than the limit plus one read);
// - limits.inbound_queue frames, or 4 x max_frame_bytes bytes, handed to the actor and
//   not yet handled: reading pauses until it catches up (TCP pushes back on the client);
// - a write that makes no progress for limits.write_timeout_ms: close 1008 (the io
//   thread's session_watch looks every quarter of it, so within 1.25 x the limit);
// - a peer silent (no data, no control frame) for limits.ping_ms: a WebSocket ping; for
//   twice that: the socket is cut (session_watch, again within a quarter of it);
// - after sending a close frame the session keeps reading (and discarding) until the
//   peer's close, for at most 2000 ms, so the client learns why; then the socket is cut.
//   A close asked for while writes are queued lets them go out first, within the same
//   2000 ms.

#include "actors/connection_handle.hpp"
#include "actors/connection_sink.hpp"
#include "actors/node_context.hpp"
#include "protocol/message.hpp"
#include "transport/live_session.hpp"
#include "transport/log.hpp"
#include "transport/net.hpp"
#include "transport/outbound_queue.hpp"
#include "transport/session_registry.hpp"
#include "transport/session_watch.hpp"
#include "transport/stream_ops.hpp"
#include "transport/write_lane.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

namespace switchyard::transport {

inline constexpr auto close_linger = std::chrono::milliseconds(2000);
/// Messages queued while a write is in progress leave together up to this size (one
/// larger message still goes alone): past it, a bigger write saves no system calls worth
/// having, and the buffer stays small enough to be reused.
inline constexpr std::size_t write_batch_bytes = std::size_t{64} << 10;
/// What the first read of a client message asks for (see do_read).
inline constexpr std::size_t first_read_bytes = 64;
inline constexpr uint16_t close_policy_violation = 1008;
inline constexpr uint16_t close_too_big = 1009;

template <class Stream>
class ws_session : public actors::connection_sink,
                   public live_session,
                   public lane_writer,
                   public watched_session,
                   public std::enable_shared_from_this<ws_session<Stream>> {
public:
  ws_session(Stream&& stream, actors::node_context& ctx, session_registry& registry)
      : ws_(std::move(stream)), ctx_(ctx), registry_(registry), lane_(service_of<write_lane>(ws_)),
        watch_(service_of<session_watch>(ws_)),
        queue_(std::min(write_batch_bytes, static_cast<std::size_t>(ctx.limits.max_frame_bytes))) {
    remote_ = remote_of(beast::get_lowest_layer(ws_));
    // The size limit is enforced here, while reading (see on_read): Beast 1.74's own
    // check tears the socket down with unread data, and the client sees 1006, not 1009.
    ws_.read_message_max(0);
    ws_.auto_fragment(false);
  }

  /// Completes the upgrade `req` (already read) with the negotiated subprotocol.
  void run(http::request<http::string_body> req, protocol::encoding enc, std::string subprotocol) {
    enc_ = enc;
    expire_never(beast::get_lowest_layer(ws_));
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = std::chrono::seconds(10);
    // A silent peer is pinged and cut by the io thread's session_watch, not by a timer
    // of Beast's per connection.
    timeouts.idle_timeout = websocket::stream_base::none();
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [sub = std::move(subprotocol)](websocket::response_type& res) {
          res.set(http::field::server, "switchyard");
          if (!sub.empty()) {
            res.set(http::field::sec_websocket_protocol, sub);
          }
        }));
    ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, self()));
  }

  void write(actors::outbound_frame frame) override {
    backlog_ += frame.parts.size();
    lane_.push(self(), std::move(frame));
  }

  void take(actors::outbound_frame& frame) override {
    // After a close was asked for nothing more is queued: a topic writing directly would
    // otherwise keep the queue from ever emptying, and the close frame from going out.
    if (finished_ || closing_ || close_) {
      backlog_ -= frame.parts.size();
      return;
    }
    for (auto& part : frame.parts) {
      queue_.push(std::move(part));
    }
    urgent_ = urgent_ || !frame.bulk;
  }

  void flush() override {
    if (!finished_ && !closing_) {
      write_or_wait(std::chrono::milliseconds(ctx_.limits.write_round_ms));
    }
  }

  void write_round(bool last) override {
    if (finished_ || closing_) {
      return;
    }
    if (last) {
      return do_write();
    }
    // A socket that wrote within the first half of this round (it had been quiet) waits
    // for the next one: rounds then come once per round, not twice.
    write_or_wait(std::chrono::milliseconds(ctx_.limits.write_round_ms) / 2);
  }

  std::size_t backlog() const override { return backlog_.load(std::memory_order_relaxed); }

  void notify_when_drained() override {
    notify_drained_ = true;
    // The backlog may have drained before the flag was set: check on the io thread.
    net::post(ws_.get_executor(), [s = self()] {
      if (!s->writing_ && s->queue_.empty() && !s->finished_ &&
          s->notify_drained_.exchange(false)) {
        s->conn_.written();
      }
    });
  }

  void frame_done(std::size_t bytes) override {
    const auto frames = unhandled_frames_.fetch_sub(1) - 1;
    const auto held =
        unhandled_bytes_.fetch_sub(static_cast<int64_t>(bytes)) - static_cast<int64_t>(bytes);
    if (read_paused_.load() && frames < max_unhandled_frames() && held < max_unhandled_bytes()) {
      net::post(ws_.get_executor(), [s = self()] { s->resume_reading(); });
    }
  }

  void drain(int64_t reconnect_after_ms, int64_t timeout_ms) override {
    net::post(ws_.get_executor(), [s = self(), reconnect_after_ms, timeout_ms] {
      s->conn_.drain(reconnect_after_ms, timeout_ms);
    });
  }

  void keep_alive_within(int64_t timeout_ms) override {
    net::post(ws_.get_executor(),
              [s = self(), timeout_ms] { s->presence_timeout_ms_ = timeout_ms; });
  }

  void close(uint16_t code, std::string reason) override {
    net::post(ws_.get_executor(), [s = self(), code, r = std::move(reason)]() mutable {
      s->close_after_writes(code, std::move(r));
    });
  }

  void abandon() override { finish(); }

  /// A session dropped without finishing (its io_context destroyed with handlers still
  /// queued) still lets its actor go.
  ~ws_session() override {
    conn_.closed();
    registry_.remove(this);
  }

private:
  std::shared_ptr<ws_session> self() { return this->shared_from_this(); }

  // Read from the node's limits when needed, not copied into every session.
  std::size_t max_frame_bytes() const {
    return static_cast<std::size_t>(ctx_.limits.max_frame_bytes);
  }
  int64_t max_unhandled_frames() const { return ctx_.limits.inbound_queue; }
  int64_t max_unhandled_bytes() const { return 4 * ctx_.limits.max_frame_bytes; }

  /// Every stream here runs on an io_context (the node's io threads, or the one of the
  /// fuzz target's in-memory stream).
  template <class Service> static Service& service_of(websocket_stream<Stream>& ws) {
    auto& context = net::query(ws.get_executor(), net::execution::context);
    return net::use_service<Service>(static_cast<net::io_context&>(context));
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      log().debug("ws.handshake_failed remote={} error=\"{}\"", remote_, ec.message());
      return finish();
    }
    registry_.add(self());
    conn_ = actors::connection_handle::spawn(ctx_, enc_, this->weak_from_this(), remote_);
    ws_.text(enc_ == protocol::encoding::json);
    // The decorator was for the handshake response: drop it and the subprotocol it holds.
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type&) {}));
    // Pings and pongs from the peer count as hearing from it. Called from within a read,
    // which holds the session.
    ws_.control_callback([this](websocket::frame_type, beast::string_view) { heard(); });
    heard();
    // Swept often enough for a presence connection's shorter keep-alive, too.
    watch_.watch_silence(self(), std::chrono::milliseconds(
                                     std::min(ctx_.limits.ping_ms, ctx_.presence.timeout_ms / 2)));
    do_read();
  }

  void do_read() {
    if (closing_ || finished_) {
      return;
    }
    reading_ = true;
    // Beast allocates the read buffer when the read starts, sized for 1.5 KiB: an idle
    // connection would hold that while it waits. The first read of a message asks for
    // first_read_bytes only; the rest follows from Beast's own buffer, without a system
    // call (64 rather than 512: 0.4 KiB less per idle connection, publishes unchanged).
    const auto limit = buffer_.size() == 0 ? std::min(first_read_bytes, max_frame_bytes() + 1)
                                           : max_frame_bytes() + 1 - buffer_.size();
    // Into a buffer sequence, not the dynamic buffer: Beast's dynamic-buffer read is one
    // more operation around this one, held (with its executor) while the read waits.
    ws_.async_read_some(buffer_.prepare(limit),
                        beast::bind_front_handler(&ws_session::on_read, self()));
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    reading_ = false;
    buffer_.commit(bytes);
    if (ec) {
      if (ec == websocket::error::closed && !closing_ && !close_) {
        hangup_ = actors::connection_handle::hangup::by_peer;
      } else if (ec != websocket::error::closed && ec != net::error::operation_aborted) {
        log().debug("ws.read_failed remote={} error=\"{}\"", remote_, ec.message());
      }
      return finish();
    }
    heard();
    if (buffer_.size() > max_frame_bytes()) {
      log().info("ws.closed remote={} code=1009 reason=frame_too_large limit={}", remote_,
                 max_frame_bytes());
      buffer_ = beast::flat_buffer{};
      return begin_close({static_cast<websocket::close_code>(close_too_big), "frame too large"});
    }
    if (!ws_.is_message_done()) {
      return do_read();
    }
    const auto size = static_cast<int64_t>(buffer_.size());
    ctx_.metrics.bytes_in_total.fetch_add(buffer_.size(), std::memory_order_relaxed);
    const auto frames = unhandled_frames_.fetch_add(1) + 1;
    const auto held = unhandled_bytes_.fetch_add(size) + size;
    // Decoded straight from Beast's buffer (contiguous), on this thread.
    conn_.frame({static_cast<const char*>(buffer_.data().data()), buffer_.size()});
    // Give the message buffer back between messages: an idle connection holds none.
    buffer_ = beast::flat_buffer{};
    if (frames < max_unhandled_frames() && held < max_unhandled_bytes()) {
      return do_read();
    }
    // The actor is behind: stop reading, so TCP pushes back on the client. No operation
    // is pending now, so the session keeps itself alive until it reads again. frame_done()
    // may have caught up before the flag was set, hence the second look.
    paused_self_ = self();
    read_paused_ = true;
    resume_reading();
  }

  void resume_reading() {
    if (!read_paused_ || reading_ || closing_ || finished_ ||
        unhandled_frames_.load() >= max_unhandled_frames() ||
        unhandled_bytes_.load() >= max_unhandled_bytes()) {
      return;
    }
    read_paused_ = false;
    auto keep = std::move(paused_self_);
    do_read();
  }

  /// Writes now, unless the socket wrote less than `quiet` ago and only events of big
  /// rooms wait: those leave with the lane's next round, together with whatever comes
  /// meanwhile (fewer, larger writes for the node and the client; at most
  /// limits.write_round_ms later).
  void write_or_wait(std::chrono::steady_clock::duration quiet) {
    if (writing_ || queue_.empty()) {
      return;
    }
    if (!urgent_ && quiet.count() > 0 &&
        std::chrono::steady_clock::now() - write_started_ < quiet) {
      return lane_.defer(self(), std::chrono::milliseconds(ctx_.limits.write_round_ms));
    }
    do_write();
  }

  void do_write() {
    if (writing_ || queue_.empty()) {
      return;
    }
    writing_ = true;
    // Everything queued leaves as one frame, copied into one buffer: Asio passes at most
    // 64 buffers to one writev, so gathering many small messages would cost more syscalls.
    if (wbuf_.capacity() == 0) {
      wbuf_ = lane_.borrow_buffer();
    }
    wbuf_.clear();
    in_flight_ = queue_.take_frame(wbuf_, enc_ == protocol::encoding::json);
    urgent_ = urgent_ && !queue_.empty();
    write_started_ = std::chrono::steady_clock::now();
    watch_.watch_write(self(), std::chrono::milliseconds(ctx_.limits.write_timeout_ms));
    ctx_.metrics.bytes_out_total.fetch_add(wbuf_.size(), std::memory_order_relaxed);
    ws_.async_write(net::buffer(wbuf_), beast::bind_front_handler(&ws_session::on_write, self()));
  }

  bool check_write(time_point now) override {
    if (!writing_ || closing_ || finished_) {
      return false;
    }
    if (now - write_started_ < std::chrono::milliseconds(ctx_.limits.write_timeout_ms)) {
      return true;
    }
    on_write_timeout();
    return false;
  }

  /// Pings a peer silent for limits.ping_ms and cuts one silent for twice that; one that
  /// holds presence is pinged after a quarter of presence.timeout_ms and cut before the
  /// whole (the sweep comes every eighth of it at least).
  bool check_silence(time_point now) override {
    if (finished_ || closing_) {
      return false; // a closing session ends by the close linger
    }
    if (read_paused_.load()) {
      heard(); // reading waits for its actor: the peer sent more than it has taken yet
      return true;
    }
    auto ping = std::chrono::milliseconds(ctx_.limits.ping_ms);
    auto cut_after = 2 * ping;
    if (presence_timeout_ms_ > 0) {
      const auto timeout = std::chrono::milliseconds(presence_timeout_ms_);
      ping = std::min(ping, timeout / 4);
      cut_after = std::min(cut_after, timeout * 7 / 8);
    }
    const auto silent = now - last_heard_;
    if (silent >= cut_after) {
      log().info("ws.closed remote={} reason=silent silent_ms={}", remote_,
                 std::chrono::duration_cast<std::chrono::milliseconds>(silent).count());
      hangup_ = actors::connection_handle::hangup::silent;
      cut(beast::get_lowest_layer(ws_)); // the read in progress ends, and so the session
      return false;
    }
    if (silent >= ping && !pinged_ && !close_) {
      pinged_ = true;
      ws_.async_ping({}, [s = self()](beast::error_code) {});
    }
    return true;
  }

  void heard() {
    last_heard_ = std::chrono::steady_clock::now();
    pinged_ = false;
  }

  void on_write_timeout() {
    log().info("ws.closed remote={} code=1008 reason=write_timeout timeout_ms={}", remote_,
               ctx_.limits.write_timeout_ms);
    // The close frame queues behind the stuck write; the linger cuts the socket if it
    // never goes out.
    begin_close(
        {static_cast<websocket::close_code>(close_policy_violation), "client does not read"});
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    backlog_ -= in_flight_;
    in_flight_ = 0;
    if (queue_.empty()) {
      lane_.return_buffer(std::exchange(wbuf_, {})); // idle connections hold no buffer
    }
    if (ec) {
      log().debug("ws.write_failed remote={} error=\"{}\"", remote_, ec.message());
      return finish();
    }
    if (!queue_.empty() && !closing_) {
      return write_or_wait(std::chrono::milliseconds(ctx_.limits.write_round_ms));
    }
    if (notify_drained_.exchange(false)) {
      conn_.written();
    }
    if (close_ && !closing_) {
      begin_close(*close_);
    }
  }

  void close_after_writes(uint16_t code, std::string reason) {
    if (finished_ || close_ || closing_) {
      return;
    }
    close_ = std::make_unique<websocket::close_reason>(static_cast<websocket::close_code>(code));
    close_->reason = std::move(reason);
    // What is queued goes out first, but a peer that does not read gets no longer than
    // the linger for it.
    arm_linger();
    if (!writing_ && queue_.empty()) {
      begin_close(*close_);
    }
  }

  /// Cuts the socket `close_linger` from now unless the session ended before.
  void arm_linger() {
    if (linger_armed_) {
      return;
    }
    linger_armed_ = true;
    linger_timer_ = std::make_unique<net::steady_timer>(ws_.get_executor());
    linger_timer_->expires_after(close_linger);
    linger_timer_->async_wait([s = self()](beast::error_code ec) {
      if (!ec) {
        log().debug("ws.close_linger_expired remote={}", s->remote_);
        cut(beast::get_lowest_layer(s->ws_));
      }
    });
  }

  /// Sends the close frame. Beast then reads and discards until the peer's close frame
  /// (or our read loop sees it); the linger timer cuts the socket if that takes too long.
  void begin_close(websocket::close_reason why) {
    if (closing_ || finished_) {
      return;
    }
    closing_ = true;
    arm_linger();
    ws_.async_close(why, [s = self()](beast::error_code) { s->finish(); });
  }

  void finish() {
    if (finished_) {
      return;
    }
    finished_ = true;
    if (linger_timer_) {
      linger_timer_->cancel();
    }
    conn_.closed(hangup_);
    registry_.remove(this);
    paused_self_.reset();
  }

  websocket_stream<Stream> ws_;
  beast::flat_buffer buffer_; ///< the message being read
  actors::node_context& ctx_;
  session_registry& registry_;
  write_lane& lane_;
  session_watch& watch_;
  actors::connection_handle conn_;
  protocol::encoding enc_ = protocol::encoding::json;
  std::string remote_;
  outbound_queue queue_;
  std::string wbuf_;                                ///< the frame being written
  std::size_t in_flight_ = 0;                       ///< messages in wbuf_
  time_point write_started_{};                      ///< of the last write
  time_point last_heard_{};                         ///< the last bytes read from the peer
  std::unique_ptr<net::steady_timer> linger_timer_; ///< made when a close begins
  std::atomic<std::size_t> backlog_{0};
  std::atomic<bool> notify_drained_{false};
  std::atomic<int64_t> unhandled_frames_{0}; ///< handed to the actor, not yet handled
  std::atomic<int64_t> unhandled_bytes_{0};
  std::atomic<bool> read_paused_{false};
  /// Asked for; sent after queued writes. Behind a pointer, like linger_timer_: a close
  /// reason is 144 bytes, and most connections never hold one.
  std::unique_ptr<websocket::close_reason> close_;
  std::shared_ptr<ws_session> paused_self_; ///< while reading is paused
  bool pinged_ = false;                     ///< since last_heard_
  int64_t presence_timeout_ms_ = 0;         ///< keep_alive_within (0: limits.ping_ms rules)
  actors::connection_handle::hangup hangup_ = actors::connection_handle::hangup::lost;
  bool reading_ = false;
  bool writing_ = false;
  bool urgent_ = false; ///< something queued must not wait for a write round
  bool linger_armed_ = false;
  bool closing_ = false; ///< the close frame is on its way
  bool finished_ = false;
};

} // namespace switchyard::transport
