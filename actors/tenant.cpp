#include "actors/tenant.hpp"

#include "actors/clock.hpp"
#include "actors/keyed_supervisor.hpp"
#include "actors/log.hpp"
#include "actors/node_context.hpp"

#include <chrono>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace switchyard::actors {

namespace {

/// A tenant without connections, subscriptions or an open breaker stops after this.
constexpr int64_t idle_stop_ms = 60000;
/// slow_down goes to connections that asked for credit this recently (publishers).
constexpr int64_t publisher_recent_ms = 2000;

struct member {
  caf::actor conn;
  int64_t subscriptions = 0;
  int64_t last_lease_ms = INT64_MIN / 2;
  int told_level = 0; ///< the last slow_down level it was sent
};

struct tenant_state {
  node_context* ctx = nullptr;
  std::string tenant;
  std::shared_ptr<const tenant_policy> policy;
  std::optional<tenant_guard> guard;
  std::unordered_map<caf::actor_addr, member> members;
  int64_t idle_since_ms = -1;
  /// Since the last report to the tenant board.
  uint64_t throttled = 0;
  uint64_t breaker_opened = 0;
  static inline const char* name = "tenant";
};

using tenant_pointer = tenant_actor::stateful_pointer<tenant_state>;

/// The connection that sent the current message, if the tenant took it.
member* sender(tenant_pointer self) {
  const auto& from = self->current_sender();
  if (!from) {
    return nullptr;
  }
  auto it = self->state.members.find(from->address());
  return it == self->state.members.end() ? nullptr : &it->second;
}

const char* level_reason(int level) {
  switch (level) {
  case 0:
    return "back under the tenant's publish limits";
  case 1:
    return "the tenant is near its publish limits";
  default:
    return "the tenant is at its publish limits";
  }
}

/// Picks up a reloaded policy: new limits go to every connection.
void follow_policy(tenant_pointer self, int64_t now) {
  auto& st = self->state;
  auto policy = st.ctx->tenant_policy.get();
  if (policy == st.policy) {
    return;
  }
  st.policy = std::move(policy);
  const auto& limits = st.policy->limits_of(st.tenant);
  const bool changed = limits != st.guard->limits();
  st.guard->reconfigure(limits, st.policy->breaker, now);
  if (changed) {
    log().info("tenant.limits_changed tenant={} publish_per_s={} publish_bytes_per_s={} "
               "max_connections={} max_subscriptions={}",
               log_name(st.tenant), limits.publish_per_s, limits.publish_bytes_per_s,
               limits.max_connections, limits.max_subscriptions);
    for (auto& [addr, m] : st.members) {
      caf::anon_send(m.conn, limits_atom::value, limits);
    }
  }
}

/// Tells the tenant board (admin API, /metrics) where this tenant stands.
void report(tenant_pointer self) {
  auto& st = self->state;
  const auto& guard = *st.guard;
  st.ctx->tenant_reports.report({st.tenant, guard.limits(), guard.connections(),
                                 guard.subscriptions(), to_string(guard.breaker()), guard.level(),
                                 std::exchange(st.throttled, 0),
                                 std::exchange(st.breaker_opened, 0)});
}

void on_tick(tenant_pointer self) {
  auto& st = self->state;
  const auto now = steady_ms();
  follow_policy(self, now);
  auto& guard = *st.guard;
  auto changed = guard.tick(now);
  if (changed.breaker) {
    log().warn("tenant.circuit_{} tenant={} retry_after_ms={}", to_string(*changed.breaker),
               log_name(st.tenant),
               *changed.breaker == breaker_state::open ? guard.retry_after_ms(now) : 0);
    if (*changed.breaker == breaker_state::open) {
      ++st.breaker_opened;
      for (auto& [addr, m] : st.members) {
        caf::anon_send(m.conn, revoke_atom::value, guard.retry_after_ms(now));
      }
    }
  }
  if (changed.level) {
    const auto level = *changed.level;
    log().info("tenant.slow_down tenant={} level={}", log_name(st.tenant), level);
    const auto retry = level == 2 ? guard.retry_after_ms(now) : 0;
    for (auto& [addr, m] : st.members) {
      const bool publisher = now - m.last_lease_ms <= publisher_recent_ms;
      if (m.told_level != level && (publisher || (level == 0 && m.told_level > 0))) {
        m.told_level = level;
        caf::anon_send(m.conn, slow_atom::value, level, retry, std::string{level_reason(level)});
      }
    }
  }
  report(self);
  if (guard.idle() && st.members.empty()) {
    if (st.idle_since_ms < 0) {
      st.idle_since_ms = now;
    } else if (now - st.idle_since_ms >= idle_stop_ms) {
      self->quit();
    }
  } else {
    st.idle_since_ms = -1;
  }
}

tenant_actor::behavior_type tenant(tenant_pointer self, node_context* ctx, std::string name) {
  auto& st = self->state;
  st.ctx = ctx;
  st.tenant = std::move(name);
  st.policy = ctx->tenant_policy.get();
  st.guard.emplace(st.policy->limits_of(st.tenant), st.policy->breaker, steady_ms());
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& s = self->state;
    auto it = s.members.find(dm.source);
    if (it == s.members.end()) {
      return;
    }
    s.guard->close_connection();
    s.guard->count_subscriptions(-it->second.subscriptions);
    s.members.erase(it);
  });
  return {
      [=](join_atom, bool rejoin) -> tenant_welcome {
        auto& s = self->state;
        tenant_welcome out;
        out.limits = s.guard->limits();
        auto conn = caf::actor_cast<caf::actor>(self->current_sender());
        if (!conn) {
          out.refused = credit_grant{credit_grant::verdict::throttled, 0, 0, 1000};
          return out;
        }
        if (rejoin) {
          s.guard->readmit_connection();
        } else {
          out.refused = s.guard->open_connection(steady_ms());
        }
        if (!out.refused) {
          self->monitor(conn);
          s.members[conn.address()].conn = conn;
        }
        return out;
      },
      [=](lease_atom, int64_t need_msgs, int64_t want_msgs, int64_t need_bytes,
          int64_t want_bytes) {
        auto& s = self->state;
        const auto now = steady_ms();
        if (auto* m = sender(self)) {
          m->last_lease_ms = now;
        }
        auto grant = s.guard->lease(need_msgs, want_msgs, need_bytes, want_bytes, now);
        if (grant.outcome == credit_grant::verdict::throttled) {
          ++s.throttled;
        }
        return grant;
      },
      [=](subscribe_atom) {
        auto& s = self->state;
        auto* m = sender(self);
        if (m == nullptr || !s.guard->add_subscription()) {
          return false;
        }
        ++m->subscriptions;
        return true;
      },
      [=](count_atom, int64_t held) {
        auto& s = self->state;
        if (auto* m = sender(self)) {
          s.guard->count_subscriptions(held - m->subscriptions);
          m->subscriptions = held;
        }
      },
      [=](refused_atom) { self->state.guard->store_failure(); },
      [=](crash_atom) { throw std::runtime_error("injected fault"); },
      [=](passivate_atom) {
        if (self->state.guard->idle() && self->state.members.empty()) {
          self->quit();
        }
      },
      [=](tick_atom) { on_tick(self); },
  };
}

} // namespace

tenant_registry_actor spawn_tenant_registry(caf::actor_system& sys, node_context& ctx) {
  keyed_supervisor_spec<tenant_actor> spec;
  spec.kind = "tenant";
  spec.restarted = &ctx.metrics.tenant_restarts_total;
  spec.policy = ctx.restarts;
  spec.tick_interval = std::chrono::milliseconds(tenant_guard::tick_ms);
  spec.spawn = [&ctx](caf::local_actor* self, const std::string& key) {
    return self->spawn<caf::monitored>(tenant, &ctx, key);
  };
  spec.describe = [](const std::string& key) { return "tenant=" + log_name(key); };
  return sys.spawn(keyed_supervisor<tenant_actor>, std::move(spec));
}

} // namespace switchyard::actors
