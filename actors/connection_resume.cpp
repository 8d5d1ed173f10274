// connect with `resume` (PROTOCOL.md, Resume): the topics a client listed are taken up
// again where it left them. Each is checked (rights, limits, what the store still
// keeps) before the connect reply, which says per topic where it resumed; the replays
// follow the reply, so the client reads the reply first and then every event after
// its last_seq, once, in order.

#include "actors/connection_state.hpp"
#include "actors/log.hpp"
#include "protocol/codec.hpp"

#include <memory>

namespace switchyard::actors {

namespace {

/// A resume in progress: the reply being built and the checks still out.
struct resume_run {
  std::optional<int64_t> id;
  protocol::connect_ok ok;
  std::size_t waiting = 0;
};
using resume_run_ptr = std::shared_ptr<resume_run>;

/// The last check came back: the reply goes out, then each resumed topic is joined
/// from its last_seq + 1 (in the order listed), and frame handling goes on.
void finish(connection_actor* self, const resume_run_ptr& run) {
  if (--run->waiting > 0) {
    return;
  }
  auto& st = self->state;
  output_batch batch{self};
  std::size_t resumed = 0;
  for (const auto& t : *run->ok.resumed) {
    resumed += t.error.empty() ? 1 : 0;
  }
  log().debug("conn.resumed conn={} tenant={} user={} topics={} resumed={}", st.conn_id,
              log_name(st.tenant), log_name(st.user), run->ok.resumed->size(), resumed);
  if (run->id) {
    send_message(self, protocol::encode_connect_ok(st.enc, *run->id, run->ok));
  }
  for (const auto& t : *run->ok.resumed) {
    if (t.error.empty()) {
      join_resumed(self, t.topic, t.from_seq);
    }
  }
  report_subscriptions(self);
  resume(self);
}

/// The topic cannot be resumed: its entry says why, and its subscription goes.
void refuse(connection_actor* self, protocol::resumed_topic& entry, std::string_view code,
            std::string message) {
  entry.error = code;
  entry.message = std::move(message);
  self->state.subs.erase(entry.topic);
}

/// Checks that the store still keeps the events after `t.from_seq - 1` (retention).
void check_kept(connection_actor* self, const resume_run_ptr& run, std::size_t i) {
  auto& st = self->state;
  read_request req;
  req.what = read_request::kind::history;
  req.tenant = st.tenant;
  req.topic = (*run->ok.resumed)[i].topic;
  req.limit = 0; // the topic's range only
  self->request(st.reader, caf::infinite, read_atom::value, std::move(req))
      .then(
          [=](read_result& result) {
            auto& entry = (*run->ok.resumed)[i];
            if (!result.status.ok()) {
              refuse(self, entry, protocol::error_code::internal,
                     "the event store could not be read; subscribe again");
            } else if (const auto oldest = oldest_seq(result.page);
                       entry.from_seq < oldest && oldest > 1) {
              refuse(self, entry, protocol::error_code::expired,
                     "events after " + std::to_string(entry.from_seq - 1) + " are no longer kept");
              entry.oldest_seq = oldest;
            }
            finish(self, run);
          },
          [=](caf::error&) {
            refuse(self, (*run->ok.resumed)[i], protocol::error_code::internal,
                   "the event store could not be read; subscribe again");
            finish(self, run);
          });
}

/// The tenant counts one more subscription (tenant max_subscriptions), then the store
/// is asked.
void take_slot(connection_actor* self, const resume_run_ptr& run, std::size_t i) {
  auto& st = self->state;
  if (st.quota.max_subscriptions == 0) {
    return check_kept(self, run, i);
  }
  self->request(st.tenant_ref, caf::infinite, subscribe_atom::value)
      .then(
          [=](bool granted) {
            auto& s = self->state;
            s.reported_subscriptions = -1; // the tenant counted one more: set right at the end
            if (granted) {
              return check_kept(self, run, i);
            }
            refuse(self, (*run->ok.resumed)[i], protocol::error_code::throttled,
                   "tenant '" + s.tenant + "' already has its " +
                       std::to_string(s.quota.max_subscriptions) +
                       " subscriptions (max_subscriptions)");
            finish(self, run);
          },
          [=](caf::error&) {
            refuse(self, (*run->ok.resumed)[i], protocol::error_code::unavailable,
                   "the tenant could not count the subscription; subscribe again");
            finish(self, run);
          });
}

} // namespace

void resume_topics(connection_actor* self, std::optional<int64_t> id, protocol::connect_ok ok) {
  auto& st = self->state;
  auto req = std::move(*st.resuming);
  st.resuming.reset();
  auto run = std::make_shared<resume_run>();
  run->id = id;
  run->ok = std::move(ok);
  auto& entries = run->ok.resumed.emplace();
  entries.reserve(req.topics.size());
  // One count for the loop itself, so no check finishes the run before all started.
  run->waiting = 1;
  const auto max = static_cast<std::size_t>(st.ctx->limits.max_subscriptions);
  std::vector<std::size_t> to_check;
  for (auto& t : req.topics) {
    auto& entry = entries.emplace_back();
    entry.topic = t.topic;
    entry.from_seq = t.last_seq + 1;
    if (!may_read(st, t.topic)) {
      entry.error = protocol::error_code::forbidden;
      entry.message = not_readable(t.topic);
    } else if (st.subs.count(t.topic) > 0) {
      entry.error = protocol::error_code::bad_request;
      entry.message = "topic listed twice";
    } else if (st.subs.size() + st.queues.size() >= max) {
      entry.error = protocol::error_code::too_large;
      entry.message = "limit of " + std::to_string(max) + " subscriptions reached";
    } else {
      auto& ts = st.subs.emplace(t.topic, topic_subscription{st.next_generation++}).first->second;
      ts.presence = t.presence;
      to_check.push_back(entries.size() - 1);
    }
  }
  run->waiting += to_check.size();
  for (auto i : to_check) {
    take_slot(self, run, i);
  }
  finish(self, run);
}

} // namespace switchyard::actors
