#pragma once
// The presence set of one topic (PROTOCOL.md, Presence), as a plain class (tested
// without an actor system): its members, the ones that linger after their connection
// went away (so that a resume takes them over without a leave/join pair), and the
// changes not pushed yet. The topic actor owns one and does the messaging.
//
// A member is known by the conn it joined with; a connection that takes it over (a
// resume of the same session) holds it from then on, and the member keeps its conn.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace switchyard::actors {

class presence_set {
public:
  struct member {
    uint64_t conn = 0; ///< the connection it joined with
    std::string user;
    std::string client;
    std::string session; ///< the resume session of the connection that joined
    int64_t since_ms = 0;
    uint64_t holder = 0;     ///< the connection holding it now; 0 while it lingers
    int64_t leave_at_ms = 0; ///< lingering: when it leaves (steady ms)
  };

  /// Who joined or left, as pushes show them.
  struct change {
    uint64_t conn = 0;
    std::string user;
    std::string client;
  };
  struct changes {
    std::vector<change> joins;
    std::vector<change> leaves;
  };

  struct page {
    std::vector<const member*> members;
    std::size_t count = 0;
    std::optional<uint64_t> next; ///< more follow after this conn
  };

  /// Connection `holder` joins at `now_ms` (epoch). A member of the same session and user
  /// (lingering, or held by a connection not heard of since) is taken over without a
  /// change; otherwise a new member, known by `holder`, joins. Returns the member's conn.
  uint64_t join(uint64_t holder, std::string user, std::string client, std::string session,
                int64_t now_ms);

  /// The member `holder` holds leaves now (an unsubscribe, a close frame). Nothing happens
  /// when `holder` no longer holds it (another connection took it over).
  void leave(uint64_t member_conn, uint64_t holder);

  /// The connection holding the member went away: it stays until `at_ms` (steady) unless
  /// a resume takes it over first.
  void linger(uint64_t member_conn, uint64_t holder, int64_t at_ms);

  /// Lingering members whose time came at `now_ms` (steady) leave.
  void expire(int64_t now_ms);
  /// When the next lingering member leaves (steady ms).
  std::optional<int64_t> next_expiry() const;

  bool has_changes() const { return !pending_.joins.empty() || !pending_.leaves.empty(); }
  /// The changes since the last call. A member that joined and left in between shows in
  /// neither list: nobody saw it join.
  changes take_changes();

  /// Members after conn `after` (0: from the first), at most `limit`, in conn order.
  page list(uint64_t after, std::size_t limit) const;

  std::size_t size() const { return members_.size(); }
  bool empty() const { return members_.empty(); }
  const member* find(uint64_t conn) const;

private:
  void remove(std::map<uint64_t, member>::iterator it);

  std::map<uint64_t, member> members_;
  /// Members by (user, session): whom a resume of that session takes over.
  std::map<std::pair<std::string, std::string>, uint64_t> by_session_;
  /// Lingering members by when they leave.
  std::multimap<int64_t, uint64_t> lingering_;
  changes pending_;
  std::unordered_set<uint64_t> pending_joins_; ///< conns in pending_.joins
};

} // namespace switchyard::actors
