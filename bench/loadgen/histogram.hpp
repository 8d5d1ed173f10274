#pragma once
// A log-linear latency histogram: values below 64 ns get a bucket each, above that
// every power of two is split into 64 buckets, so any value is known within 1/64
// (~1.6 %). Fixed size (~30 KiB), no allocation when recording, mergeable.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace switchyard::bench {

/// Not thread-safe: one writer (an io thread); read or merge after it stopped.
class histogram {
public:
  histogram();

  /// Records one value in nanoseconds (hot path).
  void record(uint64_t ns) {
    ++counts_[bucket_of(ns)];
    ++total_;
    if (ns > max_) {
      max_ = ns;
    }
  }

  /// Adds every value of `other`.
  void merge(const histogram& other);

  uint64_t count() const { return total_; }
  uint64_t max_ns() const { return max_; }
  /// The value at quantile `q` in [0, 1] (bucket midpoint; 0 when empty).
  double quantile_ns(double q) const;

private:
  static constexpr unsigned sub_bits = 6;
  static constexpr uint64_t sub_count = uint64_t{1} << sub_bits;
  static constexpr std::size_t bucket_count = sub_count + (64 - sub_bits) * sub_count;

  static std::size_t bucket_of(uint64_t v) {
    if (v < sub_count) {
      return static_cast<std::size_t>(v);
    }
    const unsigned shift = static_cast<unsigned>(std::bit_width(v)) - 1 - sub_bits;
    return static_cast<std::size_t>(sub_count + shift * sub_count + ((v >> shift) - sub_count));
  }
  static double bucket_mid(std::size_t b);

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

} // namespace switchyard::bench
