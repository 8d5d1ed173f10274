#pragma once
// Internal: the clocks of one io thread's WebSocket sessions. Two sweeps, each one timer
// per io thread armed while it has sessions to look at:
// - writes in progress, every quarter of limits.write_timeout_ms, for a write that made
//   no progress for that long;
// - open sessions, every quarter of limits.ping_ms, for a peer that went silent (pinged,
//   then cut).
// A timer per session would cost every idle connection a timer and a pending wait
// (Beast's own keep-alive timer alone was ~350 bytes a connection).
//
// An Asio service: one per io_context, found with net::use_service.

#include "transport/net.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

namespace switchyard::transport {

/// What the sweeps look at (the WebSocket session), on its io thread.
class watched_session {
public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~watched_session() = default;
  /// False once no write is in progress, or the session closed for a stuck one.
  virtual bool check_write(time_point now) = 0;
  /// False once the session ended, or it was cut for silence.
  virtual bool check_silence(time_point now) = 0;
  /// Listed by the write sweep (so it is listed once).
  bool write_watched = false;
};

class session_watch : public net::execution_context::service {
public:
  static inline net::execution_context::id id;

  explicit session_watch(net::io_context& ioc)
      : net::execution_context::service(ioc),
        writes_(ioc, &watched_session::check_write, &watched_session::write_watched),
        silences_(ioc, &watched_session::check_silence, nullptr) {}

  /// On the io thread: `s` started a write; check_write() is asked every `timeout / 4`
  /// until it returns false.
  void watch_write(const std::shared_ptr<watched_session>& s, std::chrono::milliseconds timeout) {
    if (s->write_watched || stopped_) {
      return;
    }
    s->write_watched = true;
    writes_.add(s, timeout / 4);
  }

  /// On the io thread: `s` is open; check_silence() is asked every `ping / 4` until it
  /// returns false.
  void watch_silence(const std::shared_ptr<watched_session>& s, std::chrono::milliseconds ping) {
    if (!stopped_) {
      silences_.add(s, ping / 4);
    }
  }

  /// On the io thread: the node is stopping.
  void stop() {
    stopped_ = true;
    writes_.stop();
    silences_.stop();
  }

private:
  using check = bool (watched_session::*)(watched_session::time_point);
  using flag = bool watched_session::*;

  /// Asks `what` of its sessions; `listed` (if any) is cleared when one leaves the list.
  class sweep {
  public:
    sweep(net::io_context& ioc, check what, flag listed)
        : timer_(ioc), what_(what), listed_(listed) {}

    void add(const std::shared_ptr<watched_session>& s, std::chrono::milliseconds period) {
      sessions_.push_back(s);
      if (!armed_) {
        arm(std::max(period, std::chrono::milliseconds(1)));
      }
    }

    void stop() {
      timer_.cancel();
      sessions_.clear();
    }

  private:
    void arm(std::chrono::milliseconds period) {
      armed_ = true;
      timer_.expires_after(period);
      timer_.async_wait([this, period](const boost::system::error_code& ec) {
        armed_ = false;
        if (ec) {
          return;
        }
        // A check may close its session; that never adds to this list.
        const auto now = std::chrono::steady_clock::now();
        std::erase_if(sessions_, [this, now](const std::weak_ptr<watched_session>& w) {
          auto s = w.lock();
          if (s && ((*s).*what_)(now)) {
            return false;
          }
          if (s && listed_) {
            (*s).*listed_ = false;
          }
          return true;
        });
        if (!sessions_.empty()) {
          arm(period);
        }
      });
    }

    net::steady_timer timer_;
    check what_;
    flag listed_;
    std::vector<std::weak_ptr<watched_session>> sessions_;
    bool armed_ = false;
  };

  void shutdown() override {
    writes_.stop();
    silences_.stop();
  }

  sweep writes_;
  sweep silences_;
  bool stopped_ = false;
};

} // namespace switchyard::transport
