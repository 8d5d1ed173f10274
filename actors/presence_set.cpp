#include "actors/presence_set.hpp"

#include <algorithm>
#include <utility>

namespace switchyard::actors {

namespace {

presence_set::change change_of(const presence_set::member& m) {
  return {m.conn, m.user, m.client};
}

} // namespace

uint64_t presence_set::join(uint64_t holder, std::string user, std::string client,
                            std::string session, int64_t now_ms) {
  if (auto known = by_session_.find({user, session});
      !session.empty() && known != by_session_.end()) {
    auto& m = members_.at(known->second);
    if (m.holder == 0) {
      auto [first, last] = lingering_.equal_range(m.leave_at_ms);
      for (auto it = first; it != last; ++it) {
        if (it->second == m.conn) {
          lingering_.erase(it);
          break;
        }
      }
    }
    m.holder = holder;
    m.leave_at_ms = 0;
    return m.conn;
  }
  if (auto it = members_.find(holder); it != members_.end()) {
    return holder; // already a member (a topic that restarted, joined again)
  }
  member m{holder, std::move(user), std::move(client), session, now_ms, holder, 0};
  pending_.joins.push_back(change_of(m));
  pending_joins_.insert(holder);
  if (!m.session.empty()) {
    by_session_[{m.user, m.session}] = holder;
  }
  members_.emplace(holder, std::move(m));
  return holder;
}

void presence_set::remove(std::map<uint64_t, member>::iterator it) {
  const auto& m = it->second;
  if (pending_joins_.erase(m.conn) > 0) {
    // Nobody was told it joined: nobody is told it left.
    auto& joins = pending_.joins;
    joins.erase(std::find_if(joins.begin(), joins.end(),
                             [&](const change& c) { return c.conn == m.conn; }));
  } else {
    pending_.leaves.push_back(change_of(m));
  }
  if (auto s = by_session_.find({m.user, m.session});
      s != by_session_.end() && s->second == m.conn) {
    by_session_.erase(s);
  }
  members_.erase(it);
}

void presence_set::leave(uint64_t member_conn, uint64_t holder) {
  auto it = members_.find(member_conn);
  if (it != members_.end() && it->second.holder == holder && holder != 0) {
    remove(it);
  }
}

void presence_set::linger(uint64_t member_conn, uint64_t holder, int64_t at_ms) {
  auto it = members_.find(member_conn);
  if (it == members_.end() || it->second.holder != holder || holder == 0) {
    return;
  }
  it->second.holder = 0;
  it->second.leave_at_ms = at_ms;
  lingering_.emplace(at_ms, member_conn);
}

void presence_set::expire(int64_t now_ms) {
  while (!lingering_.empty() && lingering_.begin()->first <= now_ms) {
    const auto conn = lingering_.begin()->second;
    lingering_.erase(lingering_.begin());
    if (auto it = members_.find(conn); it != members_.end() && it->second.holder == 0) {
      remove(it);
    }
  }
}

std::optional<int64_t> presence_set::next_expiry() const {
  return lingering_.empty() ? std::nullopt : std::optional<int64_t>(lingering_.begin()->first);
}

presence_set::changes presence_set::take_changes() {
  pending_joins_.clear();
  return std::exchange(pending_, {});
}

presence_set::page presence_set::list(uint64_t after, std::size_t limit) const {
  page p;
  p.count = members_.size();
  for (auto it = members_.upper_bound(after); it != members_.end(); ++it) {
    if (p.members.size() == limit) {
      p.next = p.members.back()->conn;
      break;
    }
    p.members.push_back(&it->second);
  }
  return p;
}

const presence_set::member* presence_set::find(uint64_t conn) const {
  auto it = members_.find(conn);
  return it == members_.end() ? nullptr : &it->second;
}

} // namespace switchyard::actors
