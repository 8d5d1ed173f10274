#include "bench/loadgen/churner.hpp"

#include "bench/loadgen/error_log.hpp"
#include "bench/loadgen/message_scan.hpp"

namespace switchyard::bench {

churner::churner(io_pool& pool, std::size_t worker, const endpoint& ep, const std::string& topic,
                 churn_flow& flow)
    : conn_(pool, worker, ep, *this),
      subscribe_(R"({"id":2,"op":"subscribe","topic":")" + topic + R"(","presence":true})"),
      flow_(flow) {}

void churner::on_open() {
  conn_.send_connect();
  conn_.send(subscribe_);
}

void churner::leave() {
  if (phase_ == phase::joined) {
    flow_.leaves.fetch_add(1, std::memory_order_relaxed);
  } else if (phase_ == phase::joining) {
    flow_.unready.fetch_add(1, std::memory_order_relaxed);
  }
  phase_ = phase::leaving;
  conn_.close();
}

void churner::on_message(std::string_view msg, uint64_t) {
  switch (classify(msg)) {
  case message_kind::ok:
    if (phase_ == phase::joining && uint_field(msg, "id") == 2u) {
      phase_ = phase::joined;
      flow_.joins.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  case message_kind::error:
    record_error("churner", msg);
    if (phase_ == phase::joining) {
      phase_ = phase::gone;
      flow_.failed.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  case message_kind::ping:
    return conn_.send(R"({"op":"ping"})");
  case message_kind::push:
    // The churners are members too; only the steady ones count presence.
    if (string_field(msg, R"("push":")", "") != "presence") {
      record_push(msg);
    }
    return;
  default:
    return record_error("churner: unexpected message", msg);
  }
}

void churner::on_closed(std::string_view why) {
  if (phase_ == phase::joining) {
    flow_.failed.fetch_add(1, std::memory_order_relaxed);
    record_error("churner setup", why);
  } else if (phase_ == phase::joined) {
    flow_.dropped.fetch_add(1, std::memory_order_relaxed);
    record_error("churner closed", why);
  }
  if (phase_ != phase::leaving) {
    phase_ = phase::gone;
  }
}

} // namespace switchyard::bench
