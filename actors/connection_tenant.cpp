// A connection's side of its tenant: joining it at connect, publish credit leased in
// batches, subscription slots, and what the tenant pushes (slow_down, new limits, an
// open breaker).

#include "actors/clock.hpp"
#include "actors/connection_state.hpp"
#include "actors/failure.hpp"
#include "actors/log.hpp"
#include "actors/tenant.hpp"
#include "protocol/codec.hpp"
#include "protocol/session_token.hpp"
#include "store/event_store.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace switchyard::actors {

namespace {

/// Credit older than this is dropped (a publisher that paused does not keep its share
/// of the tenant's rate to itself).
constexpr int64_t credit_lifetime_ms = 1000;
/// A lease used up faster than this doubles the next one; one that lasted longer than
/// credit_lifetime_ms halves it.
constexpr int64_t fast_lease_ms = 100;
/// A connection leases at most this share of its tenant's rate at once.
constexpr int64_t lease_share = 10;
/// How long a refused connect or subscription waits before trying again: a slot frees
/// when another connection or subscription ends, which nobody can predict.
constexpr int64_t slot_retry_ms = 1000;
/// The longest a blocked connection's reading is held at once (its other ops wait too).
constexpr int64_t longest_hold_ms = 1000;
/// The tenant hears of failed publishes at most this often from one connection.
constexpr int64_t failure_report_ms = 250;

std::string_view code_of(const credit_grant& g) {
  return g.outcome == credit_grant::verdict::circuit_open ? protocol::error_code::circuit_open
                                                          : protocol::error_code::throttled;
}

std::string blocked_message(const connection_state& st) {
  if (st.blocked_code == protocol::error_code::circuit_open) {
    return "tenant '" + st.tenant +
           "' is cut off for a cool-down after sustained overload (circuit breaker open)";
  }
  if (st.blocked_code == protocol::error_code::unavailable) {
    return "the tenant's publish credit is unavailable; retry";
  }
  return "tenant '" + st.tenant + "' is over its publish limit (publish_per_s " +
         std::to_string(st.quota.publish_per_s) + ", publish_bytes_per_s " +
         std::to_string(st.quota.publish_bytes_per_s) + ")";
}

void block(connection_state& st, std::string_view code, int64_t retry_after_ms) {
  st.blocked_until_ms = steady_ms() + retry_after_ms;
  st.blocked_code = code;
  st.credit_msgs = 0;
  st.credit_bytes = 0;
}

/// Asks the tenant for credit for a publish of `bytes`; handling resumes with its answer.
void lease_credit(connection_actor* self, int64_t bytes) {
  auto& st = self->state;
  const auto now = steady_ms();
  const auto& q = st.quota;
  if (now - st.credit_at_ms < fast_lease_ms) {
    st.credit_want *= 2;
  } else if (now - st.credit_at_ms > credit_lifetime_ms) {
    st.credit_want /= 2;
  }
  const auto max_msgs =
      q.publish_per_s > 0 ? std::max<int64_t>(1, q.publish_per_s / lease_share) : int64_t{1} << 30;
  st.credit_want = std::clamp<int64_t>(st.credit_want, 1, max_msgs);
  const auto need_msgs = q.publish_per_s > 0 ? 1 : 0;
  const auto need_bytes = q.publish_bytes_per_s > 0 ? bytes : 0;
  const auto want_bytes =
      q.publish_bytes_per_s > 0
          ? std::max(need_bytes, std::min(q.publish_bytes_per_s / lease_share,
                                          st.credit_want * std::max<int64_t>(bytes, 1)))
          : 0;
  pause(self);
  self->request(st.tenant_ref, caf::infinite, lease_atom::value, int64_t{need_msgs}, st.credit_want,
                need_bytes, want_bytes)
      .then(
          [=](const credit_grant& g) {
            auto& s = self->state;
            if (g.outcome == credit_grant::verdict::granted) {
              s.credit_msgs = s.quota.publish_per_s > 0 ? s.credit_msgs + g.msgs : 0;
              s.credit_bytes = s.quota.publish_bytes_per_s > 0 ? s.credit_bytes + g.bytes : 0;
              s.credit_at_ms = steady_ms();
            } else {
              block(s, code_of(g), g.retry_after_ms);
            }
            resume(self);
          },
          [=](caf::error&) {
            block(self->state, protocol::error_code::unavailable, slot_retry_ms);
            resume(self);
          });
}

} // namespace

void pause(connection_actor* self) {
  self->state.paused = true;
  op_started(self);
}

void resume(connection_actor* self) {
  self->state.paused = false;
  op_finished(self);
}

/// Looks the tenant up (its supervisor starts it if needed) and joins it; `rejoin`: this
/// connection was in before the tenant restarted.
void lookup_and_join(connection_actor* self, const std::string& tenant, bool rejoin,
                     std::function<void(const tenant_actor&, const tenant_welcome&)> welcome,
                     std::function<void(const caf::error&)> failed) {
  self->request(caf::actor_cast<tenant_registry_actor>(self->state.ctx->tenants), caf::infinite,
                lookup_atom::value, tenant)
      .then(
          [=](const tenant_actor& handle) {
            self->request(handle, caf::infinite, join_atom::value, rejoin)
                .then([=](const tenant_welcome& w) { welcome(handle, w); }, failed);
          },
          failed);
}

void join_tenant(connection_actor* self, std::optional<int64_t> id,
                 std::shared_ptr<const protocol::token_claims> claims, std::string tenant,
                 std::string user, std::string client) {
  auto refuse = [=](std::string_view code, const std::string& message, int64_t retry_after_ms) {
    self->state.resuming.reset();
    log().info("conn.refused conn={} tenant={} user={} code={}", self->state.conn_id,
               log_name(tenant), log_name(user), code);
    send_error(self, id, code, message, retry_after_ms);
    resume(self);
  };
  auto welcome = [=](const tenant_actor& handle, const tenant_welcome& w) {
    output_batch batch{self};
    if (w.refused) {
      return refuse(
          code_of(*w.refused),
          w.refused->outcome == credit_grant::verdict::circuit_open
              ? "tenant '" + tenant + "' is cut off for a cool-down (circuit breaker open)"
              : "tenant '" + tenant + "' already has its " +
                    std::to_string(w.limits.max_connections) + " connections (max_connections)",
          w.refused->retry_after_ms);
    }
    auto& s = self->state;
    s.tenant = tenant;
    s.user = user;
    s.client = client;
    s.claims = claims;
    s.tenant_ref = handle;
    self->monitor(handle);
    s.quota = w.limits;
    s.connected = true;
    if (s.claims) {
      arm_token_timer(self);
    }
    log().debug("conn.connected conn={} tenant={} user={} client=\"{}\"", s.conn_id,
                log_name(s.tenant), log_name(s.user), client);
    if (s.session_id.empty()) {
      s.session_id = protocol::new_session_id();
    }
    const auto& lim = s.ctx->limits;
    protocol::connect_ok ok;
    ok.conn = protocol::conn_name(s.conn_id);
    ok.session = protocol::sign_session(
        {s.user, s.tenant, now_ms() + s.ctx->auth.session_ttl_ms, s.session_id},
        s.ctx->store->session_key());
    ok.node = s.ctx->node_name;
    ok.ping_ms = lim.ping_ms;
    ok.max_frame_bytes = lim.max_frame_bytes;
    ok.publish_per_s = s.quota.publish_per_s;
    ok.max_subscriptions = lim.max_subscriptions;
    ok.tenant = s.quota.by_key();
    if (s.resuming) {
      return resume_topics(self, id, std::move(ok)); // it replies, and resumes handling
    }
    if (id) {
      send_message(self, protocol::encode_connect_ok(s.enc, *id, ok));
    }
    resume(self);
  };
  auto unavailable = [=](const caf::error& err) {
    output_batch batch{self};
    send_failure(self, id, err, "connect");
    resume(self);
  };
  pause(self);
  lookup_and_join(self, tenant, false, welcome, unavailable);
}

bool on_tenant_down(connection_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  if (!st.tenant_ref || dm.source != st.tenant_ref.address()) {
    return false;
  }
  st.tenant_ref = nullptr;
  if (st.closing) {
    return true;
  }
  // Its supervisor restarts it: join the new one, so it counts this connection and its
  // subscriptions again. Meanwhile a lease asked for finds no tenant (`unavailable`).
  log().debug("conn.tenant_rejoin conn={} tenant={}", st.conn_id, log_name(st.tenant));
  lookup_and_join(
      self, st.tenant, true,
      [=](const tenant_actor& handle, const tenant_welcome& w) {
        auto& s = self->state;
        s.tenant_ref = handle;
        self->monitor(handle);
        on_limits(self, w.limits);
        s.reported_subscriptions = -1; // the new one counts from zero
        report_subscriptions(self);
      },
      [](const caf::error&) {});
  return true;
}

credit_check take_credit(connection_actor* self, const protocol::client_message& msg) {
  auto& st = self->state;
  if (!st.quota.limits_publishing()) {
    return credit_check::go;
  }
  const auto now = steady_ms();
  if (now < st.blocked_until_ms) {
    send_error(self, msg.id, st.blocked_code, blocked_message(st), st.blocked_until_ms - now);
    st.sent_while_blocked = true;
    return credit_check::answered;
  }
  if (now - st.credit_at_ms > credit_lifetime_ms) {
    st.credit_msgs = 0;
    st.credit_bytes = 0;
  }
  const auto bytes = static_cast<int64_t>(msg.data.size());
  const bool msgs_ok = st.quota.publish_per_s == 0 || st.credit_msgs >= 1;
  const bool bytes_ok = st.quota.publish_bytes_per_s == 0 || st.credit_bytes >= bytes;
  if (msgs_ok && bytes_ok) {
    st.credit_msgs -= st.quota.publish_per_s > 0 ? 1 : 0;
    st.credit_bytes -= st.quota.publish_bytes_per_s > 0 ? bytes : 0;
    return credit_check::go;
  }
  lease_credit(self, bytes);
  return credit_check::wait;
}

void hold_after_frame(connection_actor* self) {
  auto& st = self->state;
  if (!std::exchange(st.sent_while_blocked, false) || st.paused) {
    return;
  }
  const auto wait = std::clamp<int64_t>(st.blocked_until_ms - steady_ms(), 0, longest_hold_ms);
  if (wait > 0) {
    pause(self);
    self->delayed_send(self, std::chrono::milliseconds(wait), resume_atom::value);
  }
}

void with_subscription_slot(connection_actor* self, std::optional<int64_t> id,
                            std::function<void()> then) {
  auto& st = self->state;
  if (st.quota.max_subscriptions == 0) {
    return then();
  }
  pause(self);
  self->request(st.tenant_ref, caf::infinite, subscribe_atom::value)
      .then(
          [=](bool granted) {
            output_batch batch{self};
            auto& s = self->state;
            // The tenant counted one more; the count is set right once this settles.
            s.reported_subscriptions = -1;
            if (granted) {
              then();
            } else {
              send_error(self, id, protocol::error_code::throttled,
                         "tenant '" + s.tenant + "' already has its " +
                             std::to_string(s.quota.max_subscriptions) +
                             " subscriptions (max_subscriptions)",
                         slot_retry_ms);
            }
            resume(self);
          },
          [=](caf::error& err) {
            output_batch batch{self};
            send_failure(self, id, err, "subscribe");
            resume(self);
          });
}

void report_subscriptions(connection_actor* self) {
  auto& st = self->state;
  const auto held = static_cast<int64_t>(st.subs.size() + st.queues.size());
  if (held != st.reported_subscriptions && st.tenant_ref) {
    st.reported_subscriptions = held;
    self->send(st.tenant_ref, count_atom::value, held);
  }
}

void report_publish_failure(connection_actor* self) {
  auto& st = self->state;
  const auto now = steady_ms();
  if (st.tenant_ref && now - st.failure_reported_ms >= failure_report_ms) {
    st.failure_reported_ms = now;
    self->send(st.tenant_ref, refused_atom::value);
  }
}

void on_slow_down(connection_actor* self, int level, int64_t retry_after_ms,
                  const std::string& reason) {
  auto& st = self->state;
  send_message(self, protocol::encode_slow_down_push(st.enc, level, retry_after_ms, reason));
}

void on_limits(connection_actor* self, const tenant_limits& limits) {
  self->state.quota = limits;
}

void on_revoke(connection_actor* self, int64_t retry_after_ms) {
  block(self->state, protocol::error_code::circuit_open, retry_after_ms);
}

} // namespace switchyard::actors
