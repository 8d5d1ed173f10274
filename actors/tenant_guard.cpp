#include "actors/tenant_guard.hpp"

#include "actors/slow_down_level.hpp"

#include <algorithm>
#include <numeric>

namespace switchyard::actors {

namespace {

/// Share of a per-second limit used over the window (0 when not limited).
double usage(const std::array<int64_t, 4>& window, int64_t rate) {
  if (rate <= 0) {
    return 0;
  }
  return static_cast<double>(std::accumulate(window.begin(), window.end(), int64_t{0})) /
         static_cast<double>(rate);
}

} // namespace

const char* to_string(breaker_state s) {
  switch (s) {
  case breaker_state::closed:
    return "closed";
  case breaker_state::open:
    return "open";
  case breaker_state::half_open:
    return "half_open";
  }
  return "?";
}

tenant_guard::tenant_guard(const tenant_limits& limits, const breaker_settings& breaker,
                           int64_t now_ms)
    : last_tick_ms_(now_ms) {
  reconfigure(limits, breaker, now_ms);
}

void tenant_guard::reconfigure(const tenant_limits& limits, const breaker_settings& breaker,
                               int64_t now_ms) {
  limits_ = limits;
  breaker_settings_ = breaker;
  msgs_.configure(limits.publish_per_s, now_ms);
  bytes_.configure(limits.publish_bytes_per_s, now_ms);
}

std::optional<credit_grant> tenant_guard::open_connection(int64_t now_ms) {
  if (breaker_ == breaker_state::open) {
    return credit_grant{credit_grant::verdict::circuit_open, 0, 0, retry_after_ms(now_ms)};
  }
  if (limits_.max_connections > 0 && connections_ >= limits_.max_connections) {
    // A slot frees when a connection closes, which nobody can predict: a second.
    return credit_grant{credit_grant::verdict::throttled, 0, 0, 1000};
  }
  ++connections_;
  return std::nullopt;
}

bool tenant_guard::add_subscription() {
  if (limits_.max_subscriptions > 0 && subscriptions_ >= limits_.max_subscriptions) {
    return false;
  }
  ++subscriptions_;
  return true;
}

credit_grant tenant_guard::lease(int64_t need_msgs, int64_t want_msgs, int64_t need_bytes,
                                 int64_t want_bytes, int64_t now_ms) {
  if (breaker_ == breaker_state::open) {
    return {credit_grant::verdict::circuit_open, 0, 0, retry_after_ms(now_ms)};
  }
  const auto msgs = msgs_.take(need_msgs, want_msgs, now_ms);
  const auto bytes = msgs > 0 ? bytes_.take(need_bytes, want_bytes, now_ms) : 0;
  if (msgs == 0 || (bytes == 0 && need_bytes > 0)) {
    msgs_.give_back(msgs);
    overloaded_now_ = true;
    // Back when what was asked for has refilled, not at the first token: a client that
    // retries then gets a useful lease instead of another refusal.
    const auto wait =
        std::max(msgs_.refill_ms(want_msgs, now_ms), bytes_.refill_ms(want_bytes, now_ms));
    return {credit_grant::verdict::throttled, 0, 0, std::max<int64_t>(wait, 1)};
  }
  if (msgs_.limited()) {
    msgs_now_ += msgs;
  }
  if (bytes_.limited()) {
    bytes_now_ += bytes;
  }
  return {credit_grant::verdict::granted, msgs, bytes, 0};
}

tenant_guard::tick_outcome tenant_guard::tick(int64_t now_ms) {
  tick_outcome out;
  const auto elapsed = std::max<int64_t>(now_ms - last_tick_ms_, 0);
  last_tick_ms_ = now_ms;
  msgs_window_[window_pos_] = std::exchange(msgs_now_, 0);
  bytes_window_[window_pos_] = std::exchange(bytes_now_, 0);
  window_pos_ = (window_pos_ + 1) % msgs_window_.size();
  const bool overloaded = std::exchange(overloaded_now_, false);

  // slow_down: level 2 at 100 % of a rate or on a refusal (slow_down_level.hpp).
  auto used = std::max(usage(msgs_window_, msgs_.rate()), usage(bytes_window_, bytes_.rate()));
  if (overloaded) {
    used = std::max(used, 1.0);
  }
  const int level = slow_down_level(used, level_);
  if (level != level_) {
    level_ = level;
    out.level = level;
  }

  overloaded_ms_ = overloaded ? overloaded_ms_ + elapsed : 0;
  const auto before = breaker_;
  switch (breaker_) {
  case breaker_state::closed:
    if (overloaded_ms_ >= breaker_settings_.open_after_ms) {
      breaker_ = breaker_state::open;
      open_until_ms_ = now_ms + breaker_settings_.cooldown_ms;
    }
    break;
  case breaker_state::open:
    if (now_ms >= open_until_ms_) {
      breaker_ = breaker_state::half_open;
      probe_until_ms_ = now_ms + probe_ms;
    }
    break;
  case breaker_state::half_open:
    if (overloaded) {
      breaker_ = breaker_state::open;
      open_until_ms_ = now_ms + breaker_settings_.cooldown_ms;
    } else if (now_ms >= probe_until_ms_) {
      breaker_ = breaker_state::closed;
      overloaded_ms_ = 0;
    }
    break;
  }
  if (breaker_ != before) {
    out.breaker = breaker_;
  }
  return out;
}

int64_t tenant_guard::retry_after_ms(int64_t now_ms) {
  if (breaker_ == breaker_state::open) {
    return std::max<int64_t>(open_until_ms_ - now_ms, 1);
  }
  return std::max<int64_t>({msgs_.wait_ms(1, now_ms), bytes_.wait_ms(1, now_ms), 1});
}

bool tenant_guard::idle() const {
  return connections_ <= 0 && subscriptions_ <= 0 && breaker_ == breaker_state::closed &&
         level_ == 0;
}

} // namespace switchyard::actors
