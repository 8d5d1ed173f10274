// Fuzz target for the whole accept + read path over an in-memory stream: any bytes, as
// an HTTP request, as WebSocket frames after a valid upgrade, or as messages inside
// valid frames, go through the node's real HTTP session, WebSocket session, connection
// actor, topics and store (a node started once, its store in a temp dir). The node must
// neither crash nor keep an actor of a connection that ended.
//
// The first input byte picks the layer: 0 raw bytes from the request line on; 1 a valid
// JSON upgrade, then raw frame bytes; 2 / 3 a valid JSON / msgpack upgrade, then the rest
// split at "\xff\xfe" into messages, each sent in its own masked frame.

#include "transport/net.hpp"

#include <chrono>
#include <string>

#include <boost/beast/_experimental/test/stream.hpp>

// The in-memory stream's side of stream_ops.hpp, declared before the session templates.
namespace switchyard::transport {
inline std::string remote_of(beast::test::stream&) {
  return "fuzz";
}
inline void expire_after(beast::test::stream&, std::chrono::seconds) {}
inline void expire_never(beast::test::stream&) {}
inline beast::test::stream websocket_layer(beast::test::stream&& s) {
  return std::move(s);
}
inline void cut(beast::test::stream& s) {
  s.close();
}
inline void shutdown_send(beast::test::stream& s) {
  s.close();
}
} // namespace switchyard::transport

#include "actors/node_context.hpp"
#include "tests/support/raw_socket.hpp"
#include "tests/support/test_node.hpp"
#include "transport/http_router.hpp"
#include "transport/http_session.hpp"
#include "transport/session_registry.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

namespace {

using namespace switchyard;
namespace net = boost::asio;
namespace beast = boost::beast;

/// A node, and one io_context on its own thread for every fuzz connection: a session
/// may outlive its input (a close lingers up to 2 s), and an in-memory stream must not
/// outlive its io_context.
struct harness {
  testing::test_node node;
  std::atomic<bool> stopping{false};
  transport::session_registry sessions;
  // An input may ask for POST /admin/drain: without a server behind the sessions there
  // is nothing to drain, the route's answer is what gets exercised.
  transport::http_router router = transport::node_routes(node.get().context(), stopping, [] {});
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(ioc);
  std::thread io{[this] { ioc.run(); }};

  ~harness() {
    // Every session ends on its own (the client closed); then every connection actor
    // must have heard it, or it would keep the node from stopping.
    wait_until([&] { return sessions.size() == 0; }, "sessions outlived their clients");
    work.reset();
    io.join();
    wait_until([&] { return node.get().live_connections() == 0; },
               "connection actors outlived their sessions");
  }

  template <class Pred> static void wait_until(Pred done, const char* failure) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "fuzz: %s\n", failure);
        std::abort();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
};

/// Created on the first input and stopped by fuzz_teardown(): a node stopped during
/// static destruction would outlive parts of CAF.
harness* instance = nullptr;

harness& the_harness() {
  if (instance == nullptr) {
    instance = new harness;
  }
  return *instance;
}

std::string upgrade(const std::string& subprotocol) {
  return testing::ws_upgrade_request(7400, subprotocol);
}

/// What the client sends for this input: an opening (the HTTP request) and, once the
/// server answered it (RFC 6455: not before), the rest.
struct client_bytes {
  std::string opening;
  std::string rest;
};

client_bytes bytes_for(std::string_view input) {
  if (input.empty()) {
    return {};
  }
  const auto mode = static_cast<uint8_t>(input[0]) % 4;
  input.remove_prefix(1);
  if (mode == 0) {
    return {std::string(input), {}};
  }
  if (mode == 1) {
    return {upgrade(""), std::string(input)};
  }
  client_bytes out{upgrade(mode == 2 ? "switchyard.v1.json" : "switchyard.v1.msgpack"), {}};
  while (true) {
    const auto cut = input.find("\xff\xfe");
    out.rest += testing::ws_client_frame(std::string(input.substr(0, cut)), mode == 2 ? 1 : 2);
    if (cut == std::string_view::npos) {
      return out;
    }
    input.remove_prefix(cut + 2);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& h = the_harness();
  auto bytes =
      std::make_shared<client_bytes>(bytes_for({reinterpret_cast<const char*>(data), size}));
  auto client = std::make_shared<beast::test::stream>(h.ioc);
  // The streams are touched on the io thread only.
  net::post(h.ioc, [&h, client, bytes] {
    beast::test::stream server{h.ioc};
    server.connect(*client);
    client->write_some(net::buffer(bytes->opening));
    std::make_shared<transport::http_session<beast::test::stream>>(
        std::move(server), h.node.get().context(), h.sessions, h.router, h.stopping)
        ->run();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(2)); // the server answers the opening
  net::post(h.ioc, [client, bytes] {
    if (!bytes->rest.empty()) {
      client->write_some(net::buffer(bytes->rest));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(3)); // the actors answer
  // Then the client vanishes.
  net::post(h.ioc, [client] { client->close(); });
  return 0;
}

void fuzz_teardown() {
  delete instance;
  instance = nullptr;
}

std::vector<std::string> fuzz_seeds() {
  const std::string json_mode(1, '\x02');
  const std::string msgpack_mode(1, '\x03');
  const std::string sep = "\xff\xfe";
  return {
      std::string(1, '\x00') + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      std::string(1, '\x00') + upgrade("switchyard.v1.json"),
      std::string(1, '\x01') + testing::ws_client_frame(R"({"id":1,"op":"connect"})") +
          testing::ws_client_frame("ping", 9),
      json_mode + R"({"id":1,"op":"connect"})" + sep +
          R"({"id":2,"op":"subscribe","topic":"f","from":{"seq":1}})" + sep +
          R"({"id":3,"op":"publish","topic":"f","data":{"a":[1,"x",null]},"key":"k"})" + sep +
          R"({"id":4,"op":"history","topic":"f","from_seq":1})",
      msgpack_mode +
          std::string("\x81\xa2op\xa7"
                      "connect",
                      12) +
          sep +
          std::string("\x83\xa2op\xa7publish\xa5topic\xa1t\xa4"
                      "data\xc4\x03\x01\x02\x03",
                      30),
  };
}
