#pragma once
// Internal: the way into one io thread for outgoing frames. Connection actors hand their
// frames to the lane of their session's io_context instead of posting one handler per
// frame: the first frame after a drain posts one drain, the rest only join the list. The
// drain hands every frame to its session and then lets each touched session write once,
// so a session that got several frames in the meantime sends them in one write (a cork
// per turn of the io thread, as uWS does).
//
// The lane also runs write rounds for big rooms: a session that has just written lets
// the events of a big room wait for the lane's next round (limits.write_round_ms), so
// one write carries everything that came meanwhile (ws_session::write_or_wait). The
// round is one timer per io thread, armed only while a session waits.
//
// The lane also keeps the io thread's spare write buffers: a session borrows one while
// it has something to write and gives it back when its queue is empty, so idle
// connections hold no buffer and busy ones do not allocate (and fault in) a fresh one
// for every write.
//
// An Asio service: one lane per io_context, found with net::use_service.

#include "actors/connection_sink.hpp"
#include "transport/net.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::transport {

/// What a lane delivers to (the WebSocket session), on the lane's io thread.
class lane_writer {
public:
  virtual ~lane_writer() = default;
  /// Takes a frame's parts into the write queue; writes nothing yet.
  virtual void take(actors::outbound_frame& frame) = 0;
  /// Everything of this drain has been taken: start writing (or wait for a round).
  virtual void flush() = 0;
  /// The round it waited for: write what is queued (`last`: the node stops, no more
  /// rounds).
  virtual void write_round(bool last) = 0;
  /// Marks the writer as touched in the current drain (so flush() runs once).
  bool touched = false;
  /// Waiting for the next round (so it is listed once).
  bool waiting = false;
};

class write_lane : public net::execution_context::service {
public:
  static inline net::execution_context::id id;

  explicit write_lane(net::io_context& ioc)
      : net::execution_context::service(ioc), ioc_(ioc), round_timer_(ioc) {}

  /// On the io thread: `w` writes at the next round, `round` from now at the latest.
  void defer(std::shared_ptr<lane_writer> w, std::chrono::milliseconds round) {
    if (w->waiting) {
      return;
    }
    w->waiting = true;
    deferred_.push_back(std::move(w));
    if (!round_armed_ && !stopped_) {
      round_armed_ = true;
      round_timer_.expires_after(round);
      round_timer_.async_wait([this](const boost::system::error_code& ec) {
        round_armed_ = false;
        if (!ec) {
          write_round(false);
        }
      });
    }
  }

  /// On the io thread: the node is stopping; whatever waits for a round writes now.
  void stop() {
    stopped_ = true;
    round_timer_.cancel();
    write_round(true);
  }

  /// From any thread: `frame` goes to `to` on this lane's io thread.
  void push(std::shared_ptr<lane_writer> to, actors::outbound_frame frame) {
    std::lock_guard lock{mutex_};
    incoming_.push_back({std::move(to), std::move(frame)});
    if (!scheduled_) {
      scheduled_ = true;
      net::post(ioc_, [this] { drain(); });
    }
  }

  /// On the io thread: an empty buffer, with the capacity of an earlier frame if one is
  /// spare.
  std::string borrow_buffer() {
    if (spare_.empty()) {
      return {};
    }
    auto buf = std::move(spare_.back());
    spare_.pop_back();
    return buf;
  }

  /// On the io thread: `buf` is no longer written from.
  void return_buffer(std::string&& buf) {
    if (spare_.size() < max_spare_buffers && buf.capacity() <= max_spare_capacity) {
      buf.clear();
      spare_.push_back(std::move(buf));
    }
  }

private:
  /// Enough for the sessions of one thread that write at the same time in a busy fanout;
  /// at most 32 x 256 KiB held per io thread.
  static constexpr std::size_t max_spare_buffers = 32;
  static constexpr std::size_t max_spare_capacity = std::size_t{256} << 10;

  struct item {
    std::shared_ptr<lane_writer> to;
    actors::outbound_frame frame;
  };

  void drain() {
    {
      std::lock_guard lock{mutex_};
      draining_.swap(incoming_);
      scheduled_ = false;
    }
    touched_.clear();
    for (auto& it : draining_) {
      it.to->take(it.frame);
      if (!it.to->touched) {
        it.to->touched = true;
        touched_.push_back(it.to.get());
      }
    }
    for (auto* w : touched_) {
      w->touched = false;
      w->flush();
    }
    // The writers stay alive until here: draining_ holds them.
    draining_.clear();
  }

  void write_round(bool last) {
    auto round = std::move(deferred_);
    deferred_.clear();
    for (auto& w : round) {
      w->waiting = false;
      w->write_round(last);
    }
  }

  void shutdown() override {
    std::lock_guard lock{mutex_};
    incoming_.clear();
  }

  net::io_context& ioc_;
  std::mutex mutex_;
  bool scheduled_ = false;
  std::vector<item> incoming_;
  std::vector<item> draining_; ///< used by drain() on the io thread only
  std::vector<lane_writer*> touched_;
  std::vector<std::string> spare_; ///< io thread only
  // Write rounds, io thread only.
  net::steady_timer round_timer_;
  std::vector<std::shared_ptr<lane_writer>> deferred_; ///< write at the next round
  bool round_armed_ = false;
  bool stopped_ = false;
};

} // namespace switchyard::transport
