#include "tests/support/tcp_proxy.hpp"

#include <array>
#include <atomic>
#include <future>
#include <list>
#include <thread>

#include <boost/asio.hpp>

namespace switchyard::testing {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

/// Copies one direction until either side closes, then closes both.
void pump(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to,
          std::shared_ptr<std::array<char, 16384>> buf) {
  from->async_read_some(
      asio::buffer(*buf), [from, to, buf](boost::system::error_code ec, std::size_t n) {
        if (ec) {
          boost::system::error_code ignored;
          to->shutdown(tcp::socket::shutdown_send, ignored);
          return;
        }
        asio::async_write(*to, asio::buffer(buf->data(), n),
                          [from, to, buf](boost::system::error_code ec2, std::size_t) {
                            if (ec2) {
                              boost::system::error_code ignored;
                              from->close(ignored);
                              return;
                            }
                            pump(from, to, buf);
                          });
      });
}

} // namespace

struct tcp_proxy::impl : std::enable_shared_from_this<impl> {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  uint16_t upstream = 0;
  std::atomic<bool> cut{false};
  std::list<std::weak_ptr<tcp::socket>> open; ///< io thread only
  std::thread thread;

  void accept() {
    auto self = shared_from_this();
    acceptor.async_accept([self](boost::system::error_code ec, tcp::socket s) {
      if (ec) {
        return;
      }
      if (self->cut) {
        boost::system::error_code ignored;
        s.close(ignored);
      } else {
        self->connect(std::make_shared<tcp::socket>(std::move(s)));
      }
      self->accept();
    });
  }

  void connect(std::shared_ptr<tcp::socket> client) {
    auto server = std::make_shared<tcp::socket>(io);
    open.remove_if([](const auto& w) { return w.expired(); });
    open.push_back(client);
    open.push_back(server);
    server->async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), upstream),
                          [client, server](boost::system::error_code ec) {
                            if (ec) {
                              boost::system::error_code ignored;
                              client->close(ignored);
                              return;
                            }
                            pump(client, server, std::make_shared<std::array<char, 16384>>());
                            pump(server, client, std::make_shared<std::array<char, 16384>>());
                          });
  }

  void drop_all() {
    for (auto& w : open) {
      if (auto s = w.lock()) {
        boost::system::error_code ignored;
        s->close(ignored);
      }
    }
    open.clear();
  }
};

tcp_proxy::tcp_proxy(uint16_t upstream) : impl_(std::make_shared<impl>()) {
  impl_->upstream = upstream;
  impl_->accept();
  impl_->thread = std::thread([d = impl_] { d->io.run(); });
}

tcp_proxy::~tcp_proxy() {
  // Closing everything lets every pending handler finish (aborted), so run() returns and
  // no handler is left holding the impl.
  asio::post(impl_->io, [d = impl_] {
    boost::system::error_code ignored;
    d->acceptor.close(ignored);
    d->drop_all();
  });
  impl_->thread.join();
}

uint16_t tcp_proxy::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void tcp_proxy::cut() {
  impl_->cut = true;
  std::promise<void> done;
  asio::post(impl_->io, [d = impl_, &done] {
    d->drop_all();
    done.set_value();
  });
  done.get_future().wait();
}

void tcp_proxy::heal() {
  impl_->cut = false;
}

uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

} // namespace switchyard::testing
