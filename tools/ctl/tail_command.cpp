// tail: subscribe over WebSocket (fanout, optionally replaying from a start point) and
// print each event as it arrives.

#include "tools/ctl/commands.hpp"
#include "tools/ctl/ctl_error.hpp"
#include "tools/ctl/event_lines.hpp"
#include "tools/ctl/ws_link.hpp"

#include <cstdio>

namespace switchyard::ctl {

int run_tail(const common_options& common, const tail_options& opts) {
  ws_link link(common.node(), wire::json);
  nlohmann::json subscribe = {{"op", "subscribe"}, {"topic", opts.topic}};
  if (opts.from.from_seq) {
    subscribe["from"] = {{"seq", *opts.from.from_seq}};
  } else if (opts.from.since_ms) {
    subscribe["from"] = {{"since_ms", *opts.from.since_ms}};
  } else if (opts.from.last) {
    subscribe["from"] = {{"last", *opts.from.last}};
  }
  const auto ok = link.call(std::move(subscribe));
  if (!common.json) {
    std::fprintf(stderr, "tailing %s: last seq %llu, %llu stored events first; Ctrl-C stops\n",
                 opts.topic.c_str(), ok.value("seq", 0ull), ok.value("replayed", 0ull));
  }
  uint64_t seen = 0;
  for (;;) {
    const auto message = link.next_message();
    const auto push = message.value("push", std::string());
    if (push == "event" && message.value("topic", std::string()) == opts.topic) {
      print_event(message, common.json);
      if (++seen == opts.count) {
        return 0;
      }
    } else if (push == "gap") {
      if (common.json) {
        print_event(message, true);
      } else {
        std::fprintf(stderr,
                     "gap: events %llu..%llu were not delivered (this client was too "
                     "slow); `history` reads them\n",
                     message.value("from", 0ull), message.value("to", 0ull));
      }
    } else if (push == "unsubscribed") {
      throw ctl_error::from_node(message);
    } else if (push == "drain" && !common.json) {
      std::fprintf(stderr, "the node is draining: it will close this connection\n");
    }
  }
}

} // namespace switchyard::ctl
