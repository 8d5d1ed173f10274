#include "actors/group_window.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace switchyard::actors {

group_window::group_window(std::size_t capacity, uint32_t max_deliver)
    : capacity_(std::max<std::size_t>(capacity, 1)),
      max_deliver_(std::max<uint32_t>(max_deliver, 1)) {}

void group_window::restore(const store::group_state& st) {
  start_at(st.floor);
  restored_pending_.assign(st.pending.begin(), st.pending.end());
  restored_done_.assign(st.done.begin(), st.done.end());
}

void group_window::start_at(uint64_t floor) {
  floor_ = floor;
  slots_.clear();
  inflight_ = 0;
  keyed_open_ = 0;
  scan_from_ = 0;
  for (auto& m : members_) {
    m.inflight = 0;
  }
  restored_pending_.clear();
  restored_done_.clear();
  dirty_ = true;
}

void group_window::add(store::event_record ev) {
  if (ev.seq >= next_seq()) {
    add(std::make_shared<const store::event_record>(std::move(ev)));
  }
}

void group_window::add(event_ptr ev) {
  if (ev->seq < next_seq()) {
    return;
  }
  if (slots_.empty() && ev->seq > next_seq()) {
    floor_ = ev->seq - 1; // the store no longer holds the seqs between: nothing to deliver
    dirty_ = true;
  }
  while (next_seq() < ev->seq) {
    slot gone;
    gone.st = state::done;
    slots_.push_back(std::move(gone));
  }
  const uint64_t seq = ev->seq;
  slot s;
  while (!restored_done_.empty() && restored_done_.front() <= seq) {
    if (restored_done_.front() == seq) {
      s.st = state::done;
    }
    restored_done_.pop_front();
  }
  while (!restored_pending_.empty() && restored_pending_.front().seq <= seq) {
    if (restored_pending_.front().seq == seq) {
      s.attempts = restored_pending_.front().attempts;
    }
    restored_pending_.pop_front();
  }
  if (s.st != state::done) {
    keyed_open_ += ev->key.empty() ? 0 : 1;
    s.event = std::move(ev);
  }
  slots_.push_back(std::move(s));
  advance();
}

void group_window::add_member(member_id id, uint32_t max_inflight, int64_t ack_wait_ms) {
  if (auto* m = find_member(id)) {
    m->max_inflight = max_inflight;
    m->ack_wait_ms = ack_wait_ms;
    return;
  }
  members_.push_back({id, std::max<uint32_t>(max_inflight, 1), ack_wait_ms, 0});
}

std::size_t group_window::remove_member(member_id id) {
  auto it =
      std::find_if(members_.begin(), members_.end(), [&](const member& m) { return m.id == id; });
  if (it == members_.end()) {
    return 0;
  }
  std::size_t released = 0;
  for (std::size_t i = 0; i < slots_.size() && released < it->inflight; ++i) {
    auto& s = slots_[i];
    if (s.st == state::inflight && s.member == id) {
      --inflight_;
      waiting_at(i);
      s.due = 0;
      ++released;
    }
  }
  members_.erase(it);
  next_member_ = 0;
  return released;
}

bool group_window::has_member(member_id id) const {
  return std::any_of(members_.begin(), members_.end(), [&](const member& m) { return m.id == id; });
}

group_window::member* group_window::find_member(member_id id) {
  for (auto& m : members_) {
    if (m.id == id) {
      return &m;
    }
  }
  return nullptr;
}

group_window::member* group_window::next_member() {
  for (std::size_t n = 0; n < members_.size(); ++n) {
    auto& m = members_[next_member_ % members_.size()];
    next_member_ = (next_member_ + 1) % members_.size();
    if (m.inflight < m.max_inflight) {
      return &m;
    }
  }
  return nullptr;
}

group_window::slot* group_window::find(uint64_t seq) {
  if (seq <= floor_ || seq - floor_ > slots_.size()) {
    return nullptr;
  }
  return &slots_[static_cast<std::size_t>(seq - floor_ - 1)];
}

void group_window::dispatch(int64_t now, std::vector<delivery>& out) {
  member* m = next_member();
  if (m == nullptr) {
    return;
  }
  // Keys held by an earlier event that is not done: events of those keys wait their turn.
  std::unordered_set<std::string_view> blocked;
  const bool keyed = keyed_open_ > 0;
  std::size_t first_waiting = slots_.size();
  for (std::size_t i = keyed ? 0 : scan_from_; i < slots_.size() && m != nullptr; ++i) {
    auto& s = slots_[i];
    if (s.st == state::done) {
      continue;
    }
    const std::string_view key = s.event->key;
    if (s.st != state::waiting) {
      if (!key.empty()) {
        blocked.insert(key);
      }
      continue;
    }
    if (s.event->expired_at(now)) {
      finish(i); // past its ttl: not delivered to groups
      continue;
    }
    if (!key.empty() && !blocked.insert(key).second) {
      first_waiting = std::min(first_waiting, i);
      continue;
    }
    if (s.due > now) {
      first_waiting = std::min(first_waiting, i);
      continue;
    }
    s.st = state::inflight;
    ++s.attempts;
    s.member = m->id;
    s.due = now + m->ack_wait_ms;
    ++m->inflight;
    ++inflight_;
    dirty_ = true;
    out.push_back({m->id, s.event, s.attempts});
    m = next_member();
    if (m == nullptr) {
      first_waiting = std::min(first_waiting, i + 1);
    }
  }
  if (!keyed) {
    scan_from_ = std::min(first_waiting, slots_.size());
  }
  advance();
}

std::optional<std::size_t> group_window::take_back(member_id id, uint64_t seq) {
  auto* s = find(seq);
  if (s == nullptr || s->st != state::inflight || s->member != id) {
    return std::nullopt;
  }
  if (auto* m = find_member(id)) {
    --m->inflight;
  }
  --inflight_;
  return static_cast<std::size_t>(seq - floor_ - 1);
}

group_window::reply group_window::ack(member_id id, uint64_t seq) {
  const auto index = take_back(id, seq);
  if (!index) {
    return reply::not_found;
  }
  finish(*index);
  advance();
  return reply::ok;
}

group_window::reply group_window::nack(member_id id, uint64_t seq, int64_t delay_ms,
                                       std::string reason, int64_t now) {
  const auto index = take_back(id, seq);
  if (!index) {
    return reply::not_found;
  }
  fail(*index, std::move(reason), now + delay_ms);
  return reply::ok;
}

std::size_t group_window::expire(int64_t now) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    auto& s = slots_[i];
    if (s.st != state::inflight || s.due > now) {
      continue;
    }
    if (auto* m = find_member(s.member)) {
      --m->inflight;
    }
    --inflight_;
    fail(i, "ack_wait", 0);
    ++n;
  }
  return n;
}

void group_window::fail(std::size_t index, std::string reason, int64_t not_before) {
  auto& s = slots_[index];
  s.last_error = std::move(reason);
  dirty_ = true;
  if (s.attempts >= max_deliver_) {
    s.st = state::dying;
    s.dead_taken = false;
    return;
  }
  waiting_at(index);
  s.due = not_before;
}

void group_window::waiting_at(std::size_t index) {
  slots_[index].st = state::waiting;
  scan_from_ = std::min(scan_from_, index);
  dirty_ = true;
}

void group_window::finish(std::size_t index) {
  auto& s = slots_[index];
  if (s.event && !s.event->key.empty()) {
    --keyed_open_;
  }
  s.st = state::done;
  s.event.reset();
  s.last_error.clear();
  dirty_ = true;
}

std::vector<group_window::dead_letter> group_window::take_dead() {
  std::vector<dead_letter> out;
  for (auto& s : slots_) {
    if (s.st == state::dying && !s.dead_taken) {
      s.dead_taken = true;
      out.push_back({s.event, s.attempts, s.last_error});
    }
  }
  return out;
}

void group_window::dead_lettered(uint64_t seq) {
  if (auto* s = find(seq); s != nullptr && s->st == state::dying) {
    finish(static_cast<std::size_t>(seq - floor_ - 1));
    advance();
  }
}

void group_window::release_dead(uint64_t seq) {
  if (auto* s = find(seq); s != nullptr && s->st == state::dying) {
    s->dead_taken = false;
  }
}

std::optional<int64_t> group_window::next_due() const {
  std::optional<int64_t> due;
  for (const auto& s : slots_) {
    const bool timed = s.st == state::inflight || (s.st == state::waiting && s.due > 0);
    if (timed && (!due || s.due < *due)) {
      due = s.due;
    }
  }
  return due;
}

void group_window::advance() {
  std::size_t n = 0;
  while (!slots_.empty() && slots_.front().st == state::done) {
    slots_.pop_front();
    ++floor_;
    ++n;
  }
  if (n > 0) {
    scan_from_ = scan_from_ > n ? scan_from_ - n : 0;
    dirty_ = true;
  }
}

store::group_state group_window::snapshot() {
  store::group_state st;
  st.floor = floor_;
  uint64_t seq = floor_;
  for (const auto& s : slots_) {
    ++seq;
    if (s.st == state::done) {
      st.done.push_back(seq);
    } else if (s.attempts > 0) {
      st.pending.push_back({seq, s.attempts});
    }
  }
  // Restored entries beyond what was read back so far still count.
  for (const auto& p : restored_pending_) {
    st.pending.push_back(p);
  }
  st.done.insert(st.done.end(), restored_done_.begin(), restored_done_.end());
  dirty_ = false;
  return st;
}

} // namespace switchyard::actors
