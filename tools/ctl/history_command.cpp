// history: stored events of a topic, page by page through the HTTP API
// (GET /api/v1/topics/{topic}/history).

#include "tools/ctl/commands.hpp"
#include "tools/ctl/event_lines.hpp"
#include "tools/ctl/http_call.hpp"
#include "tools/ctl/progress_bar.hpp"

#include <algorithm>
#include <cstdio>

namespace switchyard::ctl {

int run_history(const common_options& common, const history_options& opts) {
  constexpr uint64_t page_limit = 1000; // the API's largest page
  const auto node = common.node();
  const auto path = "/api/v1/topics/" + percent_encode(opts.topic) + "/history?";
  std::string start = opts.from.since_ms
                          ? "since_ms=" + std::to_string(*opts.from.since_ms)
                          : "from_seq=" + std::to_string(opts.from.from_seq.value_or(1));
  uint64_t printed = 0;
  uint64_t next_seq = 0;
  uint64_t last_seq = 0;
  std::optional<progress_bar> progress;
  while (printed < opts.limit) {
    const auto want = std::min(page_limit, opts.limit - printed);
    const auto page = http_json(node, "GET", path + start + "&limit=" + std::to_string(want));
    next_seq = page.value("next_seq", 0ull);
    last_seq = page.value("last_seq", 0ull);
    const auto& events = page["events"];
    if (!progress) {
      const uint64_t first = events.empty() ? next_seq : events[0].value("seq", 0ull);
      const uint64_t available = last_seq >= first ? last_seq - first + 1 : 0;
      progress.emplace("history", std::min(opts.limit, available), common.show_progress());
    }
    for (const auto& event : events) {
      print_event(event, common.json);
    }
    printed += events.size();
    progress->update(printed);
    if (events.empty() || next_seq > last_seq) {
      break;
    }
    start = "from_seq=" + std::to_string(next_seq);
  }
  if (progress) {
    progress->finish();
  }
  if (!common.json) {
    std::fprintf(stderr, "%llu events; next seq %llu, last seq %llu\n",
                 static_cast<unsigned long long>(printed),
                 static_cast<unsigned long long>(next_seq),
                 static_cast<unsigned long long>(last_seq));
  }
  return 0;
}

} // namespace switchyard::ctl
