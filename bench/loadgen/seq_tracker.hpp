#pragma once
// Per-publisher sequence check of one subscriber. Publishers number their messages
// 0, 1, 2, ... per topic; the tracker keeps the next number expected and the holes
// (skipped numbers, as ranges), so a late arrival is told apart from a duplicate
// exactly and what never came is known at the end. Holes stay few: one per skip.

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace switchyard::bench {

/// Not thread-safe: owned by one subscriber, used on its io thread, read after it stopped.
class seq_tracker {
public:
  explicit seq_tracker(std::size_t publishers);

  /// Notes message `n` of `publisher`; false when `publisher` is not one of this run.
  bool observe(uint32_t publisher, uint64_t n);

  /// Messages of `publisher` that did not arrive, given it sent numbers 0..sent-1.
  uint64_t missing(uint32_t publisher, uint64_t sent) const;

  uint64_t duplicates() const { return duplicates_; }
  uint64_t out_of_order() const { return out_of_order_; }

private:
  struct stream {
    uint64_t next = 0;                  ///< one past the highest number seen
    std::map<uint64_t, uint64_t> holes; ///< first missing -> one past the last missing
    uint64_t hole_total = 0;            ///< numbers inside `holes`
  };

  void fill_hole(stream& s, uint64_t n);

  std::vector<stream> streams_;
  uint64_t duplicates_ = 0;
  uint64_t out_of_order_ = 0;
};

} // namespace switchyard::bench
