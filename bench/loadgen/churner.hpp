#pragma once
// One churn connection of the presence scenario: `connect` as its own client (see
// churn_schedule), `subscribe` with presence (its join), and on leave() a WebSocket
// close frame: the node removes a cleanly closed member at once, while a dropped socket
// would linger for presence.timeout_ms. Every churner lives on the driver's io thread.

#include "bench/loadgen/ws_conn.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace switchyard::bench {

/// What the churners did; written on the driver's io thread, read by the control thread.
struct churn_flow {
  std::atomic<uint64_t> joins{0};   ///< subscribes with presence acknowledged
  std::atomic<uint64_t> leaves{0};  ///< close frames of joined churners
  std::atomic<uint64_t> unready{0}; ///< churners told to leave before their join was acknowledged
  std::atomic<uint64_t> failed{0};  ///< churners that could not connect or subscribe
  std::atomic<uint64_t> dropped{0}; ///< joined churners the node closed
};

class churner final : public ws_handler {
public:
  /// `ep` carries this churner's own `connect` message.
  churner(io_pool& pool, std::size_t worker, const endpoint& ep, const std::string& topic,
          churn_flow& flow);

  /// Connects and joins in the background. Any thread, once.
  void start() { conn_.start(); }
  /// Leaves with a close frame. The io thread, once.
  void leave();

  void on_open() override;
  void on_message(std::string_view msg, uint64_t recv_ns) override;
  void on_closed(std::string_view why) override;

private:
  enum class phase { joining, joined, gone, leaving }; ///< gone: failed or dropped

  ws_conn conn_;
  std::string subscribe_;
  churn_flow& flow_;
  phase phase_ = phase::joining;
};

} // namespace switchyard::bench
