#include "bench/loadgen/ws_conn.hpp"

#include "bench/loadgen/clock.hpp"
#include "bench/loadgen/io_pool_impl.hpp"

#include <deque>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

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

using tls_socket = beast::ssl_stream<tcp::socket>;

/// Every wss:// connection's client context. It verifies nothing: the generator talks
/// to a node on loopback only, and measures what TLS costs, not who the node is.
net::ssl::context& tls_context() {
  static net::ssl::context context{net::ssl::context::tls_client};
  return context;
}

} // namespace

/// What ws_conn does, whatever the stream.
struct ws_conn::impl {
  virtual ~impl() = default;
  virtual void start() = 0;
  virtual void send(std::string_view msg) = 0;
  virtual void close() = 0;
  virtual const endpoint& target() const = 0;
  std::size_t queued_msgs = 0;
  std::size_t queued_bytes = 0;
};

namespace {

/// One connection over `Socket`: tcp::socket (ws://) or tls_socket (wss://).
template <class Socket> struct stream_conn final : ws_conn::impl {
  struct frame {
    std::string bytes;
    std::size_t msgs = 0;
  };

  stream_conn(net::io_context& ioc, const endpoint& e, ws_handler& h, std::size_t max_msgs)
      : ws(make_stream(ioc)), ep(e), handler(h), max_frame_msgs(max_msgs == 0 ? 1 : max_msgs) {}

  static websocket::stream<Socket> make_stream(net::io_context& ioc) {
    if constexpr (std::is_same_v<Socket, tls_socket>) {
      return websocket::stream<Socket>(ioc, tls_context());
    } else {
      return websocket::stream<Socket>(ioc);
    }
  }

  void start() override {
    net::post(ws.get_executor(), [this] { connect(); });
  }
  void send(std::string_view msg) override;
  void close() override {
    net::post(ws.get_executor(), [this] { begin_close(); });
  }
  const endpoint& target() const override { return ep; }

  websocket::stream<Socket> ws;
  beast::flat_buffer read_buf;
  websocket::response_type handshake_res;
  endpoint ep;
  ws_handler& handler;
  std::size_t max_frame_msgs;
  std::deque<frame> frames; ///< the front one is on the wire while `writing`
  bool open = false;
  bool writing = false;
  bool closing = false; ///< close() was called: the close frame follows the queued ones
  bool closed = false;

  void connect();
  void on_connect(const error_code& ec);
  void upgrade();
  void on_handshake(const error_code& ec);
  void do_read();
  void on_read(const error_code& ec);
  void write_front();
  void on_write(const error_code& ec);
  void append(std::string_view msg);
  void begin_close();
  void send_close();
  void fail(std::string_view where, const error_code& ec);
  void fail(std::string_view why);
};

template <class Socket> void stream_conn<Socket>::connect() {
  error_code ec;
  const auto address = net::ip::make_address(ep.address, ec);
  if (ec) {
    return fail("address", ec);
  }
  beast::get_lowest_layer(ws).async_connect(tcp::endpoint(address, ep.port),
                                            [this](const error_code& e) { on_connect(e); });
}

template <class Socket> void stream_conn<Socket>::on_connect(const error_code& ec) {
  if (ec) {
    return fail("connect", ec);
  }
  error_code ignored;
  beast::get_lowest_layer(ws).set_option(tcp::no_delay(true), ignored);
  if constexpr (std::is_same_v<Socket, tls_socket>) {
    ws.next_layer().async_handshake(net::ssl::stream_base::client, [this](const error_code& e) {
      if (e) {
        return fail("tls handshake", e);
      }
      upgrade();
    });
  } else {
    upgrade();
  }
}

template <class Socket> void stream_conn<Socket>::upgrade() {
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

template <class Socket> void stream_conn<Socket>::on_handshake(const error_code& ec) {
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

template <class Socket> void stream_conn<Socket>::do_read() {
  ws.async_read(read_buf, [this](const error_code& ec, std::size_t) { on_read(ec); });
}

template <class Socket> void stream_conn<Socket>::on_read(const error_code& ec) {
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
    handler.on_frame_end();
    do_read();
  }
}

template <class Socket> void stream_conn<Socket>::write_front() {
  writing = true;
  queued_msgs -= frames.front().msgs;
  queued_bytes -= frames.front().bytes.size();
  ws.async_write(net::buffer(frames.front().bytes),
                 [this](const error_code& ec, std::size_t) { on_write(ec); });
}

template <class Socket> void stream_conn<Socket>::on_write(const error_code& ec) {
  if (ec) {
    return fail("write", ec);
  }
  frames.pop_front();
  writing = false;
  if (!frames.empty()) {
    write_front();
  } else if (closing) {
    send_close();
  }
  handler.on_write_done();
}

/// Adds `msg` to the last frame unless that one is on the wire or full.
template <class Socket> void stream_conn<Socket>::append(std::string_view msg) {
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

template <class Socket>
void stream_conn<Socket>::fail(std::string_view where, const error_code& ec) {
  fail(std::string(where) + ": " + ec.message());
}

template <class Socket> void stream_conn<Socket>::fail(std::string_view why) {
  if (closed) {
    return;
  }
  closed = true;
  open = false;
  // The frames stay: a write in flight still refers to the front one.
  error_code ignored;
  beast::get_lowest_layer(ws).close(ignored);
  handler.on_closed(why);
}

/// While a write is in flight, on_write sends the close frame after the last queued one.
template <class Socket> void stream_conn<Socket>::begin_close() {
  if (closed || closing) {
    return;
  }
  closing = true;
  if (!open) {
    return fail("closed before the handshake");
  }
  if (!writing) {
    send_close();
  }
}

/// The read in progress hands the node's close frame to the close; it then ends with
/// an error, and that read failure reports the closed connection.
template <class Socket> void stream_conn<Socket>::send_close() {
  ws.async_close(websocket::close_code::normal, [this](const error_code& ec) {
    if (ec) {
      fail("close", ec);
    }
  });
}

template <class Socket> void stream_conn<Socket>::send(std::string_view msg) {
  if (closed || closing) {
    return;
  }
  append(msg);
  if (open && !writing) {
    write_front();
  }
}

} // namespace

ws_conn::ws_conn(io_pool& pool, std::size_t worker, const endpoint& ep, ws_handler& handler,
                 std::size_t max_frame_msgs) {
  auto& ioc = pool.native().context(worker);
  if (ep.tls) {
    impl_ = std::make_unique<stream_conn<tls_socket>>(ioc, ep, handler, max_frame_msgs);
  } else {
    impl_ = std::make_unique<stream_conn<tcp::socket>>(ioc, ep, handler, max_frame_msgs);
  }
}

ws_conn::~ws_conn() = default;

void ws_conn::start() {
  impl_->start();
}

void ws_conn::send_connect() {
  send(impl_->target().connect_message);
}

void ws_conn::send(std::string_view msg) {
  impl_->send(msg);
}

void ws_conn::close() {
  impl_->close();
}

std::size_t ws_conn::queued_msgs() const {
  return impl_->queued_msgs;
}

std::size_t ws_conn::queued_bytes() const {
  return impl_->queued_bytes;
}

} // namespace switchyard::bench
