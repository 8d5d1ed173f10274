// The request/reply ops of a connection: connect, publish, history.

#include "actors/clock.hpp"
#include "actors/connection_state.hpp"
#include "actors/failure.hpp"
#include "actors/log.hpp"
#include "actors/shard_map.hpp"
#include "protocol/codec.hpp"
#include "protocol/session_token.hpp"
#include "store/event_store.hpp"

#include <algorithm>

namespace switchyard::actors {

namespace {

constexpr int64_t default_history_limit = 100;
/// Room a message needs beyond its events' own bytes (keys, numbers, brackets).
constexpr std::size_t envelope_bytes = 256;
/// JSON may take this many bytes per MessagePack byte of `data` (a control character in
/// a string becomes "\u0001"); smaller payloads fit any frame limit without measuring.
constexpr std::size_t json_expansion = 6;

/// True when the event this publish makes would exceed limits.max_frame_bytes for a
/// subscriber of either encoding (no server message may).
bool event_too_large(const connection_state& st, const protocol::client_message& msg) {
  const auto limit = static_cast<std::size_t>(st.ctx->limits.max_frame_bytes);
  const auto fields = msg.topic.size() + msg.key.value_or("").size() + msg.idem.value_or("").size();
  if (json_expansion * (msg.data.size() + fields) + envelope_bytes <= limit) {
    return false;
  }
  // Views of the message's own strings: value_or("") would make temporaries that are
  // gone before the views are read.
  const auto view = [](const std::optional<std::string>& s) {
    return s ? std::string_view{*s} : std::string_view{};
  };
  protocol::event_view ev{UINT64_MAX, INT64_MAX, view(msg.key), view(msg.idem), msg.data};
  return protocol::encode_event_push(protocol::encoding::json, msg.topic, ev).size() > limit ||
         protocol::encode_event_push(protocol::encoding::msgpack, msg.topic, ev).size() > limit;
}

/// The history reply, with as many of `page`'s events as fit in one frame.
void send_history(connection_actor* self, int64_t id, const std::string& topic, uint64_t from,
                  const store::history_page& page) {
  auto& st = self->state;
  const auto limit = static_cast<std::size_t>(st.ctx->limits.max_frame_bytes);
  std::vector<protocol::event_view> views;
  views.reserve(page.events.size());
  const auto now = now_ms();
  for (const auto& rec : page.events) {
    views.push_back({rec.seq, rec.ts_ms, rec.key, rec.idem, rec.data, {}, 0, rec.expired_at(now)});
  }
  // The page's last_seq is from the same snapshot as its events.
  const auto next_after = [&](std::size_t n) {
    return n > 0 ? views[n - 1].seq + 1 : std::max(from, page.last_seq + 1);
  };
  auto n = views.size();
  auto reply = protocol::encode_history_ok(st.enc, id, topic, views, next_after(n), page.last_seq);
  while (reply.size() > limit && n > 0) {
    // Fewer events, in proportion to the excess; next_seq says where to go on.
    n = std::min(n - 1, n * limit / reply.size());
    reply = protocol::encode_history_ok(st.enc, id, topic, std::span(views).first(n),
                                        n > 0 ? views[n - 1].seq + 1 : views[0].seq, page.last_seq);
  }
  if (n == 0 && !views.empty()) {
    return send_error(self, id, protocol::error_code::too_large,
                      "event " + std::to_string(views[0].seq) +
                          " is larger than limits.max_frame_bytes");
  }
  send_message(self, std::move(reply));
}

/// connect with resume: the session must be one this node signed, still valid, for the
/// same user and tenant. False after answering `unauthorized`.
bool take_session(connection_actor* self, const protocol::client_message& msg,
                  const std::string& tenant, const std::string& user) {
  auto& st = self->state;
  st.resuming.reset();
  st.session_id.clear();
  if (!msg.resume) {
    return true;
  }
  auto verdict =
      protocol::verify_session(msg.resume->session, st.ctx->store->session_key(), now_ms());
  if (verdict.claims && (verdict.claims->user != user || verdict.claims->tenant != tenant)) {
    verdict.error = "session belongs to another user or tenant";
  } else if (verdict.claims) {
    st.session_id = verdict.claims->id;
    st.resuming = msg.resume;
    return true;
  }
  log().info("conn.unauthorized conn={} remote={} reason=\"{}\"", st.conn_id, st.remote,
             verdict.error);
  send_error(self, msg.id, protocol::error_code::unauthorized, verdict.error);
  return false;
}

} // namespace

void on_connect(connection_actor* self, const protocol::client_message& msg) {
  auto& st = self->state;
  using protocol::error_code::bad_request;
  if (st.connected) {
    return send_error(self, msg.id, bad_request, "already connected");
  }
  const auto& auth = st.ctx->auth;
  if (!auth.jwt) {
    if (msg.token) {
      return send_error(self, msg.id, bad_request,
                        "field 'token' is not taken in auth.mode none: connect without one");
    }
    // Everyone is `anonymous` in tenant `default`, with all rights.
    if (take_session(self, msg, "default", "anonymous")) {
      join_tenant(self, msg.id, nullptr, "default", "anonymous", msg.client.value_or(""));
    }
    return;
  }
  if (!msg.token) {
    return send_error(self, msg.id, protocol::error_code::unauthorized,
                      "this node needs a token (auth.mode jwt): connect with 'token'");
  }
  auto verdict = protocol::verify_jwt(*msg.token, auth.jwt_secret, now_ms(), auth.leeway_ms);
  if (!verdict.claims) {
    log().info("conn.unauthorized conn={} remote={} reason=\"{}\"", st.conn_id, st.remote,
               verdict.error);
    return send_error(self, msg.id, protocol::error_code::unauthorized, verdict.error);
  }
  auto claims = std::make_shared<const protocol::token_claims>(std::move(*verdict.claims));
  if (take_session(self, msg, claims->tenant, claims->sub)) {
    join_tenant(self, msg.id, claims, claims->tenant, claims->sub, msg.client.value_or(""));
  }
}

/// Close code when the token's time is up (PROTOCOL.md, Close codes).
constexpr uint16_t close_token_expired = 4001;
/// Close code when the node drains.
constexpr uint16_t close_going_away = 1001;
/// The longest the token timer sleeps at once: a token may claim an `exp` centuries
/// ahead, which the clock's nanoseconds cannot hold; the timer sleeps again instead.
constexpr int64_t longest_token_sleep_ms = int64_t{24} * 3600 * 1000;

/// `token_expiring` goes out this long before the token's `exp` (PROTOCOL.md, Pushes).
constexpr int64_t token_warning_ms = 60000;

void arm_token_timer(connection_actor* self) {
  auto& st = self->state;
  const auto now = now_ms();
  const auto end = st.claims->exp_ms + st.ctx->auth.leeway_ms;
  const auto next = st.token_warned ? end : std::min(end, st.claims->exp_ms - token_warning_ms);
  self->delayed_send(
      self, std::chrono::milliseconds(std::clamp<int64_t>(next - now, 0, longest_token_sleep_ms)),
      token_atom::value, st.token_timer);
}

void on_token_timer(connection_actor* self, uint64_t timer) {
  auto& st = self->state;
  if (!st.claims || st.closing || timer != st.token_timer) {
    return; // a timer of a token that `refresh` replaced
  }
  const auto now = now_ms();
  if (now >= st.claims->exp_ms + st.ctx->auth.leeway_ms) {
    log().info("conn.closed conn={} tenant={} user={} code=4001 reason=token_expired", st.conn_id,
               log_name(st.tenant), log_name(st.user));
    return close_connection(self, close_token_expired, "token expired");
  }
  if (!st.token_warned && now >= st.claims->exp_ms - token_warning_ms) {
    st.token_warned = true;
    send_message(self, protocol::encode_token_expiring_push(st.enc, st.claims->exp_ms));
  }
  arm_token_timer(self);
}

void on_node_drain(connection_actor* self, int64_t reconnect_after_ms, int64_t timeout_ms) {
  auto& st = self->state;
  if (st.closing || st.leaving) {
    return;
  }
  st.leaving = true;
  const auto now = steady_ms();
  st.leave_at_ms = now + reconnect_after_ms;
  st.leave_by_ms = now + std::max(timeout_ms, reconnect_after_ms);
  // In a cluster, the push names another node (spread by connection) to reconnect to.
  const auto url =
      st.ctx->shards != nullptr ? st.ctx->shards->other_member_url(st.conn_id) : std::string{};
  send_message(self, protocol::encode_drain_push(st.enc, reconnect_after_ms, "node draining", url));
  self->delayed_send(self, std::chrono::milliseconds(reconnect_after_ms), drain_atom::value);
  self->delayed_send(self, std::chrono::milliseconds(st.leave_by_ms - now), drain_atom::value);
}

void leave_when_done(connection_actor* self) {
  auto& st = self->state;
  if (!st.leaving || st.closing) {
    return;
  }
  const auto now = steady_ms();
  const bool idle = st.ops_in_flight == 0 && st.deferred.empty();
  if (now >= st.leave_by_ms || (now >= st.leave_at_ms && idle)) {
    log().debug("conn.closed conn={} remote={} code=1001 reason=drain in_flight={}", st.conn_id,
                st.remote, st.ops_in_flight);
    close_connection(self, close_going_away, "node draining");
  }
}

void refuse_while_leaving(connection_actor* self, std::optional<int64_t> id) {
  auto& st = self->state;
  send_error(self, id, protocol::error_code::unavailable,
             "this node is draining: reconnect (with resume) after the drain push's "
             "reconnect_after_ms",
             std::max<int64_t>(st.leave_at_ms - steady_ms(), 0));
}

void on_refresh(connection_actor* self, const protocol::client_message& msg) {
  auto& st = self->state;
  if (!st.claims) {
    return send_error(self, msg.id, protocol::error_code::bad_request,
                      "auth.mode none: there is no token to refresh");
  }
  const auto& auth = st.ctx->auth;
  auto verdict = protocol::verify_jwt(*msg.token, auth.jwt_secret, now_ms(), auth.leeway_ms);
  if (verdict.claims &&
      (verdict.claims->sub != st.claims->sub || verdict.claims->tenant != st.claims->tenant)) {
    verdict = {std::nullopt, "a refreshed token must name the same 'sub' and 'tenant'"};
  }
  if (!verdict.claims) {
    log().info("conn.refresh_refused conn={} tenant={} user={} reason=\"{}\"", st.conn_id,
               log_name(st.tenant), log_name(st.user), verdict.error);
    return send_error(self, msg.id, protocol::error_code::unauthorized, verdict.error);
  }
  st.claims = std::make_shared<const protocol::token_claims>(std::move(*verdict.claims));
  st.token_warned = false;
  ++st.token_timer;
  arm_token_timer(self);
  if (msg.id) {
    send_message(self, protocol::encode_ok_empty(st.enc, *msg.id));
  }
}

bool may_publish(const connection_state& st, std::string_view topic) {
  return !st.claims || protocol::topic_allowed(st.claims->pub, topic);
}

bool may_read(const connection_state& st, std::string_view topic) {
  if (!st.claims) {
    return true;
  }
  constexpr std::string_view private_prefix = "private/";
  if (topic.substr(0, private_prefix.size()) == private_prefix) {
    const auto rest = topic.substr(private_prefix.size());
    if (rest.substr(0, rest.find('/')) != st.user) {
      return false;
    }
  }
  return protocol::topic_allowed(st.claims->sub_topics, topic);
}

std::string not_readable(const std::string& topic) {
  return "this token may not read '" + topic +
         "' (claim 'sub_topics', or another user's private topic)";
}

namespace {

/// How often a publish is sent again when its topic stopped before taking it.
constexpr int publish_attempts = 3;

/// Publisher backpressure: a queue group of the topic is behind (publish_acks::lag_level).
/// Told once per change and topic.
void note_topic_lag(connection_actor* self, const std::string& topic, int level) {
  auto& st = self->state;
  if (level == 0 && st.lagging_topics.empty()) {
    return;
  }
  auto it = st.lagging_topics.find(topic);
  if (level == (it == st.lagging_topics.end() ? 0 : it->second)) {
    return;
  }
  if (level == 0) {
    st.lagging_topics.erase(it);
  } else {
    st.lagging_topics[topic] = level;
  }
  const auto reason = level == 0 ? "the queue groups of topic '" + topic + "' caught up"
                                 : "a queue group of topic '" + topic + "' is behind";
  send_message(self, protocol::encode_slow_down_push(st.enc, level, level == 2 ? 1000 : 0, reason));
}

/// Answers each publish of a run: the ones the topic did not take (full) with an error
/// each, the stored ones with their acks in one message (JSON: one per line), so a run
/// costs one hand-over to the socket whatever its length.
void answer_run(connection_actor* self, const publish_run& run, const publish_acks& acks) {
  const auto enc = self->state.enc;
  note_topic_lag(self, run.topic, acks.lag_level);
  std::string out;
  for (std::size_t i = 0; i < run.ids.size() && i < acks.events.size(); ++i) {
    if (acks.events[i].refused) {
      report_publish_failure(self);
      send_failure(self, run.ids[i], topic_full(run.topic), "publish to '" + run.topic + "'");
      continue;
    }
    if (!run.ids[i]) {
      continue;
    }
    if (!out.empty() && enc == protocol::encoding::json) {
      out += '\n';
    }
    out += protocol::encode_publish_ok(enc, *run.ids[i], acks.events[i].seq, acks.events[i].dup);
  }
  if (!out.empty()) {
    send_message(self, std::move(out));
  }
}

/// Sends a run of publishes to its topic; each publish of it is answered on its own.
void publish_to(connection_actor* self, std::shared_ptr<const publish_run> run, int attempt) {
  with_topic(self, run->topic, [=](const topic_actor* topic, const caf::error& why) {
    if (topic == nullptr) {
      for (const auto& id : run->ids) {
        if (failure_of(why)) { // the registry's own refusal (max_topics, a cut-off topic)
          send_failure(self, id, why, "publish to '" + run->topic + "'");
        } else {
          send_error(self, id, protocol::error_code::unavailable,
                     "topic '" + run->topic + "' is unavailable", 1000);
        }
      }
      return op_finished(self, run->ids.size());
    }
    self->request(*topic, caf::infinite, publish_atom::value, run->batch)
        .then(
            [=](const publish_acks& acks) {
              answer_run(self, *run, acks);
              op_finished(self, run->ids.size());
            },
            [=](caf::error& err) {
              if ((err == caf::sec::request_receiver_down ||
                   failure_of(err) == failure::not_owner) &&
                  attempt < publish_attempts) {
                // The topic stopped (idle) before it took the publishes, or (in a cluster)
                // its shard moved: nothing of them happened, and the registry starts what
                // serves the topic now.
                self->state.targets.forget(run->topic);
                return publish_to(self, run, attempt + 1);
              }
              if (auto f = failure_of(err); f == failure::overloaded || f == failure::not_stored ||
                                            f == failure::store_unavailable) {
                report_publish_failure(self);
              }
              for (const auto& id : run->ids) {
                send_failure(self, id, err, "publish to '" + run->topic + "'");
              }
              op_finished(self, run->ids.size());
            });
  });
}

} // namespace

void on_publish(connection_actor* self, protocol::client_message& msg, publish_run& run) {
  auto& st = self->state;
  if (protocol::is_dead_letter_topic(msg.topic)) {
    return send_error(self, msg.id, protocol::error_code::forbidden,
                      "topic '" + msg.topic + "' is written only by the node (dead letters)");
  }
  if (!may_publish(st, msg.topic)) {
    return send_error(self, msg.id, protocol::error_code::forbidden,
                      "this token may not publish to '" + msg.topic + "' (claim 'pub')");
  }
  if (auto kind = protocol::agent_inbox_kind(msg.topic);
      kind && std::find(st.ctx->agent_kinds.begin(), st.ctx->agent_kinds.end(), *kind) ==
                  st.ctx->agent_kinds.end()) {
    return send_error(self, msg.id, protocol::error_code::not_found,
                      "no agent kind '" + std::string{*kind} + "' runs on this node (topic '" +
                          msg.topic + "')");
  }
  if (event_too_large(st, msg)) {
    return send_error(self, msg.id, protocol::error_code::too_large,
                      "the event would exceed limits.max_frame_bytes for its subscribers");
  }
  if (!run.ids.empty() && run.topic != msg.topic) {
    send_publishes(self, run);
  }
  if (run.ids.empty()) {
    run.topic = std::move(msg.topic);
    run.batch = std::make_shared<publish_batch>();
  }
  run.batch->events.push_back(
      {std::move(msg.data), msg.key.value_or(""), msg.idem.value_or(""), msg.ttl_ms.value_or(0)});
  run.batch->awaited = run.batch->awaited || msg.id.has_value();
  run.ids.push_back(msg.id);
}

void send_publishes(connection_actor* self, publish_run& run) {
  if (run.ids.empty()) {
    return;
  }
  op_started(self, run.ids.size());
  publish_to(self, std::make_shared<const publish_run>(std::exchange(run, publish_run{})), 1);
}

void on_history(connection_actor* self, const protocol::client_message& msg) {
  auto& st = self->state;
  if (!may_read(st, msg.topic)) {
    return send_error(self, msg.id, protocol::error_code::forbidden, not_readable(msg.topic));
  }
  read_request req;
  req.what = read_request::kind::history;
  req.tenant = st.tenant;
  req.topic = msg.topic;
  req.from_seq = static_cast<uint64_t>(std::max<int64_t>(msg.from_seq.value_or(1), 1));
  req.since_ms = msg.since_ms;
  req.limit = static_cast<std::size_t>(msg.limit.value_or(default_history_limit));
  req.max_bytes = static_cast<std::size_t>(st.ctx->limits.max_frame_bytes);
  auto id = msg.id;
  auto topic = msg.topic;
  auto from = req.from_seq;
  const bool since = msg.since_ms.has_value();
  op_started(self);
  self->request(st.reader, caf::infinite, read_atom::value, std::move(req))
      .then(
          [=](read_result& result) {
            auto& s = self->state;
            if (!result.status.ok()) {
              log().error("store.read_failed conn={} tenant={} topic={} error=\"{}\"", s.conn_id,
                          log_name(s.tenant), topic, result.status.message);
              send_error(self, id, protocol::error_code::internal, "history could not be read");
            } else if (!since && from < oldest_seq(result.page) && oldest_seq(result.page) > 1) {
              send_expired(self, id, "history of '" + topic + "'", from, oldest_seq(result.page));
            } else if (id) {
              send_history(self, *id, topic, from, result.page);
            }
            op_finished(self);
          },
          [=](caf::error& err) {
            send_failure(self, id, err, "history of '" + topic + "'");
            op_finished(self);
          });
}

} // namespace switchyard::actors
