#include "bench/loadgen/presence_member.hpp"

#include "bench/loadgen/error_log.hpp"
#include "bench/loadgen/message_scan.hpp"
#include "bench/loadgen/worker_stats.hpp"

#include <optional>

namespace switchyard::bench {

presence_member::presence_member(io_pool& pool, std::size_t worker, const endpoint& ep,
                                 presence_stats& stats, setup s, ready_fn on_ready)
    : pool_(pool), worker_(worker), conn_(pool, worker, ep, *this), stats_(stats),
      setup_(std::move(s)), on_ready_(std::move(on_ready)), frames_(setup_.seconds, 0),
      pushes_(setup_.seconds, 0) {}

void presence_member::on_open() {
  conn_.send_connect();
  conn_.send(R"({"id":2,"op":"subscribe","topic":")" + setup_.topic + R"(","presence":true})");
}

void presence_member::query_members() {
  pool_.post(worker_, [this] {
    conn_.send(R"({"id":3,"op":"presence","topic":")" + setup_.topic + R"("})");
  });
}

void presence_member::on_message(std::string_view msg, uint64_t recv_ns) {
  switch (classify(msg)) {
  case message_kind::push:
    if (string_field(msg, R"("push":")", "") == "presence") {
      return on_presence(msg, recv_ns);
    }
    return record_push(msg);
  case message_kind::ping:
    return conn_.send(R"({"op":"ping"})");
  case message_kind::ok:
    return on_reply(msg, true);
  case message_kind::error:
    record_error("presence member", msg);
    return on_reply(msg, false);
  default:
    return record_error("presence member: unexpected message", msg);
  }
}

/// Before the phase (t0 still 0) the join storm is only counted: scanning every one of
/// its joins would cost the generator the cores the node needs.
void presence_member::on_presence(std::string_view msg, uint64_t recv_ns) {
  bump(stats_.pushes);
  const uint64_t t0 = setup_.schedule->start_ns();
  if (t0 == 0 || recv_ns < t0) {
    return;
  }
  const bool new_frame = !frame_counted_;
  frame_counted_ = true;
  if (new_frame) {
    bump(stats_.frames);
  }
  if (const uint64_t s = (recv_ns - t0) / 1'000'000'000; s < pushes_.size()) {
    ++pushes_[s];
    if (new_frame) {
      ++frames_[s];
    }
  }
  const auto changes = scan_presence(msg, [this, recv_ns](bool join, std::string_view member) {
    if (setup_.sampled) {
      time_change(join, member, recv_ns);
    }
  });
  stats_.joins += changes.joins;
  stats_.leaves += changes.leaves;
}

void presence_member::time_change(bool join, std::string_view member, uint64_t recv_ns) {
  const auto s = churn_schedule::churner_of(string_field(member, R"("client":")", ""));
  if (!s) {
    return;
  }
  const churn_schedule& plan = *setup_.schedule;
  const auto due = join ? plan.join_due_ns(*s) : std::optional<uint64_t>(plan.leave_due_ns(*s));
  if (due) {
    (join ? stats_.join_delay : stats_.leave_delay).record(recv_ns > *due ? recv_ns - *due : 0);
  }
}

/// Id 1 is connect, 2 the subscribe, 3 the member count.
void presence_member::on_reply(std::string_view msg, bool ok) {
  const auto id = uint_field(msg, "id");
  if (ok && id == 3u) {
    counted_ = static_cast<int64_t>(uint_field(msg, "count").value_or(0));
  } else if (!set_up_ && (!ok || id == 2u)) {
    finish_setup(ok);
  }
}

void presence_member::finish_setup(bool ok) {
  set_up_ = true;
  joined_ = ok;
  on_ready_(ok);
}

void presence_member::on_closed(std::string_view why) {
  if (!set_up_) {
    record_error("presence member setup", why);
    return finish_setup(false);
  }
  ++stats_.disconnects;
  record_error("presence member closed", why);
}

} // namespace switchyard::bench
