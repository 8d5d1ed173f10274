// The request/reply ops of a connection: connect, publish, history.

#include "actors/atoms.hpp"
#include "actors/connection_state.hpp"
#include "actors/log.hpp"
#include "store/event_store.hpp"
#include "protocol/codec.hpp"

#include <algorithm>
#include <random>

namespace switchyard::actors {

namespace {

constexpr int64_t default_history_limit = 100;

/// A resume token for `connect` replies; unguessable, not secret-grade.
std::string session_token() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (std::size_t i = 0; i < out.size(); i += 16) {
    auto v = rng();
    for (std::size_t j = 0; j < 16; ++j) {
      out[i + j] = hex[(v >> (j * 4)) & 0xf];
    }
  }
  return out;
}

} // namespace

void on_connect(connection_actor* self, const protocol::client_message& msg) {
  auto& st = self->state;
  if (st.connected) {
    return send_error(self, msg.id, protocol::error_code::bad_request, "already connected");
  }
  // auth.mode none (the only mode so far): everyone is `anonymous` in tenant `default`.
  st.connected = true;
  st.tenant = "default";
  st.user = "anonymous";
  log().debug("conn.connected conn={} tenant={} user={} client=\"{}\"", st.conn_id,
                               st.tenant, st.user, msg.client.value_or(""));
  if (!msg.id) {
    return;
  }
  const auto& lim = st.ctx->limits;
  protocol::connect_ok ok;
  ok.conn = "c" + std::to_string(st.conn_id);
  ok.session = session_token();
  ok.node = st.ctx->node_name;
  ok.ping_ms = lim.ping_ms;
  ok.max_frame_bytes = lim.max_frame_bytes;
  ok.publish_per_s = lim.publish_per_s;
  ok.max_subscriptions = lim.max_subscriptions;
  send_message(self, protocol::encode_connect_ok(st.enc, *msg.id, ok));
}

void on_publish(connection_actor* self, protocol::client_message& msg) {
  publish_request req;
  req.data = std::move(msg.data);
  req.key = msg.key.value_or("");
  req.idem = msg.idem.value_or("");
  req.wants_reply = msg.id.has_value();
  auto id = msg.id;
  auto name = msg.topic;
  with_topic(self, name, [=, req = std::move(req)](const caf::actor* topic) mutable {
    if (!topic) {
      return send_error(self, id, protocol::error_code::unavailable,
                        "topic '" + name + "' is unavailable", 1000);
    }
    if (!id) {
      self->send(*topic, publish_atom::value, std::move(req));
      return;
    }
    self->request(*topic, caf::infinite, publish_atom::value, std::move(req))
        .then(
            [=](uint64_t seq, bool dup) {
              send_message(self, protocol::encode_publish_ok(self->state.enc, *id, seq, dup));
            },
            [=](caf::error&) {
              send_error(self, id, protocol::error_code::unavailable,
                         "publish to '" + name + "' was not stored; retry", 1000);
            });
  });
}

void on_history(connection_actor* self, const protocol::client_message& msg) {
  auto& st = self->state;
  auto& store = *st.ctx->store;
  store::topic_info info;
  auto status = store.info(st.tenant, msg.topic, info);
  uint64_t from = 1;
  if (status.ok() && msg.since_ms) {
    status = store.first_seq_since(st.tenant, msg.topic, *msg.since_ms, from);
  } else if (msg.from_seq) {
    from = std::max<uint64_t>(static_cast<uint64_t>(*msg.from_seq), 1);
  }
  std::vector<store::event_record> events;
  auto limit = static_cast<std::size_t>(msg.limit.value_or(default_history_limit));
  if (status.ok()) {
    status = store.read(st.tenant, msg.topic, from, limit, events);
  }
  if (!status.ok()) {
    log().error("store.read_failed tenant={} topic={} error=\"{}\"", st.tenant,
                                msg.topic, status.message);
    return send_error(self, msg.id, protocol::error_code::internal, "history could not be read");
  }
  if (!msg.id) {
    return;
  }
  std::vector<protocol::event_view> views;
  views.reserve(events.size());
  for (const auto& rec : events) {
    views.push_back({rec.seq, rec.ts_ms, rec.key, rec.idem, rec.data});
  }
  auto next = events.empty() ? std::max(from, info.last_seq + 1) : events.back().seq + 1;
  // last_seq may have grown since `info` was read; the events are the truth.
  auto last = std::max(info.last_seq, events.empty() ? 0 : events.back().seq);
  send_message(self, protocol::encode_history_ok(st.enc, *msg.id, msg.topic, views, next, last));
}

} // namespace switchyard::actors
