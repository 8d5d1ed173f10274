#pragma once
// A token bucket: `rate` tokens a second, holding at most one second's worth. A grant
// may leave it in debt (an event bigger than what is left is let through when anything
// is left, and the debt is paid back by waiting).

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace switchyard::actors {

class token_bucket {
public:
  /// rate 0: not limited. A bucket that starts or becomes limited starts full.
  void configure(int64_t rate, int64_t now_ms) {
    refill(now_ms);
    if (rate_ == 0) {
      tokens_ = static_cast<double>(rate);
    }
    rate_ = rate;
    tokens_ = std::min(tokens_, static_cast<double>(rate_));
    last_ms_ = now_ms;
  }
  bool limited() const { return rate_ > 0; }
  int64_t rate() const { return rate_; }

  /// Takes at least `need` and up to `want` tokens; 0 when the bucket is empty (or in
  /// debt). Not limited: always `want`.
  int64_t take(int64_t need, int64_t want, int64_t now_ms) {
    if (rate_ == 0) {
      return want;
    }
    refill(now_ms);
    if (tokens_ < std::min<double>(static_cast<double>(need), 1.0)) {
      return 0;
    }
    const auto grant = std::max(need, std::min(want, static_cast<int64_t>(tokens_)));
    tokens_ -= static_cast<double>(grant);
    return grant;
  }
  /// Gives back tokens taken but not used.
  void give_back(int64_t n) {
    if (rate_ > 0) {
      tokens_ = std::min(tokens_ + static_cast<double>(n), static_cast<double>(rate_));
    }
  }
  /// How long until the bucket holds `n` tokens (at most a full bucket).
  int64_t refill_ms(int64_t n, int64_t now_ms) {
    if (rate_ == 0) {
      return 0;
    }
    refill(now_ms);
    const auto missing = static_cast<double>(std::min(n, rate_)) - tokens_;
    return missing <= 0
               ? 0
               : static_cast<int64_t>(std::ceil(missing * 1000.0 / static_cast<double>(rate_)));
  }
  /// How long until take(need, ...) can succeed.
  int64_t wait_ms(int64_t need, int64_t now_ms) {
    if (rate_ == 0) {
      return 0;
    }
    refill(now_ms);
    const auto missing = std::min<double>(static_cast<double>(need), 1.0) - tokens_;
    return missing <= 0
               ? 0
               : static_cast<int64_t>(std::ceil(missing * 1000.0 / static_cast<double>(rate_)));
  }

private:
  void refill(int64_t now_ms) {
    if (now_ms > last_ms_) {
      tokens_ = std::min(static_cast<double>(rate_),
                         tokens_ + static_cast<double>(rate_) *
                                       static_cast<double>(now_ms - last_ms_) / 1000.0);
      last_ms_ = now_ms;
    }
  }

  int64_t rate_ = 0;
  double tokens_ = 0;
  int64_t last_ms_ = 0;
};

} // namespace switchyard::actors
