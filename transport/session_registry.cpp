#include "transport/session_registry.hpp"

#include "transport/live_session.hpp"

#include <vector>

namespace switchyard::transport {

void session_registry::add(const std::shared_ptr<live_session>& s) {
  std::lock_guard<std::mutex> guard{mtx_};
  sessions_.emplace(s.get(), s);
}

std::size_t session_registry::remove(const live_session* s) {
  std::function<void()> notify;
  std::size_t left = 0;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (sessions_.erase(s) == 0) {
      return sessions_.size();
    }
    left = sessions_.size();
    if (left == 0) {
      notify = on_empty_;
    }
  }
  if (notify) {
    notify();
  }
  return left;
}

std::size_t session_registry::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return sessions_.size();
}

void session_registry::for_each(const std::function<void(live_session&)>& fn) const {
  std::vector<std::shared_ptr<live_session>> live;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    live.reserve(sessions_.size());
    for (const auto& [key, weak] : sessions_) {
      if (auto s = weak.lock()) {
        live.push_back(std::move(s));
      }
    }
  }
  for (auto& s : live) {
    fn(*s);
  }
}

void session_registry::on_empty(std::function<void()> fn) {
  std::lock_guard<std::mutex> guard{mtx_};
  on_empty_ = std::move(fn);
}

} // namespace switchyard::transport
