// inspect: opens a node's LMDB store read-only, without the node (a stopped one, or
// beside a running one: LMDB readers never block its writer), and lists every topic
// with its seq range and size, and its queue groups.

#include "store/event_store.hpp"
#include "tools/ctl/commands.hpp"
#include "tools/ctl/ctl_error.hpp"
#include "tools/ctl/event_lines.hpp"
#include "tools/ctl/progress_bar.hpp"

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace switchyard::ctl {

namespace {

void check(const store::status& s, const char* what) {
  if (!s.ok()) {
    throw ctl_error("store", std::string(what) + ": " + s.message);
  }
}

} // namespace

int run_inspect(const common_options& common, const inspect_options& opts) {
  store::store_config cfg;
  cfg.data_dir = opts.data_dir;
  cfg.read_only = true;
  std::string error;
  auto db = store::event_store::open(cfg, error);
  if (!db) {
    throw ctl_error("store", error);
  }
  std::error_code ec;
  const auto file_bytes =
      std::filesystem::file_size(std::filesystem::path(opts.data_dir) / "data.mdb", ec);
  if (!common.json) {
    std::printf("store %s: data.mdb %.1f MiB, map %.1f MiB\n\n", opts.data_dir.c_str(),
                static_cast<double>(ec ? 0 : file_bytes) / (1 << 20),
                static_cast<double>(db->stats().map_bytes.load()) / (1 << 20));
    std::printf("%-12s %-32s %10s %10s %12s  %-24s %s\n", "TENANT", "TOPIC", "FIRST", "LAST",
                "BYTES", "LAST EVENT", "GROUPS");
  }
  // Rows for a person are printed after the progress line is done with the terminal.
  std::vector<std::string> rows;
  progress_bar progress("inspect", 0, common.show_progress());
  uint64_t topics = 0;
  uint64_t bytes = 0;
  std::string cursor;
  do {
    store::topic_page page;
    check(db->list_topics(std::nullopt, "", cursor, 1000, page), "listing topics");
    for (const auto& t : page.topics) {
      std::vector<std::pair<std::string, store::group_state>> groups;
      check(db->list_groups(t.tenant, t.topic, groups), "listing groups");
      ++topics;
      bytes += t.bytes;
      if (common.json) {
        auto group_rows = nlohmann::json::array();
        for (const auto& [name, g] : groups) {
          group_rows.push_back({{"group", name},
                                {"floor", g.floor},
                                {"pending", g.pending.size()},
                                {"done_above_floor", g.done.size()},
                                {"created_ms", g.created_ms},
                                {"active_ms", g.active_ms}});
        }
        std::printf("%s\n", nlohmann::json{{"tenant", t.tenant},
                                           {"topic", t.topic},
                                           {"first_seq", t.first_seq},
                                           {"last_seq", t.last_seq},
                                           {"last_ts_ms", t.last_ts_ms},
                                           {"bytes", t.bytes},
                                           {"groups", std::move(group_rows)}}
                                .dump()
                                .c_str());
      } else {
        std::string group_text;
        for (const auto& [name, g] : groups) {
          group_text += (group_text.empty() ? "" : ", ") + name + " (floor " +
                        std::to_string(g.floor) + ", " + std::to_string(g.pending.size()) +
                        " pending)";
        }
        char row[1024];
        std::snprintf(row, sizeof row, "%-12s %-32s %10llu %10llu %12llu  %-24s ", t.tenant.c_str(),
                      t.topic.c_str(), static_cast<unsigned long long>(t.first_seq),
                      static_cast<unsigned long long>(t.last_seq),
                      static_cast<unsigned long long>(t.bytes),
                      t.last_ts_ms > 0 ? iso_time(t.last_ts_ms).c_str() : "-");
        rows.push_back(row + (group_text.empty() ? std::string("-") : group_text));
      }
      progress.update(topics);
    }
    cursor = std::move(page.next);
  } while (!cursor.empty());
  progress.finish();
  for (const auto& row : rows) {
    std::printf("%s\n", row.c_str());
  }
  if (!common.json) {
    std::printf("\n%llu topics, %llu bytes of event data\n",
                static_cast<unsigned long long>(topics), static_cast<unsigned long long>(bytes));
  }
  return 0;
}

} // namespace switchyard::ctl
