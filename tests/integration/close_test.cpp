// How connections end: a peer that never reads is closed after the write timeout, a
// silent one after twice ping_ms, close codes arrive even while the client is still
// sending, and input in any slicing works.

#include "tests/support/protocol_helpers.hpp"
#include "tests/support/raw_socket.hpp"
#include "tests/support/test_node.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <netinet/in.h>

namespace switchyard::testing {
namespace {

const std::string client_close_frame = ws_client_frame(std::string("\x03\xe8", 2), 8); // 1000

/// Reads a raw connection until it closes and returns the close code the server sent (0:
/// none). With `answer`, replies to the server's close frame like a WebSocket client.
uint16_t close_code_of(raw_socket& s, std::chrono::milliseconds timeout = 10s, bool answer = true) {
  std::string got;
  bool answered = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto chunk = s.read(100ms);
    if (!chunk) {
      break;
    }
    got += *chunk;
    if (answer && !answered && ws_close_code_in(got) != 0) {
      s.write(client_close_frame);
      answered = true;
    }
  }
  return ws_close_code_in(got);
}

TEST(Closing, ASubscriberThatNeverReadsIsClosedAfterTheWriteTimeout) {
  test_node node{[](runtime::node_config& cfg) { cfg.limits.write_timeout_ms = 300; }};
  // A peer with a tiny receive buffer that never reads once subscribed.
  raw_socket stuck{node.port(), 4096};
  ASSERT_TRUE(stuck.handshake(node.port()));
  ASSERT_TRUE(stuck.write(ws_client_frame(R"({"op":"connect"})")));
  ASSERT_TRUE(stuck.write(ws_client_frame(R"({"id":2,"op":"subscribe","topic":"wide"})")));
  ws_client reader{node.port()};
  ws_client pub{node.port()};
  connect(reader);
  connect(pub);
  ASSERT_TRUE(json::parse(reader.request(R"("op":"subscribe","topic":"wide")", 2)).contains("ok"));
  ASSERT_TRUE(wait_for([&] { return node.get().subscriber_count("default", "wide") == 2; }));
  // Far more than the socket buffers between the node and the stuck peer hold, published
  // ten to a frame while the healthy subscriber reads along.
  constexpr int events = 160;
  std::jthread read_all([&] { // joined on any early return of the test
    for (int i = 1; i <= events; ++i) {
      auto ev = parse(reader.next(10s));
      if (ev["seq"] != i) {
        ADD_FAILURE() << "reader expected seq " << i << ", got " << ev.dump().substr(0, 80);
        return;
      }
    }
  });
  const std::string blob(64 * 1024, 'w');
  for (int first = 0; first < events; first += 10) {
    std::string frame;
    for (int i = first; i < first + 10; ++i) {
      frame += R"({"id":)" + std::to_string(10 + i) + R"(,"op":"publish","topic":"wide","data":")" +
               blob + "\"}\n";
    }
    pub.send_text(frame);
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(parse(pub.next()).contains("ok"));
    }
  }
  read_all.join();
  // The stuck peer's writes stopped moving: closed after 300 ms (+ the 2 s linger when
  // the close frame cannot get through), while the others are served.
  EXPECT_TRUE(wait_for([&] { return node.get().live_connections() == 2; }, 8s))
      << node.get().live_connections() << " connections";
  EXPECT_EQ(node.get().subscriber_count("default", "wide"), 1u);
  expect_node_serves(node.port());
}

TEST(Closing, AFrameOverTheLimitIsAnsweredWith1009WhileTheClientIsStillSendingIt) {
  test_node node;
  for (int attempt = 0; attempt < 10; ++attempt) {
    raw_socket s{node.port()};
    ASSERT_TRUE(s.handshake(node.port()));
    const auto frame = ws_client_frame(std::string(2 * 1024 * 1024, 'x'));
    // Like a client library: the frame goes out whole, then the answer to the close.
    std::jthread writer([&] { s.write(frame) && s.write(client_close_frame); });
    EXPECT_EQ(close_code_of(s, 10s, false), 1009) << "attempt " << attempt;
    writer.join();
  }
  expect_node_serves(node.port());
}

TEST(Closing, AClientThatNeverReadsItsRepliesIsClosedWith1008) {
  test_node node{[](runtime::node_config& cfg) { cfg.limits.outbound_queue = 16; }};
  raw_socket s{node.port(), 4096};
  ASSERT_TRUE(s.handshake(node.port()));
  ASSERT_TRUE(s.write(ws_client_frame(R"({"op":"connect"})")));
  ASSERT_TRUE(wait_for([&] { return node.get().live_connections() == 1; }));
  // Requests whose replies (errors: already connected) fill the socket buffers fast.
  std::string requests;
  for (int i = 0; i < 1000; ++i) {
    requests += R"({"id":)" + std::to_string(i) + R"(,"op":"connect"})" + "\n";
  }
  std::atomic<bool> stop{false};
  std::jthread writer([&] {
    for (int i = 0; i < 400 && !stop; ++i) {
      if (!s.write(ws_client_frame(requests), &stop)) {
        return;
      }
    }
  });
  const stop_on_exit stopper{stop};
  // Replies pile up past 4 x outbound_queue: the node gives up on the client. Its close
  // frame cannot get past the unread replies, so the socket is cut after the linger.
  ASSERT_TRUE(wait_for([&] { return node.get().live_connections() == 0; }, 20s));
  stop = true;
  writer.join();
  EXPECT_TRUE(s.wait_closed(5s));
  expect_node_serves(node.port());
}

TEST(Closing, AHandshakeAndFramesWrittenOneByteAtATimeWork) {
  test_node node;
  raw_socket s{node.port()};
  for (char b : ws_upgrade_request(node.port())) {
    ASSERT_TRUE(s.write(std::string(1, b)));
  }
  std::string got;
  while (got.find("\r\n\r\n") == std::string::npos) {
    auto chunk = s.read(5s, 1);
    ASSERT_TRUE(chunk.has_value() && !chunk->empty()) << got;
    got += *chunk;
  }
  ASSERT_EQ(got.rfind("HTTP/1.1 101", 0), 0u) << got;
  got.clear();
  const auto frames = ws_client_frame(R"({"id":1,"op":"connect"})") +
                      ws_client_frame(R"({"id":2,"op":"publish","topic":"slow","data":[1,2]})");
  for (char b : frames) {
    ASSERT_TRUE(s.write(std::string(1, b)));
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got.find(R"("id":2,"ok":{"seq":1)") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    auto chunk = s.read(100ms);
    ASSERT_TRUE(chunk.has_value()) << got;
    got += *chunk;
  }
  EXPECT_NE(got.find(R"("id":1,"ok")"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("id":2,"ok":{"seq":1)"), std::string::npos) << got;
}

/// What a raw connection receives until it closes or `timeout` passes; with
/// `answer_pings`, each ping is answered with a pong as a WebSocket client would.
struct heard_until_closed {
  std::vector<ws_frame> frames;
  bool closed = false;
  std::chrono::steady_clock::duration after{}; ///< from the start to the close
};

heard_until_closed listen(raw_socket& s, std::chrono::milliseconds timeout, bool answer_pings) {
  heard_until_closed heard;
  std::string got = "\r\n\r\n"; // the handshake response was read already
  std::size_t answered = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < timeout) {
    auto chunk = s.read(50ms);
    if (!chunk) {
      heard.closed = true;
      heard.after = std::chrono::steady_clock::now() - start;
      break;
    }
    got += *chunk;
    heard.frames = ws_frames_in(got);
    for (; answer_pings && answered < heard.frames.size(); ++answered) {
      if (heard.frames[answered].opcode == 9) {
        EXPECT_TRUE(s.write(ws_client_frame(heard.frames[answered].payload, 10)));
      }
    }
  }
  return heard;
}

std::size_t pings_in(const heard_until_closed& heard) {
  return static_cast<std::size_t>(std::count_if(heard.frames.begin(), heard.frames.end(),
                                                [](const ws_frame& f) { return f.opcode == 9; }));
}

TEST(Closing, ASilentPeerIsPingedAfterPingMsAndCutAfterTwice) {
  test_node node{[](runtime::node_config& cfg) { cfg.limits.ping_ms = 1000; }};
  raw_socket quiet{node.port()};
  ASSERT_TRUE(quiet.handshake(node.port()));
  ASSERT_TRUE(wait_for([&] { return node.get().live_connections() == 1; }));
  const auto heard = listen(quiet, 8s, false);
  ASSERT_TRUE(heard.closed);
  EXPECT_EQ(pings_in(heard), 1u);
  // Silent since the handshake: never cut before twice ping_ms.
  EXPECT_GE(heard.after, 2000ms - 100ms);
  EXPECT_TRUE(wait_for([&] { return node.get().live_connections() == 0; }));
  expect_node_serves(node.port());
}

TEST(Closing, APeerThatAnswersPingsStaysConnectedThoughItSendsNothingElse) {
  test_node node{[](runtime::node_config& cfg) { cfg.limits.ping_ms = 1000; }};
  raw_socket peer{node.port()};
  ASSERT_TRUE(peer.handshake(node.port()));
  ASSERT_TRUE(peer.write(ws_client_frame(R"({"op":"connect"})")));
  const auto heard = listen(peer, 3500ms, true);
  EXPECT_FALSE(heard.closed);
  EXPECT_GE(pings_in(heard), 2u);
  ASSERT_TRUE(peer.write(ws_client_frame(R"({"id":7,"op":"ping"})")));
  const auto reply = listen(peer, 1s, true);
  // A ping may come after the reply within that second: look at every frame.
  EXPECT_TRUE(std::any_of(reply.frames.begin(), reply.frames.end(), [](const ws_frame& f) {
    return f.payload.find(R"("id":7,"ok")") != std::string::npos;
  }));
}

} // namespace
} // namespace switchyard::testing
