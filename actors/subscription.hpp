#pragma once
// One fanout subscription of a connection: where it stands in its topic, and the
// hand-off between replay from the store and live batches. Plain class, no CAF: the
// connection actor drives it and does the I/O.
//
//   joining      the topic has not confirmed yet: live batches are ignored (they are
//                older than the confirmation, and replay covers what is wanted)
//   catching_up  events delivered+1..replay_to are read from the store at the socket's
//                pace; live batches only extend replay_to (they are durable already).
//                Caught up, it goes live once half the socket queue is free: the
//                replay leaves the queue full, and going live then would turn the
//                next live event into a gap for a client that reads
//   live         live events are pushed while the socket queue has room; the ones that
//                do not fit become one `gap` range, reported before the next event
//
// Invariant: every event after the start is either pushed once, in seq order, or
// covered by exactly one gap, and a gap is reported before any later event.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace switchyard::actors {

class subscription {
public:
  enum class phase : uint8_t { joining, catching_up, live };
  enum class live_action : uint8_t { skip, push, dropped };

  struct gap_range {
    uint64_t from = 0;
    uint64_t to = 0;
  };
  struct read_range {
    uint64_t from = 0;
    uint64_t count = 0;
  };

  explicit subscription(uint64_t generation) : generation_(generation) {}

  /// Tells this subscription apart from an earlier one of the same topic.
  uint64_t generation() const { return generation_; }
  phase current() const { return phase_; }
  uint64_t delivered() const { return delivered_; }
  uint64_t replay_to() const { return replay_to_; }
  bool reading() const { return reading_; }
  bool has_gap() const { return gap_.has_value(); }

  /// The topic confirmed the first join with its durable `last`; delivery starts at
  /// `start` (last + 1 for live only).
  void joined(uint64_t last, uint64_t start);
  /// The topic wrote live events to the socket itself up to `delivered` (see
  /// direct_delivery) and gives the subscription back.
  void handed_back(uint64_t delivered) { delivered_ = std::max(delivered_, delivered); }
  /// The topic went away (crash): batches are ignored until rejoined().
  void lost_topic() { phase_ = phase::joining; }
  /// The restarted topic confirmed with `last`: what was missed is replayed.
  void rejoined(uint64_t last);

  /// A live event; `has_room`: the socket queue can take one more message. On `push`,
  /// report take_gap() first, then the event.
  live_action on_live(uint64_t seq, bool has_room);

  /// The next store read for catching up, if one is due: at most `room` and `chunk`
  /// events. Marks a read in flight. Caught up with `room_to_spare` (half the socket
  /// queue free), it goes live instead.
  std::optional<read_range> begin_read(std::size_t room, std::size_t chunk, bool room_to_spare);
  /// One event the read returned, in order. False: already delivered (ignore it). True:
  /// push it (after take_gap(): events the store no longer holds become a gap).
  bool on_replayed(uint64_t seq);
  /// The read finished; `returned_any` false: the range could not be read and is
  /// reported as a gap rather than retried forever. Going live waits for begin_read().
  void end_read(bool returned_any);

  /// The pending gap, cleared; report it before the next event of this subscription.
  std::optional<gap_range> take_gap();

private:
  void note_gap(uint64_t from, uint64_t to);
  void settle();

  uint64_t generation_;
  phase phase_ = phase::joining;
  uint64_t delivered_ = 0; ///< newest seq pushed or covered by a gap
  uint64_t replay_to_ = 0; ///< read the store until delivered_ reaches this
  bool reading_ = false;
  std::optional<gap_range> gap_;
};

} // namespace switchyard::actors
