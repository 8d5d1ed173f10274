#include "actors/registry.hpp"

#include "actors/atoms.hpp"
#include "actors/liveness.hpp"
#include "actors/topic.hpp"
#include "actors/log.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

namespace switchyard::actors {

namespace {

using clock = std::chrono::steady_clock;

struct topic_entry {
  std::string tenant;
  std::string topic;
  caf::actor handle; ///< null while a restart is due or the topic is cut off
  std::deque<clock::time_point> failures;
  clock::time_point unavailable_until{};
  std::vector<caf::response_promise> waiting;
};

struct registry_state {
  node_context* ctx = nullptr;
  std::unordered_map<std::string, topic_entry> topics;
  std::unordered_map<caf::actor_addr, std::string> keys;
  caf::response_promise shutdown;
  bool stopping = false;
  static inline const char* name = "registry";
};

using registry_actor = caf::stateful_actor<registry_state>;

void start(registry_actor* self, const std::string& key, topic_entry& entry) {
  entry.handle = spawn_topic(self, *self->state.ctx, entry.tenant, entry.topic);
  self->state.keys[entry.handle.address()] = key;
  for (auto& rp : entry.waiting) {
    rp.deliver(entry.handle);
  }
  entry.waiting.clear();
}

/// A topic died abnormally: schedule its restart, or cut it off for a window when it
/// keeps failing (restart intensity), so a poison event cannot spin a core.
void on_topic_failure(registry_actor* self, const std::string& key, topic_entry& entry,
                      const caf::error& reason) {
  const auto& pol = self->state.ctx->restarts;
  auto now = clock::now();
  auto window = std::chrono::milliseconds(pol.window_ms);
  entry.failures.push_back(now);
  while (!entry.failures.empty() && now - entry.failures.front() > window) {
    entry.failures.pop_front();
  }
  auto n = static_cast<int64_t>(entry.failures.size());
  auto& logger = log();
  if (n > pol.max_restarts) {
    entry.unavailable_until = now + window;
    logger.error("topic.restart_intensity_exceeded tenant={} topic={} failures={} reason=\"{}\"",
              entry.tenant, entry.topic, n, self->system().render(reason));
    for (auto& rp : entry.waiting) {
      rp.deliver(caf::make_error(caf::sec::runtime_error, "topic unavailable"));
    }
    entry.waiting.clear();
    return;
  }
  auto delay =
      std::min<int64_t>(pol.backoff_max_ms, pol.backoff_min_ms << std::min<int64_t>(n - 1, 20));
  logger.warn("topic.crashed tenant={} topic={} restart_in_ms={} reason=\"{}\"", entry.tenant,
           entry.topic, delay, self->system().render(reason));
  self->delayed_send(self, std::chrono::milliseconds(delay), restart_atom::value, key);
}

void on_exit(registry_actor* self, caf::exit_msg& msg) {
  auto& st = self->state;
  auto it = st.keys.find(msg.source);
  if (it == st.keys.end()) {
    // Not one of ours: whoever asked us to stop; the links take the topics down.
    self->quit(msg.reason);
    return;
  }
  auto key = std::move(it->second);
  st.keys.erase(it);
  auto& entry = st.topics[key];
  entry.handle = nullptr;
  bool crashed = msg.reason && msg.reason != caf::exit_reason::user_shutdown &&
                 msg.reason != caf::exit_reason::normal;
  if (crashed && !st.stopping) {
    on_topic_failure(self, key, entry, msg.reason);
  } else if (!entry.waiting.empty() && !st.stopping) {
    start(self, key, entry); // asked for while it was ending
  } else {
    for (auto& rp : entry.waiting) {
      rp.deliver(caf::make_error(caf::sec::runtime_error, "node is stopping"));
    }
    st.topics.erase(key);
  }
  if (st.stopping && st.keys.empty()) {
    st.shutdown.deliver(caf::unit);
    self->quit();
  }
}

caf::behavior registry(registry_actor* self, node_context* ctx) {
  self->state.ctx = ctx;
  self->set_exit_handler([=](caf::exit_msg& msg) { on_exit(self, msg); });
  return {
      [=](lookup_atom, std::string& tenant, std::string& topic) -> caf::result<caf::actor> {
        auto& st = self->state;
        if (st.stopping) {
          return caf::make_error(caf::sec::runtime_error, "node is stopping");
        }
        auto key = topic_key(tenant, topic);
        auto [it, fresh] = st.topics.try_emplace(key);
        auto& entry = it->second;
        if (entry.handle && !is_terminated(entry.handle)) {
          return entry.handle;
        }
        if (entry.handle) {
          // Died, and its exit_msg is still on the way: answer once it is handled.
          entry.waiting.push_back(self->make_response_promise());
          return entry.waiting.back();
        }
        if (clock::now() < entry.unavailable_until) {
          return caf::make_error(caf::sec::runtime_error, "topic unavailable");
        }
        entry.tenant = std::move(tenant);
        entry.topic = std::move(topic);
        if (!fresh && !entry.failures.empty() && entry.unavailable_until == clock::time_point{}) {
          // A restart is scheduled: answer when it happens.
          entry.waiting.push_back(self->make_response_promise());
          return entry.waiting.back();
        }
        entry.unavailable_until = {};
        start(self, key, entry);
        return entry.handle;
      },
      [=](restart_atom, const std::string& key) {
        auto it = self->state.topics.find(key);
        if (it != self->state.topics.end() && !it->second.handle && !self->state.stopping) {
          start(self, key, it->second);
        }
      },
      [=](shutdown_atom) -> caf::result<caf::unit_t> {
        auto& st = self->state;
        st.stopping = true;
        if (st.keys.empty()) {
          self->quit();
          return caf::unit;
        }
        st.shutdown = self->make_response_promise();
        for (auto& [addr, key] : st.keys) {
          caf::anon_send_exit(addr, caf::exit_reason::user_shutdown);
        }
        return st.shutdown;
      },
  };
}

} // namespace

std::string topic_key(std::string_view tenant, std::string_view topic) {
  std::string key;
  key.reserve(1 + tenant.size() + topic.size());
  key.push_back(static_cast<char>(std::min<std::size_t>(tenant.size(), 255)));
  key.append(tenant);
  key.append(topic);
  return key;
}

caf::actor spawn_registry(caf::actor_system& sys, node_context& ctx) {
  return sys.spawn(registry, &ctx);
}

} // namespace switchyard::actors
