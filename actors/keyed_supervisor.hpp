#pragma once
// A supervisor of children started on demand by key: the one piece topics (and later
// queue groups, tenants and agent sessions) use for their lifecycle.
//
// - `lookup` starts a child the first time its key is asked for. Children are monitored,
//   not linked: a link is also an attachable on the supervisor, and CAF finds one to
//   remove by walking the list, so with links every child exit cost O(live children)
//   (measured: 600 us a topic at 10,000 live topics). A monitor lives on the child only.
// - A child that exits abnormally is restarted after an exponential backoff; past its
//   restart intensity it is cut off for a window (restart_tracker), and lookups fail.
//   Lookups during a pending restart wait for it.
// - A child that exits normally (it passivated: idle) is forgotten and started afresh
//   on its next lookup.
// - With `max_live`, each start beyond that many running children asks the two least
//   recently looked-up ones to passivate (`passivate_atom`): an idle child stops at
//   once, a busy one as soon as it is idle.
// - With `tick_interval`, every running child gets `tick_atom` that often, so children
//   can notice they are idle. One timer here instead of one per child: a pending
//   delayed message keeps its receiver's memory alive until it fires, so per-child
//   timers held every passivated child for a whole interval.
// - With `owner` and `quota`, an owner (the tenant of a key) may have at most that many
//   children running: a lookup that would start one more is refused (`throttled`) and
//   the owner's two least recently looked-up children are asked to passivate, so a
//   retry finds room once idle ones stopped. Restarts of crashed children always run.
// - `shutdown` stops every child and answers once all are gone.
// - `purge` holds a key prefix (a purged topic's groups): its running children are
//   stopped with the reason given, none is restarted or started until `release`, and
//   lookups meanwhile are refused (`overloaded`: retry shortly).
//
// Children must accept `passivate_atom` (and `tick_atom` with a tick interval). Include
// this header only where one is spawned.

#include "actors/failure.hpp"
#include "actors/interfaces.hpp"
#include "actors/liveness.hpp"
#include "actors/log.hpp"
#include "actors/restart_tracker.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

namespace switchyard::actors {

template <class Child> struct keyed_supervisor_spec {
  std::string kind; ///< what the children are ("topic"), for logs and errors
  restart_policy policy;
  std::size_t max_live = 0;                   ///< 0: no passivation pressure
  std::chrono::milliseconds tick_interval{0}; ///< 0: children get no ticks
  /// Spawns the child for `key`, monitored by `self` (caf::monitored).
  std::function<Child(caf::local_actor* self, const std::string& key)> spawn;
  /// The key for humans (log fields such as `tenant=acme topic=chat`).
  std::function<std::string(const std::string& key)> describe;
  /// Optional: whose a key is, and how many running children each owner may have (0: no
  /// limit). `quota` is asked only when a lookup would start a child.
  std::function<std::string(const std::string& key)> owner;
  std::function<int64_t(const std::string& owner)> quota;
  std::string quota_name; ///< the limit in errors, e.g. "max_topics"
  /// Optional: whether this node may serve a key now (in a cluster, whether it owns the
  /// key's shard); asked on every lookup, a refusal is the lookup's answer.
  std::function<std::optional<caf::error>(const std::string& key)> admit;
  std::atomic<uint64_t>* restarted = nullptr; ///< optional: counts restarts (metrics)
};

template <class Child> struct keyed_supervisor_state {
  using clock = restart_tracker::clock;

  struct entry {
    Child handle; ///< null while not running
    restart_tracker restarts;
    bool restart_due = false;
    std::vector<caf::typed_response_promise<Child>> waiting;
    std::list<std::string>::iterator recent; ///< position in `recent` while listed
    bool listed = false; ///< in `recent`: running and not yet asked to passivate
  };

  /// A held key prefix; `promise` answers once `running` of its children are gone.
  struct hold {
    std::string prefix;
    std::size_t running = 0;
    caf::typed_response_promise<bool> promise;
  };

  keyed_supervisor_spec<Child> spec;
  std::unordered_map<std::string, entry> children;
  std::vector<hold> holds;
  std::unordered_map<caf::actor_addr, std::string> keys; ///< running child -> key
  /// Running children by owner (with spec.owner only).
  std::unordered_map<std::string, std::size_t> running_by_owner;
  /// Running children not yet asked to passivate, most recently looked up first.
  std::list<std::string> recent;
  caf::typed_response_promise<bool> shutdown;
  bool stopping = false;
  static inline const char* name = "supervisor";
};

template <class Child>
using keyed_supervisor_pointer =
    typename supervisor_actor<Child>::template stateful_pointer<keyed_supervisor_state<Child>>;

namespace detail {

/// Moves the child to the front of `recent` (most recently used).
template <class Child>
void touch(keyed_supervisor_state<Child>& st, const std::string& key,
           typename keyed_supervisor_state<Child>::entry& e) {
  if (e.listed) {
    st.recent.splice(st.recent.begin(), st.recent, e.recent);
  } else {
    st.recent.push_front(key);
    e.recent = st.recent.begin();
    e.listed = true;
  }
}

template <class Child>
void passivate_least_recent(keyed_supervisor_pointer<Child> self, std::size_t count) {
  auto& st = self->state;
  for (std::size_t i = 0; i < count && st.recent.size() > 1; ++i) {
    // Asked once: it stops as soon as it is idle (at once if it is), so it leaves the
    // list and the next ask goes to another child.
    auto& e = st.children[st.recent.back()];
    st.recent.pop_back();
    e.listed = false;
    self->send(e.handle, passivate_atom::value);
  }
}

/// Refuses a start past the owner's quota, and asks its least recently used children to
/// passivate (a bounded scan from the cold end: a refusal never costs O(all children)).
template <class Child>
std::optional<caf::error> over_quota(keyed_supervisor_pointer<Child> self, const std::string& key) {
  auto& st = self->state;
  if (!st.spec.owner || !st.spec.quota) {
    return std::nullopt;
  }
  const auto owner = st.spec.owner(key);
  const auto quota = st.spec.quota(owner);
  const auto it = st.running_by_owner.find(owner);
  const auto running = it == st.running_by_owner.end() ? 0 : it->second;
  if (quota <= 0 || running < static_cast<std::size_t>(quota)) {
    return std::nullopt;
  }
  constexpr int scan_limit = 1024;
  int asked = 0;
  int scanned = 0;
  for (auto r = st.recent.end(); r != st.recent.begin() && asked < 2 && scanned < scan_limit;
       ++scanned) {
    --r;
    if (st.spec.owner(*r) != owner) {
      continue;
    }
    auto& e = st.children[*r];
    r = st.recent.erase(r);
    e.listed = false;
    self->send(e.handle, passivate_atom::value);
    ++asked;
  }
  return make_failure(failure::throttled, st.spec.kind + " not started: its tenant has " +
                                              std::to_string(running) + " running, its " +
                                              st.spec.quota_name + " is " + std::to_string(quota) +
                                              "; idle ones were asked to stop, retry");
}

template <class Child>
bool is_held(const keyed_supervisor_state<Child>& st, const std::string& key) {
  return std::any_of(st.holds.begin(), st.holds.end(),
                     [&](const auto& h) { return key.starts_with(h.prefix); });
}

template <class Child> caf::error held_refusal(const keyed_supervisor_state<Child>& st) {
  return make_failure(failure::overloaded, st.spec.kind + " is being purged; retry");
}

/// A child under a hold is gone: the holds waiting for it may answer.
template <class Child>
void count_down_holds(keyed_supervisor_state<Child>& st, const std::string& key) {
  for (auto& h : st.holds) {
    if (h.running > 0 && key.starts_with(h.prefix) && --h.running == 0) {
      h.promise.deliver(true);
    }
  }
}

template <class Child>
void start(keyed_supervisor_pointer<Child> self, const std::string& key,
           typename keyed_supervisor_state<Child>::entry& e) {
  auto& st = self->state;
  e.handle = st.spec.spawn(self, key);
  st.keys[e.handle.address()] = key;
  if (st.spec.owner) {
    ++st.running_by_owner[st.spec.owner(key)];
  }
  touch<Child>(st, key, e);
  for (auto& rp : e.waiting) {
    rp.deliver(e.handle);
  }
  e.waiting.clear();
  if (st.spec.max_live > 0 && st.keys.size() > st.spec.max_live) {
    // Two per start: the live count comes down even while some refuse (busy).
    passivate_least_recent<Child>(self, 2);
  }
}

template <class Child>
void fail_waiting(typename keyed_supervisor_state<Child>::entry& e, const caf::error& why) {
  for (auto& rp : e.waiting) {
    rp.deliver(why);
  }
  e.waiting.clear();
}

template <class Child> void on_down(keyed_supervisor_pointer<Child> self, caf::down_msg& msg) {
  auto& st = self->state;
  auto it = st.keys.find(msg.source);
  if (it == st.keys.end()) {
    return;
  }
  auto key = std::move(it->second);
  st.keys.erase(it);
  if (st.spec.owner) {
    auto owned = st.running_by_owner.find(st.spec.owner(key));
    if (owned != st.running_by_owner.end() && --owned->second == 0) {
      st.running_by_owner.erase(owned);
    }
  }
  auto& e = st.children[key];
  e.handle = nullptr;
  if (e.listed) {
    st.recent.erase(e.recent);
    e.listed = false;
  }
  const bool crashed = msg.reason && msg.reason != caf::exit_reason::normal &&
                       msg.reason != caf::exit_reason::user_shutdown;
  const auto now = keyed_supervisor_state<Child>::clock::now();
  if (st.stopping) {
    fail_waiting<Child>(e, make_failure(failure::stopping, "node is stopping"));
  } else if (is_held(st, key)) {
    fail_waiting<Child>(e, held_refusal(st)); // stopped on purpose: no restart
    count_down_holds(st, key);
  } else if (crashed) {
    const auto what = st.spec.describe(key);
    const auto reason = self->system().render(msg.reason);
    if (auto delay = e.restarts.failed(st.spec.policy, now)) {
      log().warn("{}.crashed {} restart_in_ms={} reason=\"{}\"", st.spec.kind, what, delay->count(),
                 reason);
      e.restart_due = true;
      self->delayed_send(self, *delay, restart_atom::value, key);
    } else {
      log().error("{}.restart_intensity_exceeded {} failures={} reason=\"{}\"", st.spec.kind, what,
                  e.restarts.recent_failures(), reason);
      fail_waiting<Child>(e, make_failure(failure::topic_unavailable,
                                          st.spec.kind + " is unavailable after repeated crashes"));
    }
  } else if (!e.waiting.empty()) {
    start<Child>(self, key, e); // asked for while it was stopping
  }
  if (!e.handle && !e.restart_due && e.waiting.empty() &&
      e.restarts.forgotten(st.spec.policy, now)) {
    st.children.erase(key);
  }
  if (st.stopping && st.keys.empty()) {
    st.shutdown.deliver(true);
    self->quit();
  }
}

template <class Child>
caf::result<Child> lookup(keyed_supervisor_pointer<Child> self, const std::string& key) {
  auto& st = self->state;
  if (st.stopping) {
    return make_failure(failure::stopping, "node is stopping");
  }
  if (is_held(st, key)) {
    return held_refusal(st);
  }
  if (st.spec.admit) {
    if (auto refused = st.spec.admit(key)) {
      return std::move(*refused);
    }
  }
  auto [found, inserted] = st.children.try_emplace(key);
  auto& e = found->second;
  if (e.handle && !is_terminated(e.handle)) {
    touch<Child>(st, key, e);
    return e.handle;
  }
  if (e.handle || e.restart_due) {
    // Its exit is on the way, or a restart is scheduled: answer when it is running.
    e.waiting.push_back(self->template make_response_promise<Child>());
    return e.waiting.back();
  }
  if (e.restarts.cut_off(keyed_supervisor_state<Child>::clock::now())) {
    return make_failure(failure::topic_unavailable,
                        st.spec.kind + " is unavailable after repeated crashes");
  }
  if (auto refused = over_quota<Child>(self, key)) {
    if (inserted) {
      st.children.erase(found);
    }
    return std::move(*refused);
  }
  start<Child>(self, key, e);
  return e.handle;
}

} // namespace detail

template <class Child>
typename supervisor_actor<Child>::behavior_type
keyed_supervisor(keyed_supervisor_pointer<Child> self, keyed_supervisor_spec<Child> spec) {
  self->state.spec = std::move(spec);
  if (self->state.spec.tick_interval.count() > 0) {
    self->delayed_send(self, self->state.spec.tick_interval, tick_atom::value);
  }
  self->set_down_handler([=](caf::down_msg& msg) { detail::on_down<Child>(self, msg); });
  // Without links, children do not follow the supervisor down by themselves.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    const auto why = msg.reason ? msg.reason : caf::make_error(caf::exit_reason::user_shutdown);
    for (auto& [addr, key] : self->state.keys) {
      self->send_exit(addr, why);
    }
    self->quit(msg.reason);
  });
  return {
      [=](lookup_atom, const std::string& key) -> caf::result<Child> {
        return detail::lookup<Child>(self, key);
      },
      [=](restart_atom, const std::string& key) {
        auto& st = self->state;
        auto it = st.children.find(key);
        if (it == st.children.end() || !it->second.restart_due) {
          return;
        }
        it->second.restart_due = false;
        if (!st.stopping && !it->second.handle) {
          if (st.spec.restarted != nullptr) {
            st.spec.restarted->fetch_add(1, std::memory_order_relaxed);
          }
          detail::start<Child>(self, key, it->second);
        }
      },
      [=](tick_atom) {
        auto& st = self->state;
        for (auto& [key, e] : st.children) {
          if (e.handle) {
            self->send(e.handle, tick_atom::value);
          }
        }
        self->delayed_send(self, st.spec.tick_interval, tick_atom::value);
      },
      [=](count_atom) { return static_cast<uint64_t>(self->state.keys.size()); },
      [=](shutdown_atom) -> caf::result<bool> {
        auto& st = self->state;
        st.stopping = true;
        if (st.keys.empty()) {
          self->quit();
          return true;
        }
        st.shutdown = self->template make_response_promise<bool>();
        for (auto& [addr, key] : st.keys) {
          caf::anon_send_exit(addr, caf::exit_reason::user_shutdown);
        }
        return st.shutdown;
      },
      [=](purge_atom, const std::string& prefix, const std::string& reason) -> caf::result<bool> {
        auto& st = self->state;
        typename keyed_supervisor_state<Child>::hold h{prefix, 0, {}};
        const auto why = make_failure(failure::not_found, reason);
        for (auto& [addr, key] : st.keys) {
          if (key.starts_with(prefix)) {
            self->send_exit(addr, why);
            ++h.running;
          }
        }
        for (auto& [key, e] : st.children) {
          if (key.starts_with(prefix) && e.restart_due) {
            e.restart_due = false; // the restart message then finds nothing to do
            detail::fail_waiting<Child>(e, detail::held_refusal(st));
          }
        }
        if (h.running == 0) {
          st.holds.push_back(std::move(h));
          return true;
        }
        h.promise = self->template make_response_promise<bool>();
        auto promise = h.promise;
        st.holds.push_back(std::move(h));
        return promise;
      },
      [=](release_atom, const std::string& prefix) {
        auto& holds = self->state.holds;
        auto it = std::find_if(holds.begin(), holds.end(),
                               [&](const auto& h) { return h.prefix == prefix; });
        if (it != holds.end()) {
          holds.erase(it);
        }
      },
  };
}

} // namespace switchyard::actors
