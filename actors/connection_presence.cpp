// Presence on the connection's side (PROTOCOL.md, Presence): the `presence` op, the
// pushes its topics send, the keep-alive a member needs, and what its memberships do
// when the socket goes away. The sets themselves live in the topics (presence_set).

#include "actors/connection_state.hpp"
#include "actors/log.hpp"
#include "protocol/codec.hpp"

#include <algorithm>

namespace switchyard::actors {

void keep_presence_alive(connection_actor* self) {
  auto& st = self->state;
  if (st.presence_keepalive) {
    return;
  }
  st.presence_keepalive = true;
  if (auto sink = st.sink.lock()) {
    sink->keep_alive_within(st.ctx->presence.timeout_ms);
  }
}

presence_join presence_member(const connection_state& st) {
  constexpr std::size_t max_client_bytes = 256;
  auto n = std::min(st.client.size(), max_client_bytes);
  // Cut at a character boundary: never in the middle of a UTF-8 sequence.
  while (n < st.client.size() && n > 0 &&
         (static_cast<unsigned char>(st.client[n]) & 0xC0) == 0x80) {
    --n;
  }
  return {true, st.conn_id, st.user, st.client.substr(0, n), st.session_id};
}

namespace {

/// The reply with as many of the page's members as fit in one frame; `next` says where
/// the rest begins.
std::string encode_page(const connection_state& st, int64_t id, const presence_page& page) {
  std::vector<protocol::member_view> views;
  views.reserve(page.members.size());
  for (const auto& m : page.members) {
    views.push_back({m.conn, m.user, m.client, m.since_ms});
  }
  const auto limit = static_cast<std::size_t>(st.ctx->limits.max_frame_bytes);
  auto n = views.size();
  auto reply = protocol::encode_presence_ok(st.enc, id, views, page.count, page.next);
  while (reply.size() > limit && n > 1) {
    n = std::min(n - 1, n * limit / reply.size());
    n = std::max<std::size_t>(n, 1);
    reply = protocol::encode_presence_ok(st.enc, id, std::span(views).first(n), page.count,
                                         views[n - 1].conn);
  }
  return reply;
}

} // namespace

void on_presence(connection_actor* self, const protocol::client_message& msg) {
  auto& st = self->state;
  if (!may_read(st, msg.topic)) {
    return send_error(self, msg.id, protocol::error_code::forbidden, not_readable(msg.topic));
  }
  uint64_t after = 0;
  if (msg.after) {
    const auto conn = protocol::parse_conn_name(*msg.after);
    if (!conn) {
      return send_error(self, msg.id, protocol::error_code::bad_request,
                        "field 'after' must be the 'next' of an earlier presence reply");
    }
    after = *conn;
  }
  if (!msg.id) {
    return; // nobody waits for the list
  }
  const auto id = *msg.id;
  const auto topic = msg.topic;
  const auto limit = static_cast<uint32_t>(st.ctx->presence.max_members_listed);
  op_started(self);
  with_topic(self, topic, [=](const topic_actor* handle, const caf::error& why) {
    if (handle == nullptr) {
      send_failure(self, id, why, "presence of '" + topic + "'");
      return op_finished(self);
    }
    self->request(*handle, caf::infinite, presence_atom::value, after, limit)
        .then(
            [=](const presence_page& page) {
              send_message(self, encode_page(self->state, id, page));
              op_finished(self);
            },
            [=](caf::error& err) {
              send_failure(self, id, err, "presence of '" + topic + "'");
              op_finished(self);
            });
  });
}

void on_presence_push(connection_actor* self, const std::string& topic,
                      const presence_push_ptr& push) {
  auto& st = self->state;
  auto it = st.subs.find(topic);
  if (it == st.subs.end() || !it->second.presence || st.closing) {
    return;
  }
  output_batch batch{self};
  const auto& parts = st.enc == protocol::encoding::json ? push->json : push->msgpack;
  for (const auto& part : parts) {
    // Aliases the shared push: one encoding for every member.
    push_output(self, std::shared_ptr<const std::string>(push, &part));
  }
}

void leave_presence(connection_actor* self, int64_t linger_ms) {
  for (const auto& [name, ts] : self->state.subs) {
    if (ts.presence && ts.topic) {
      self->send(ts.topic, leave_atom::value, linger_ms);
    }
  }
}

} // namespace switchyard::actors
