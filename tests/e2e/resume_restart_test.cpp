// End-to-end (PROTOCOL.md, Resume and Drain): 1,000 clients of the real binary, half
// of them JSON and half MessagePack, subscribed with `from`; the node drains (SIGTERM)
// and exits, a new one starts on the same store; every client resumes with its
// session and the last seq it read, and ends up with every event of its topic exactly
// once, in order.

#include "tests/support/encoded_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_node.hpp"

#include <csignal>
#include <numeric>

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace switchyard::testing {
namespace {

using namespace std::chrono_literals;

constexpr int client_count = 1000;
constexpr int topic_count = 10;
constexpr int before_restart = 20; ///< events per topic published before the drain
constexpr int after_restart = 10;  ///< and after the restart

/// Each client holds a few descriptors (socket, and its io_context's): 1,000 of them
/// need more than the usual soft limit of 1024.
void raise_open_files_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

std::string topic_of(int client) {
  return "room/" + std::to_string(client % topic_count);
}

struct client {
  std::unique_ptr<encoded_client> socket;
  wire encoding = wire::in_json;
  std::string session;
  std::string topic;
  std::vector<int64_t> seqs; ///< of the events read, in order
};

/// Reads `c`'s events until it has `last` (false on a timeout or close first), or with
/// `until_closed` until the node closes it.
bool read_events(client& c, int64_t last, bool until_closed = false) {
  while (until_closed || (c.seqs.empty() ? 0 : c.seqs.back()) < last) {
    auto m = c.socket->next(10s);
    if (m.is_null()) {
      return until_closed;
    }
    if (m.value("push", "") == "event") {
      EXPECT_EQ(m["data"].get<int64_t>(), m["seq"].get<int64_t>()) << m.dump();
      c.seqs.push_back(m["seq"].get<int64_t>());
    }
  }
  return true;
}

void publish_all(uint16_t port, int64_t from, int64_t to) {
  encoded_client pub{port, wire::in_json};
  pub.connect();
  for (int t = 0; t < topic_count; ++t) {
    const int64_t first_id = 100 + t * (to - from + 1);
    std::vector<json> frame;
    for (auto seq = from; seq <= to; ++seq) {
      frame.push_back({{"op", "publish"},
                       {"id", first_id + seq - from},
                       {"topic", "room/" + std::to_string(t)},
                       {"data", seq}});
    }
    pub.send_frame(frame);
    for (auto seq = from; seq <= to; ++seq) {
      auto r = pub.reply(first_id + seq - from);
      ASSERT_EQ(r["ok"]["seq"], seq) << r.dump();
    }
  }
}

TEST(ResumeAfterRestart, AThousandClientsDrainedAndResumedGetEveryEventExactlyOnceInOrder) {
  raise_open_files_limit();
  temp_dir dir;
  const std::vector<std::string> args{"--port",
                                      "0",
                                      "--data-dir",
                                      (dir.path() / "data").string(),
                                      "--log-level",
                                      "info",
                                      "--drain-spread-ms",
                                      "2000",
                                      "--drain-timeout-ms",
                                      "10000"};
  std::vector<client> clients(client_count);
  {
    node_process proc{SWITCHYARD_BIN, args, dir.path() / "first.log"};
    const auto port = proc.wait_for_port();
    ASSERT_NE(port, 0) << proc.log();
    publish_all(port, 1, before_restart);
    for (int i = 0; i < client_count; ++i) {
      auto& c = clients[static_cast<std::size_t>(i)];
      c.encoding = i % 2 == 0 ? wire::in_json : wire::in_msgpack;
      c.topic = topic_of(i);
      c.socket = std::make_unique<encoded_client>(port, c.encoding);
      auto ok = c.socket->request({{"op", "connect"}}, 1);
      ASSERT_TRUE(ok.contains("ok")) << ok.dump();
      c.session = ok["ok"]["session"].get<std::string>();
      auto sub =
          c.socket->request({{"op", "subscribe"}, {"topic", c.topic}, {"from", {{"seq", 1}}}}, 2);
      ASSERT_EQ(sub["ok"]["replayed"], before_restart) << sub.dump();
    }
    // Clients stop at different places: some read nothing, some everything.
    for (int i = 0; i < client_count; ++i) {
      ASSERT_TRUE(read_events(clients[static_cast<std::size_t>(i)], i % (before_restart + 1)));
    }
    proc.signal(SIGTERM);
    // A third reads on until the node closes it (what it read counts); the others are
    // cut without reading more, so what the node had written to them is lost to them.
    int closed_1001 = 0;
    for (int i = 0; i < client_count; i += 3) {
      auto& c = clients[static_cast<std::size_t>(i)];
      read_events(c, 0, true);
      closed_1001 += c.socket->socket().close_code() == 1001 ? 1 : 0;
    }
    EXPECT_EQ(closed_1001, (client_count + 2) / 3);
    EXPECT_EQ(proc.wait(30s), 0) << proc.log();
    EXPECT_NE(proc.log().find("drain.finished"), std::string::npos);
  }
  for (auto& c : clients) {
    c.socket.reset();
  }

  node_process proc{SWITCHYARD_BIN, args, dir.path() / "second.log"};
  const auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();
  publish_all(port, before_restart + 1, before_restart + after_restart);
  constexpr int64_t last = before_restart + after_restart;
  int resumed = 0;
  for (auto& c : clients) {
    const int64_t seen = c.seqs.empty() ? 0 : c.seqs.back();
    c.socket = std::make_unique<encoded_client>(port, c.encoding);
    c.socket->send({{"op", "connect"},
                    {"id", 1},
                    {"resume", {{"session", c.session}, {"topics", {{c.topic, seen}}}}}});
    auto reply = c.socket->next(10s);
    ASSERT_EQ(reply.value("id", 0), 1) << "the reply comes before any event: " << reply.dump();
    ASSERT_EQ(reply["ok"]["resumed"][c.topic]["from_seq"], seen + 1) << reply.dump();
    ASSERT_TRUE(read_events(c, last)) << c.topic << " stopped at " << c.seqs.size();
    std::vector<int64_t> expected(last);
    std::iota(expected.begin(), expected.end(), 1);
    ASSERT_EQ(c.seqs, expected) << c.topic;
    ++resumed;
  }
  EXPECT_EQ(resumed, client_count);
}

} // namespace
} // namespace switchyard::testing
