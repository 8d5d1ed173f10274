#pragma once
// Internal: the live sessions of a server, so shutdown can close each with 1001.
// Sessions register and unregister from their io threads: guarded by a mutex.

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace switchyard::transport {

class live_session;

class session_registry {
public:
  void add(const std::shared_ptr<live_session>& s);
  /// Returns the number of sessions left.
  std::size_t remove(const live_session* s);
  std::size_t size() const;
  /// Calls `fn` on every live session (outside the lock).
  void for_each(const std::function<void(live_session&)>& fn) const;
  /// Called whenever the last session leaves (used by shutdown).
  void on_empty(std::function<void()> fn);

private:
  mutable std::mutex mtx_;
  std::unordered_map<const live_session*, std::weak_ptr<live_session>> sessions_;
  std::function<void()> on_empty_;
};

} // namespace switchyard::transport
