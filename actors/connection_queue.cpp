// Queue-group memberships of a connection: subscribe with mode "queue", the events its
// groups hand it, ack and nack, and leaving. The group actor (queue_group.cpp) keeps
// the delivery state; the connection only forwards and encodes.

#include "actors/connection_state.hpp"
#include "actors/failure.hpp"
#include "actors/log.hpp"
#include "actors/queue_group.hpp"
#include "protocol/codec.hpp"

namespace switchyard::actors {

namespace {

constexpr int64_t default_max_inflight = 64;
constexpr int64_t default_ack_wait_ms = 30000;
/// How often joining is tried when the group stops between look-up and join.
constexpr int join_attempts = 3;

std::string describe(const queue_key& key) {
  return "group '" + key.second + "' of topic '" + key.first + "'";
}

void join_group(connection_actor* self, queue_key key, std::optional<int64_t> id, group_join join,
                int attempt) {
  auto& st = self->state;
  auto registry = caf::actor_cast<group_registry_actor>(st.ctx->group_registry);
  auto failed = [=](const caf::error& err) {
    self->state.queues.erase(key);
    send_failure(self, id, err, "subscribe to " + describe(key));
    op_finished(self);
  };
  self->request(registry, caf::infinite, lookup_atom::value,
                group_key(st.tenant, key.first, key.second))
      .then(
          [=](const group_actor& group) {
            self->request(group, caf::infinite, join_atom::value, join)
                .then(
                    [=](const group_joined& joined) {
                      auto& s = self->state;
                      auto it = s.queues.find(key);
                      if (it == s.queues.end()) {
                        // Unsubscribed meanwhile: leave again.
                        self->request(group, caf::infinite, leave_atom::value)
                            .then([](bool) {}, [](caf::error&) {});
                        return op_finished(self);
                      }
                      it->second.group = group;
                      self->monitor(group);
                      if (id) {
                        send_message(self, protocol::encode_subscribe_ok(s.enc, *id, key.first,
                                                                         joined.topic_last,
                                                                         joined.backlog));
                      }
                      op_finished(self);
                    },
                    [=](caf::error& err) {
                      if (err == caf::sec::request_receiver_down && attempt < join_attempts) {
                        // The group stopped (idle) before it took the join; a new one starts.
                        return join_group(self, key, id, join, attempt + 1);
                      }
                      failed(err);
                    });
          },
          [=](caf::error& err) { failed(err); });
}

} // namespace

void on_queue_subscribe(connection_actor* self, protocol::client_message& msg) {
  auto& st = self->state;
  queue_key key{msg.topic, *msg.group};
  if (st.queues.count(key) > 0) {
    return send_error(self, msg.id, protocol::error_code::bad_request,
                      "already a member of " + describe(key));
  }
  group_join join;
  join.max_inflight = static_cast<uint32_t>(
      std::min<int64_t>(msg.max_inflight.value_or(default_max_inflight), UINT32_MAX));
  join.ack_wait_ms = msg.ack_wait_ms.value_or(default_ack_wait_ms);
  st.queues.emplace(key, queue_membership{});
  op_started(self);
  if (!msg.from) {
    return join_group(self, std::move(key), msg.id, std::move(join), 1);
  }
  resolve_start(self, msg.topic, msg.id, *msg.from,
                [=](std::optional<protocol::start_position> start) mutable {
                  if (!start) {
                    self->state.queues.erase(key);
                    return op_finished(self);
                  }
                  join.from = start;
                  join_group(self, key, msg.id, join, 1);
                });
}

void on_queue_unsubscribe(connection_actor* self, const protocol::client_message& msg) {
  auto& st = self->state;
  auto reply = [=, id = msg.id] {
    if (id) {
      send_message(self, protocol::encode_ok_empty(self->state.enc, *id));
    }
  };
  auto it = st.queues.find({msg.topic, *msg.group});
  if (it == st.queues.end()) {
    return reply();
  }
  auto group = it->second.group;
  st.queues.erase(it);
  if (!group) {
    return reply();
  }
  self->demonitor(group.address());
  // The reply waits for the group: what this connection held is back in the group.
  self->request(group, caf::infinite, leave_atom::value)
      .then(
          [=](bool) {
            output_batch batch{self};
            reply();
          },
          [=](caf::error&) {
            output_batch batch{self};
            reply();
          });
}

void on_ack(connection_actor* self, const protocol::client_message& msg, ack_run& run) {
  queue_key key{msg.topic, *msg.group};
  if (!run.seqs.empty() && run.key != key) {
    send_acks(self, run);
  }
  if (run.seqs.empty()) {
    run.key = std::move(key);
  }
  run.seqs.push_back(static_cast<uint64_t>(msg.seq));
  run.ids.push_back(msg.id);
}

void send_acks(connection_actor* self, ack_run& run) {
  if (run.seqs.empty()) {
    return;
  }
  auto& st = self->state;
  auto acks = std::make_shared<const ack_run>(std::exchange(run, ack_run{}));
  auto it = st.queues.find(acks->key);
  if (it == st.queues.end() || !it->second.group) {
    for (const auto& id : acks->ids) {
      send_error(self, id, protocol::error_code::not_found,
                 "this connection is not a member of " + describe(acks->key));
    }
    return;
  }
  op_started(self, acks->seqs.size());
  self->request(it->second.group, caf::infinite, ack_atom::value, acks->seqs)
      .then(
          [=](const std::vector<uint64_t>& not_held) {
            auto next_missing = not_held.begin();
            for (std::size_t i = 0; i < acks->seqs.size(); ++i) {
              if (next_missing == not_held.end() || *next_missing != i) {
                if (acks->ids[i]) {
                  send_message(self, protocol::encode_ok_empty(self->state.enc, *acks->ids[i]));
                }
                continue;
              }
              ++next_missing;
              send_error(self, acks->ids[i], protocol::error_code::not_found,
                         "seq " + std::to_string(acks->seqs[i]) +
                             " is not held by this connection in " + describe(acks->key));
            }
            op_finished(self, acks->seqs.size());
          },
          [=](caf::error& err) {
            for (std::size_t i = 0; i < acks->seqs.size(); ++i) {
              send_failure(self, acks->ids[i], err,
                           "ack of seq " + std::to_string(acks->seqs[i]) + " in " +
                               describe(acks->key));
            }
            op_finished(self, acks->seqs.size());
          });
}

void on_nack(connection_actor* self, const protocol::client_message& msg) {
  auto& st = self->state;
  const queue_key key{msg.topic, *msg.group};
  auto it = st.queues.find(key);
  if (it == st.queues.end() || !it->second.group) {
    return send_error(self, msg.id, protocol::error_code::not_found,
                      "this connection is not a member of " + describe(key));
  }
  const auto seq = static_cast<uint64_t>(msg.seq);
  const auto id = msg.id;
  op_started(self);
  self->request(it->second.group, caf::infinite, nack_atom::value, seq, msg.delay_ms.value_or(0),
                msg.reason.value_or(""))
      .then(
          [=](bool) {
            if (id) {
              send_message(self, protocol::encode_ok_empty(self->state.enc, *id));
            }
            op_finished(self);
          },
          [=](caf::error& err) {
            send_failure(self, id, err,
                         "nack of seq " + std::to_string(seq) + " in " + describe(key));
            op_finished(self);
          });
}

void on_queued(connection_actor* self, const queued_batch& batch) {
  auto& st = self->state;
  const auto& names = *batch.names;
  // Events of a membership that ended are ignored: the group took them back.
  if (st.closing || st.queues.count({names.topic, names.group}) == 0) {
    return;
  }
  output_batch out{self};
  for (const auto& item : batch.events) {
    const auto& rec = *item.event;
    protocol::event_view ev{rec.seq,  rec.ts_ms,   rec.key,      rec.idem,
                            rec.data, names.group, item.attempt, false};
    push_output(self, std::make_shared<const std::string>(
                          protocol::encode_event_push(st.enc, names.topic, ev)));
  }
}

bool on_group_down(connection_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  for (auto it = st.queues.begin(); it != st.queues.end(); ++it) {
    if (it->second.group && it->second.group.address() == dm.source) {
      auto key = it->first;
      st.queues.erase(it);
      log().debug("conn.group_lost conn={} tenant={} topic={} group={}", st.conn_id,
                  log_name(st.tenant), key.first, key.second);
      if (!st.closing) {
        // A group stopped on purpose (its topic purged) says why; a crashed one restarts.
        send_message(self, protocol::encode_unsubscribed_push(
                               st.enc, key.first, protocol::error_code::unavailable,
                               failure_message(dm.reason, describe(key) + " restarted") +
                                   "; subscribe again",
                               key.second));
      }
      return true;
    }
  }
  return false;
}

} // namespace switchyard::actors
