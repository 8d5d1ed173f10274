#include "tests/support/ws_client.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <stdexcept>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace switchyard::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

struct ws_client::impl {
  net::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buffer;
  std::string subprotocol;
  std::deque<std::string> pending; ///< messages of a frame not yet returned
  uint16_t close_code = 0;
  bool open = false;
  /// A read is pending. It stays pending across a read_frame that timed out, so a test
  /// may wait for "nothing arrives" and go on reading (cancelling a WebSocket read would
  /// end the stream).
  bool reading = false;
  bool read_done = false;
  beast::error_code read_result;

  /// Runs one async operation to completion or until the timeout, then cancels it.
  template <class Start> bool run_for(std::chrono::milliseconds timeout, Start start) {
    bool done = false;
    start(done);
    ioc.restart();
    ioc.run_for(timeout);
    if (!done) {
      beast::error_code ignored;
      ws.next_layer().cancel(ignored);
      ioc.restart();
      ioc.run_for(1s);
    }
    return done;
  }
};

ws_client::ws_client(uint16_t port, std::string subprotocol, std::string target)
    : impl_(std::make_unique<impl>()) {
  auto& d = *impl_;
  d.ws.next_layer().connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  // Like the node: no Nagle delay behind the peer's delayed ACK (40 ms a request).
  d.ws.next_layer().set_option(tcp::no_delay(true));
  d.ws.set_option(websocket::stream_base::decorator([subprotocol](websocket::request_type& req) {
    if (!subprotocol.empty()) {
      req.set(http::field::sec_websocket_protocol, subprotocol);
    }
  }));
  d.ws.read_message_max(64 << 20);
  websocket::response_type res;
  d.ws.handshake(res, "127.0.0.1:" + std::to_string(port), target);
  d.subprotocol = std::string{res[http::field::sec_websocket_protocol]};
  d.open = true;
}

ws_client::~ws_client() {
  if (impl_) {
    abort();
  }
}

ws_client::ws_client(ws_client&&) noexcept = default;

const std::string& ws_client::subprotocol() const {
  return impl_->subprotocol;
}

void ws_client::send_text(const std::string& frame) {
  impl_->ws.text(true);
  impl_->ws.write(net::buffer(frame));
}

void ws_client::send_binary(const std::string& frame) {
  impl_->ws.binary(true);
  impl_->ws.write(net::buffer(frame));
}

std::optional<std::string> ws_client::read_frame(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (!d.open) {
    return std::nullopt;
  }
  if (!d.reading) {
    d.reading = true;
    d.read_done = false;
    d.ws.async_read(d.buffer, [&d](beast::error_code ec, std::size_t) {
      d.read_result = ec;
      d.read_done = true;
    });
  }
  d.ioc.restart();
  d.ioc.run_for(timeout); // returns as soon as the read completed: no other work
  if (!d.read_done) {
    return std::nullopt;
  }
  d.reading = false;
  const auto result = d.read_result;
  if (result) {
    // The peer's close frame came (its code is in reason()) even when the read ends with
    // another error: a client that read it late finds the peer already gone when Beast
    // answers the close, and the read reports that write's failure.
    if (result == websocket::error::closed || d.ws.reason().code != websocket::close_code::none) {
      d.close_code = static_cast<uint16_t>(d.ws.reason().code);
    }
    d.open = false;
    return std::nullopt;
  }
  auto frame = beast::buffers_to_string(d.buffer.data());
  d.buffer.consume(d.buffer.size());
  return frame;
}

std::optional<std::string> ws_client::next(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (d.pending.empty()) {
    auto frame = read_frame(timeout);
    if (!frame) {
      return std::nullopt;
    }
    if (!d.ws.got_text()) {
      return frame;
    }
    std::size_t start = 0;
    while (start <= frame->size()) {
      auto nl = frame->find('\n', start);
      auto line = frame->substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      if (!line.empty()) {
        d.pending.push_back(std::move(line));
      }
      if (nl == std::string::npos) {
        break;
      }
      start = nl + 1;
    }
  }
  if (d.pending.empty()) {
    return std::nullopt;
  }
  auto msg = std::move(d.pending.front());
  d.pending.pop_front();
  return msg;
}

std::optional<std::string> ws_client::next_containing(const std::string& needle,
                                                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto msg = next(std::max(left, std::chrono::milliseconds{1}));
    if (!msg) {
      return std::nullopt;
    }
    if (msg->find(needle) != std::string::npos) {
      return msg;
    }
  }
  return std::nullopt;
}

std::string ws_client::request(const std::string& json_without_braces, int64_t id) {
  auto tag = "\"id\":" + std::to_string(id) + ",";
  send_text("{" + tag + json_without_braces + "}");
  std::deque<std::string> skipped;
  std::string reply;
  while (auto msg = next()) {
    if (msg->rfind("{" + tag, 0) == 0) {
      reply = std::move(*msg);
      break;
    }
    skipped.push_back(std::move(*msg));
  }
  for (auto it = skipped.rbegin(); it != skipped.rend(); ++it) {
    impl_->pending.push_front(std::move(*it));
  }
  return reply;
}

uint16_t ws_client::close_code() const {
  return impl_->close_code;
}

uint16_t ws_client::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (impl_->open && std::chrono::steady_clock::now() < deadline) {
    read_frame(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
  }
  return impl_->close_code;
}

void ws_client::close() {
  auto& d = *impl_;
  if (!d.open) {
    return;
  }
  d.run_for(5s, [&](bool& done) {
    d.ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
  });
  d.open = false;
}

void ws_client::write_raw(const std::string& bytes) {
  net::write(impl_->ws.next_layer(), net::buffer(bytes));
}

void ws_client::abort() {
  beast::error_code ignored;
  impl_->ws.next_layer().close(ignored);
  impl_->open = false;
}

http_answer http_call(uint16_t port, const std::string& method, const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body) {
  net::io_context ioc;
  tcp::socket sock{ioc};
  sock.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) {
    req.set(name, value);
  }
  req.body() = body;
  req.prepare_payload();
  http::write(sock, req);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(sock, buf, parser);
  const auto& res = parser.get();
  http_answer out{static_cast<int>(res.result_int()), res.body(), {}};
  for (const auto& field : res) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers[name] = std::string(field.value());
  }
  return out;
}

std::pair<int, std::string>
http_request(uint16_t port, const std::string& method, const std::string& target,
             const std::vector<std::pair<std::string, std::string>>& headers,
             const std::string& body) {
  auto answer = http_call(port, method, target, headers, body);
  return {answer.status, std::move(answer.body)};
}

std::pair<int, std::string>
http_get(uint16_t port, const std::string& target,
         const std::vector<std::pair<std::string, std::string>>& headers) {
  return http_request(port, "GET", target, headers);
}

} // namespace switchyard::testing
