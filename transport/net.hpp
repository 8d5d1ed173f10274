#pragma once
// Internal to the transport: the Beast/Asio names the .cpp files share.

// Boost 1.74 asio/awaitable.hpp uses std::exchange without including <utility> (C++20).
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace switchyard::transport {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

/// A WebSocket over `Stream` without permessage-deflate: the node does not offer it, and
/// leaving it out takes its state out of every connection.
template <class Stream> using websocket_stream = websocket::stream<Stream, false>;

} // namespace switchyard::transport
