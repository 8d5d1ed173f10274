#pragma once
// What a queue group holds in memory, as a plain class (tested without an actor system):
// the events after its floor, read from the store in seq order, each waiting, held by a
// member (in flight), on its way to dead/<topic> (dying) or done, and the members with
// their room. The queue_group actor does the I/O around it.
//
// Rules (PROTOCOL.md, Semantics, Queue):
// - each event goes to one member at a time; members get events while they have room
//   (max_inflight), round robin;
// - events with the same key go in seq order and never two at a time: one waits while an
//   earlier one of its key is not done;
// - unacked past its ack_wait, nacked, or held by a member that left, an event waits
//   again (after a nack's delay); a failure at max_deliver attempts makes it dying;
// - an event past its ttl is done without being delivered.
//
// Times are wall-clock milliseconds passed in by the caller.

#include "store/event_store.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::actors {

class group_window {
public:
  using member_id = uint64_t;
  using event_ptr = std::shared_ptr<const store::event_record>;

  struct delivery {
    member_id member = 0;
    event_ptr event;
    uint32_t attempt = 0;
  };

  /// An event that failed max_deliver times, for dead/<topic>.
  struct dead_letter {
    event_ptr event;
    uint32_t attempts = 0;
    std::string last_error;
  };

  enum class reply : uint8_t { ok, not_found };

  /// `capacity`: most events held after the floor; `max_deliver`: attempts per event.
  group_window(std::size_t capacity, uint32_t max_deliver);

  /// Starts from a stored state: its floor, done seqs and attempts apply to the events
  /// as they are added.
  void restore(const store::group_state& st);
  /// A new group: done up to `floor`.
  void start_at(uint64_t floor);

  uint64_t floor() const { return floor_; }
  /// The seq the next add() takes.
  uint64_t next_seq() const { return floor_ + 1 + slots_.size(); }
  /// How many more events add() may take.
  std::size_t room() const { return slots_.size() >= capacity_ ? 0 : capacity_ - slots_.size(); }
  /// Events held after the floor, done ones included.
  std::size_t held() const { return slots_.size(); }
  /// Events delivered and not yet acked, nacked or timed out.
  std::size_t inflight() const { return inflight_; }

  /// Takes the next event read from the store (seq >= next_seq(); seqs the store no
  /// longer holds count as done).
  void add(store::event_record ev);
  /// The same, for an event shared with others (no copy).
  void add(event_ptr ev);

  void add_member(member_id id, uint32_t max_inflight, int64_t ack_wait_ms);
  /// The member's events wait again, at once. Returns how many it held.
  std::size_t remove_member(member_id id);
  bool has_member(member_id id) const;
  std::size_t members() const { return members_.size(); }

  /// Hands waiting events to members with room; appends what to send to `out`.
  void dispatch(int64_t now, std::vector<delivery>& out);

  /// The member acks `seq`: done. not_found unless the member holds it now.
  reply ack(member_id id, uint64_t seq);
  /// The member gives `seq` back: it waits `delay_ms`, or becomes dying at max_deliver.
  reply nack(member_id id, uint64_t seq, int64_t delay_ms, std::string reason, int64_t now);
  /// Events held past their ack_wait wait again (or become dying). Returns how many.
  std::size_t expire(int64_t now);
  /// The dying events not handed out yet (each once).
  std::vector<dead_letter> take_dead();
  /// A dying event is stored in dead/<topic>: done.
  void dead_lettered(uint64_t seq);
  /// Storing it in dead/<topic> failed: take_dead() hands it out again.
  void release_dead(uint64_t seq);

  /// The earliest time something is due (an ack_wait or a nack's delay), if any.
  std::optional<int64_t> next_due() const;

  /// True when something changed since the last snapshot().
  bool dirty() const { return dirty_; }
  /// The durable form of the window; clears dirty().
  store::group_state snapshot();

private:
  enum class state : uint8_t { waiting, inflight, dying, done };
  struct slot {
    event_ptr event; ///< null for a seq the store did not hold (done)
    state st = state::waiting;
    bool dead_taken = false; ///< dying: handed out by take_dead()
    uint32_t attempts = 0;
    member_id member = 0;
    int64_t due = 0; ///< inflight: ack deadline; waiting: not before (nack delay)
    std::string last_error;
  };
  struct member {
    member_id id = 0;
    uint32_t max_inflight = 0;
    int64_t ack_wait_ms = 0;
    uint32_t inflight = 0;
  };

  slot* find(uint64_t seq);
  /// The member's in-flight `seq` stops being in flight; its index, or nullopt when the
  /// member does not hold it.
  std::optional<std::size_t> take_back(member_id id, uint64_t seq);
  member* find_member(member_id id);
  /// A member with room, round robin; nullptr when all are full.
  member* next_member();
  /// The slot at `index` stops being in flight: it waits again, or dies at max_deliver.
  void fail(std::size_t index, std::string reason, int64_t not_before);
  void finish(std::size_t index);
  void waiting_at(std::size_t index);
  /// Drops the done slots at the front, raising the floor.
  void advance();

  std::size_t capacity_;
  uint32_t max_deliver_;
  uint64_t floor_ = 0;
  std::deque<slot> slots_;
  std::vector<member> members_;
  std::size_t next_member_ = 0;
  std::size_t inflight_ = 0;
  /// Not-done slots with a key: while there are none, dispatch starts at scan_from_.
  std::size_t keyed_open_ = 0;
  /// No slot before this index is waiting (valid while keyed_open_ is 0).
  std::size_t scan_from_ = 0;
  bool dirty_ = false;
  /// A restored state's lists, applied as add() reaches their seqs.
  std::deque<store::group_state::attempted> restored_pending_;
  std::deque<uint64_t> restored_done_;
};

} // namespace switchyard::actors
