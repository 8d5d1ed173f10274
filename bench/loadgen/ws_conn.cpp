#include "bench/loadgen/ws_conn.hpp"

#include "bench/loadgen/clock.hpp"
#include "bench/loadgen/io_pool_impl.hpp"

#include <deque>
#include <string>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace switchyard::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr char subprotocol[] = "switchyard.v1.json";
/// A frame stops taking messages past this size (the node refuses frames over 1 MiB).
constexpr std::size_t max_frame_bytes = 256 * 1024;
/// Largest frame accepted from the node; its coalesced pushes can be large.
constexpr std::size_t max_read_bytes = 64 * 1024 * 1024;

} // namespace

struct ws_conn::impl {
  struct frame {
    std::string bytes;
    std::size_t msgs = 0;
  };

  impl(net::io_context& ioc, const endpoint& e, ws_handler& h, std::size_t max_msgs)
      : ws(ioc), ep(e), handler(h), max_frame_msgs(max_msgs == 0 ? 1 : max_msgs) {}

  websocket::stream<tcp::socket> ws;
  beast::flat_buffer read_buf;
  websocket::response_type handshake_res;
  endpoint ep;
  ws_handler& handler;
  std::size_t max_frame_msgs;
  std::deque<frame> frames; ///< the front one is on the wire while `writing`
  std::size_t queued_msgs = 0;
  std::size_t queued_bytes = 0;
  bool open = false;
  bool writing = false;
  bool closed = false;

  void connect();
  void on_connect(const error_code& ec);
  void on_handshake(const error_code& ec);
  void do_read();
  void on_read(const error_code& ec);
  void write_front();
  void on_write(const error_code& ec);
  void append(std::string_view msg);
  void fail(std::string_view where, const error_code& ec);
  void fail(std::string_view why);
};

void ws_conn::impl::connect() {
  error_code ec;
  const auto address = net::ip::make_address(ep.address, ec);
  if (ec) {
    return fail("address", ec);
  }
  ws.next_layer().async_connect(tcp::endpoint(address, ep.port),
                                [this](const error_code& e) { on_connect(e); });
}

void ws_conn::impl::on_connect(const error_code& ec) {
  if (ec) {
    return fail("connect", ec);
  }
  error_code ignored;
  ws.next_layer().set_option(tcp::no_delay(true), ignored);
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(http::field::sec_websocket_protocol, subprotocol);
    req.set(http::field::user_agent, "switchyard-bench");
  }));
  ws.text(true);
  ws.auto_fragment(false);
  ws.read_message_max(max_read_bytes);
  ws.async_handshake(handshake_res, ep.host_header, "/ws",
                     [this](const error_code& e) { on_handshake(e); });
}

void ws_conn::impl::on_handshake(const error_code& ec) {
  if (ec) {
    return fail("handshake", ec);
  }
  if (handshake_res[http::field::sec_websocket_protocol] != beast::string_view(subprotocol)) {
    return fail("the node did not accept subprotocol switchyard.v1.json");
  }
  open = true;
  do_read();
  if (!frames.empty()) {
    write_front();
  }
  handler.on_open();
}

void ws_conn::impl::do_read() {
  ws.async_read(read_buf, [this](const error_code& ec, std::size_t) { on_read(ec); });
}

void ws_conn::impl::on_read(const error_code& ec) {
  if (ec) {
    return fail("read", ec);
  }
  const uint64_t recv_ns = mono_ns();
  const auto data = read_buf.cdata();
  const std::string_view all(static_cast<const char*>(data.data()), data.size());
  std::size_t pos = 0;
  while (pos < all.size() && !closed) {
    std::size_t end = all.find('\n', pos);
    end = end == std::string_view::npos ? all.size() : end;
    if (end > pos) {
      handler.on_message(all.substr(pos, end - pos), recv_ns);
    }
    pos = end + 1;
  }
  read_buf.consume(read_buf.size());
  if (!closed) {
    do_read();
  }
}

void ws_conn::impl::write_front() {
  writing = true;
  queued_msgs -= frames.front().msgs;
  queued_bytes -= frames.front().bytes.size();
  ws.async_write(net::buffer(frames.front().bytes),
                 [this](const error_code& ec, std::size_t) { on_write(ec); });
}

void ws_conn::impl::on_write(const error_code& ec) {
  if (ec) {
    return fail("write", ec);
  }
  frames.pop_front();
  writing = false;
  if (!frames.empty()) {
    write_front();
  }
  handler.on_write_done();
}

/// Adds `msg` to the last frame unless that one is on the wire or full.
void ws_conn::impl::append(std::string_view msg) {
  const bool need_frame = frames.empty() || (writing && frames.size() == 1) ||
                          frames.back().msgs >= max_frame_msgs ||
                          frames.back().bytes.size() + msg.size() > max_frame_bytes;
  if (need_frame) {
    frames.emplace_back();
  } else {
    frames.back().bytes += '\n';
    ++queued_bytes;
  }
  frames.back().bytes.append(msg);
  ++frames.back().msgs;
  ++queued_msgs;
  queued_bytes += msg.size();
}

void ws_conn::impl::fail(std::string_view where, const error_code& ec) {
  fail(std::string(where) + ": " + ec.message());
}

void ws_conn::impl::fail(std::string_view why) {
  if (closed) {
    return;
  }
  closed = true;
  open = false;
  // The frames stay: a write in flight still refers to the front one.
  error_code ignored;
  ws.next_layer().close(ignored);
  handler.on_closed(why);
}

ws_conn::ws_conn(io_pool& pool, std::size_t worker, const endpoint& ep, ws_handler& handler,
                 std::size_t max_frame_msgs)
    : impl_(std::make_unique<impl>(pool.native().context(worker), ep, handler, max_frame_msgs)) {}

ws_conn::~ws_conn() = default;

void ws_conn::start() {
  net::post(impl_->ws.get_executor(), [d = impl_.get()] { d->connect(); });
}

void ws_conn::send_connect() {
  send(impl_->ep.connect_message);
}

void ws_conn::send(std::string_view msg) {
  if (impl_->closed) {
    return;
  }
  impl_->append(msg);
  if (impl_->open && !impl_->writing) {
    impl_->write_front();
  }
}

std::size_t ws_conn::queued_msgs() const {
  return impl_->queued_msgs;
}

std::size_t ws_conn::queued_bytes() const {
  return impl_->queued_bytes;
}

} // namespace switchyard::bench
