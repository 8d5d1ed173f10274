#include "actors/subscription.hpp"

#include <algorithm>

namespace switchyard::actors {

void subscription::joined(uint64_t last, uint64_t start) {
  delivered_ = start - 1;
  replay_to_ = last;
  phase_ = phase::catching_up;
  settle();
}

void subscription::rejoined(uint64_t last) {
  replay_to_ = std::max(replay_to_, last);
  phase_ = phase::catching_up;
  settle();
}

void subscription::settle() {
  if (phase_ == phase::catching_up && delivered_ >= replay_to_ && !reading_) {
    phase_ = phase::live;
  }
}

subscription::live_action subscription::on_live(uint64_t seq, bool has_room) {
  switch (phase_) {
  case phase::joining:
    return live_action::skip;
  case phase::catching_up:
    replay_to_ = std::max(replay_to_, seq);
    return live_action::skip;
  case phase::live:
    break;
  }
  if (seq <= delivered_) {
    return live_action::skip;
  }
  if (!has_room) {
    note_gap(delivered_ + 1, seq);
    return live_action::dropped;
  }
  if (seq > delivered_ + 1) {
    note_gap(delivered_ + 1, seq - 1); // cannot happen with one topic, but never lose track
  }
  delivered_ = seq;
  return live_action::push;
}

std::optional<subscription::read_range>
subscription::begin_read(std::size_t room, std::size_t chunk, bool room_to_spare) {
  if (phase_ != phase::catching_up || reading_) {
    return std::nullopt;
  }
  if (delivered_ >= replay_to_) {
    if (room_to_spare) {
      phase_ = phase::live;
    }
    return std::nullopt;
  }
  if (room == 0) {
    return std::nullopt;
  }
  reading_ = true;
  const uint64_t count = std::min<uint64_t>({room, chunk, replay_to_ - delivered_});
  return read_range{delivered_ + 1, count};
}

bool subscription::on_replayed(uint64_t seq) {
  if (seq <= delivered_) {
    return false;
  }
  if (seq > delivered_ + 1) {
    note_gap(delivered_ + 1, seq - 1);
  }
  delivered_ = seq;
  return true;
}

void subscription::end_read(bool returned_any) {
  reading_ = false;
  if (!returned_any && delivered_ < replay_to_) {
    note_gap(delivered_ + 1, replay_to_);
  }
}

std::optional<subscription::gap_range> subscription::take_gap() {
  auto out = gap_;
  gap_.reset();
  return out;
}

void subscription::note_gap(uint64_t from, uint64_t to) {
  if (!gap_) {
    gap_ = gap_range{from, to};
  } else {
    gap_->to = to;
  }
  delivered_ = to;
}

} // namespace switchyard::actors
