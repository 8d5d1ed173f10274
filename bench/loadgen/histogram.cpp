#include "bench/loadgen/histogram.hpp"

#include <cmath>

namespace switchyard::bench {

histogram::histogram() : counts_(bucket_count, 0) {}

void histogram::merge(const histogram& other) {
  for (std::size_t b = 0; b < bucket_count; ++b) {
    counts_[b] += other.counts_[b];
  }
  total_ += other.total_;
  if (other.max_ > max_) {
    max_ = other.max_;
  }
}

double histogram::bucket_mid(std::size_t b) {
  if (b < sub_count) {
    return static_cast<double>(b);
  }
  const uint64_t shift = (b - sub_count) / sub_count;
  const uint64_t mantissa = (b - sub_count) % sub_count + sub_count;
  const double low = static_cast<double>(mantissa << shift);
  return low + static_cast<double>(uint64_t{1} << shift) / 2.0;
}

double histogram::quantile_ns(double q) const {
  if (total_ == 0) {
    return 0;
  }
  if (q >= 1.0) {
    return static_cast<double>(max_);
  }
  uint64_t want = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
  want = want == 0 ? 1 : want;
  uint64_t seen = 0;
  for (std::size_t b = 0; b < bucket_count; ++b) {
    seen += counts_[b];
    if (seen >= want) {
      // A midpoint can exceed the largest value recorded; the max is exact.
      const double mid = bucket_mid(b);
      return mid > static_cast<double>(max_) ? static_cast<double>(max_) : mid;
    }
  }
  return static_cast<double>(max_);
}

} // namespace switchyard::bench
