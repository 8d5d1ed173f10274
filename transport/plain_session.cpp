// The session stack over plain TCP (see session_start.hpp).

#include "transport/http_session.hpp"
#include "transport/session_start.hpp"

namespace switchyard::transport {

void start_plain_session(tcp::socket socket, const session_deps& deps) {
  std::make_shared<http_session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), deps.ctx,
                                                    deps.sessions, deps.router, deps.stopping)
      ->run();
}

} // namespace switchyard::transport
