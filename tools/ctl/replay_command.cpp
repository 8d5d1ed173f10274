// replay: publishes a seq range of one topic's stored events to another topic, in seq
// order, over one MessagePack WebSocket connection (so data, binary included, is copied
// unchanged). Each copy carries the idem token "replay:<source hash>:<seq>": running the
// same replay again (after an interruption, say) copies nothing twice within the
// node's dedup window.

#include "tools/ctl/commands.hpp"
#include "tools/ctl/ctl_error.hpp"
#include "tools/ctl/progress_bar.hpp"
#include "tools/ctl/ws_link.hpp"

#include <charconv>
#include <cstdio>
#include <thread>
#include <unordered_map>

namespace switchyard::ctl {

namespace {

struct seq_range {
  uint64_t from = 0;
  std::optional<uint64_t> to;
};

seq_range parse_range(const std::string& text) {
  auto bad = [&] {
    return ctl_error("usage", "range '" + text + "': expected FROM..TO or FROM.. (seqs from 1)");
  };
  const auto dots = text.find("..");
  if (dots == std::string::npos) {
    throw bad();
  }
  auto number = [&](std::string_view digits) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || end != digits.data() + digits.size() || v == 0) {
      throw bad();
    }
    return v;
  };
  seq_range r;
  r.from = number(std::string_view(text).substr(0, dots));
  if (dots + 2 < text.size()) {
    r.to = number(std::string_view(text).substr(dots + 2));
    if (*r.to < r.from) {
      throw bad();
    }
  }
  return r;
}

std::string source_hash(const std::string& topic) {
  uint64_t h = 14695981039346656037ull; // FNV-1a 64
  for (unsigned char c : topic) {
    h = (h ^ c) * 1099511628211ull;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

struct tally {
  uint64_t published = 0;
  uint64_t duplicates = 0;
  uint64_t expired = 0;
};

/// Publishes `batch` (in one frame) and waits for every reply. What the node took is a
/// prefix of the batch (a topic takes consecutive publishes of a frame until it has no
/// room); a refusal the node says to retry is retried from there, in order.
/// `seqs` are the source seqs of the batch's events.
void publish_in_order(ws_link& link, std::vector<nlohmann::json> batch, std::vector<uint64_t> seqs,
                      tally& counts) {
  while (!batch.empty()) {
    std::unordered_map<uint64_t, std::size_t> index;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]["id"] = link.next_id();
      index[batch[i]["id"].get<uint64_t>()] = i;
    }
    link.send(batch);
    std::vector<nlohmann::json> replies(batch.size());
    for (std::size_t answered = 0; answered < batch.size();) {
      auto message = link.next_message();
      if (auto id = message.find("id"); id != message.end() && id->is_number_unsigned()) {
        if (auto at = index.find(id->get<uint64_t>()); at != index.end()) {
          replies[at->second] = std::move(message);
          ++answered;
        }
      }
    }
    std::size_t taken = 0;
    while (taken < replies.size() && replies[taken].contains("ok")) {
      counts.duplicates += replies[taken]["ok"].value("dup", false) ? 1 : 0;
      ++taken;
    }
    counts.published += taken;
    if (taken == replies.size()) {
      return;
    }
    const auto refused = ctl_error::from_node(replies[taken]["error"]);
    const auto seq = std::to_string(seqs[taken]);
    for (std::size_t i = taken + 1; i < replies.size(); ++i) {
      if (replies[i].contains("ok")) {
        throw ctl_error("order", "seq " + seq + " was refused (" + refused.what() +
                                     ") but later ones were published: the copy is out of order");
      }
    }
    if (!refused.retryable()) {
      throw ctl_error(refused.code(), "stopped at source seq " + seq + ": " + refused.what() +
                                          " (what came before is published; " +
                                          "the same replay again goes on from there)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(refused.retry_after_ms()));
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(taken));
    seqs.erase(seqs.begin(), seqs.begin() + static_cast<std::ptrdiff_t>(taken));
  }
}

} // namespace

int run_replay(const common_options& common, const replay_options& opts) {
  auto range = parse_range(opts.range);
  if (opts.to.empty()) {
    throw ctl_error("usage", "--to names the destination topic");
  }
  ws_link link(common.node(), wire::msgpack);
  const auto idem_prefix = "replay:" + source_hash(opts.topic) + ":";
  constexpr std::size_t max_batch = 256;
  tally counts;
  std::optional<progress_bar> progress;
  uint64_t next = range.from;
  uint64_t done = 0;
  for (;;) {
    auto page =
        link.call({{"op", "history"}, {"topic", opts.topic}, {"from_seq", next}, {"limit", 1000}});
    const uint64_t last_seq = page.value("last_seq", 0ull);
    if (!range.to) {
      range.to = last_seq; // the newest when the replay starts
    }
    if (!progress) {
      progress.emplace("replay", *range.to >= range.from ? *range.to - range.from + 1 : 0,
                       common.show_progress());
    }
    std::vector<nlohmann::json> batch;
    std::vector<uint64_t> seqs;
    std::size_t batch_bytes = 0;
    bool finished = page["events"].empty();
    for (auto& event : page["events"]) {
      const uint64_t seq = event.value("seq", 0ull);
      if (seq > *range.to) {
        finished = true;
        break;
      }
      ++done;
      if (event.value("expired", false)) {
        ++counts.expired;
        continue;
      }
      nlohmann::json publish = {{"op", "publish"},
                                {"topic", opts.to},
                                {"data", std::move(event["data"])},
                                {"idem", idem_prefix + std::to_string(seq)}};
      for (const char* field : {"key", "ttl_ms"}) {
        if (event.contains(field)) {
          publish[field] = event[field];
        }
      }
      const auto bytes = link.encoded_size(publish) + 16; // room for the id
      if (!batch.empty() &&
          (batch.size() == max_batch || batch_bytes + bytes > link.max_frame_bytes())) {
        publish_in_order(link, std::move(batch), std::move(seqs), counts);
        batch.clear();
        seqs.clear();
        batch_bytes = 0;
        progress->update(done);
      }
      batch.push_back(std::move(publish));
      seqs.push_back(seq);
      batch_bytes += bytes;
    }
    publish_in_order(link, std::move(batch), std::move(seqs), counts);
    progress->update(done);
    next = page.value("next_seq", next);
    if (finished || next > *range.to || next > last_seq) {
      break;
    }
  }
  progress->finish();
  if (common.json) {
    std::printf("%s\n", nlohmann::json{{"from", range.from},
                                       {"to", *range.to},
                                       {"target", opts.to},
                                       {"published", counts.published - counts.duplicates},
                                       {"duplicates", counts.duplicates},
                                       {"expired_skipped", counts.expired}}
                            .dump()
                            .c_str());
  } else {
    std::printf("replayed %s %llu..%llu into %s: %llu published, %llu there already, %llu "
                "expired and skipped\n",
                opts.topic.c_str(), static_cast<unsigned long long>(range.from),
                static_cast<unsigned long long>(*range.to), opts.to.c_str(),
                static_cast<unsigned long long>(counts.published - counts.duplicates),
                static_cast<unsigned long long>(counts.duplicates),
                static_cast<unsigned long long>(counts.expired));
  }
  return 0;
}

} // namespace switchyard::ctl
