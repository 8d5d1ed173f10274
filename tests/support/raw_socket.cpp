#include "tests/support/raw_socket.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace switchyard::testing {

raw_socket::raw_socket(uint16_t port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (receive_buffer > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  }
}

raw_socket::~raw_socket() {
  close();
}

void raw_socket::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void raw_socket::reset() {
  if (fd_ >= 0) {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close();
}

bool raw_socket::write(const std::string& bytes, const std::atomic<bool>* stop) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, 50) == 0) {
      if (stop != nullptr && stop->load()) {
        return false;
      }
      continue;
    }
    auto n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<std::string> raw_socket::read(std::chrono::milliseconds timeout, std::size_t max) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
    return std::string{};
  }
  std::string out(max, '\0');
  auto n = ::recv(fd_, out.data(), out.size(), 0);
  if (n <= 0) {
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool raw_socket::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!read(std::max(left, std::chrono::milliseconds{1}))) {
      return true;
    }
  }
  return false;
}

bool raw_socket::handshake(uint16_t port, const std::string& subprotocol) {
  if (!write(ws_upgrade_request(port, subprotocol))) {
    return false;
  }
  std::string response;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (response.find("\r\n\r\n") == std::string::npos) {
    auto chunk = read(std::chrono::milliseconds(100), 1); // byte by byte: no frame read early
    if (!chunk || std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    response += *chunk;
  }
  return response.rfind("HTTP/1.1 101", 0) == 0;
}

std::string ws_upgrade_request(uint16_t port, const std::string& subprotocol) {
  std::string req = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n";
  if (!subprotocol.empty()) {
    req += "Sec-WebSocket-Protocol: " + subprotocol + "\r\n";
  }
  return req + "\r\n";
}

std::string ws_client_frame(const std::string& payload, uint8_t opcode) {
  std::string out;
  out.push_back(static_cast<char>(0x80 | opcode));
  const auto n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xffff) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) {
      out.push_back(static_cast<char>((static_cast<uint64_t>(n) >> (8 * i)) & 0xff));
    }
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  out.append(mask, 4);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  }
  return out;
}

std::vector<ws_frame> ws_frames_in(const std::string& bytes) {
  std::vector<ws_frame> frames;
  auto pos = bytes.find("\r\n\r\n");
  pos = pos == std::string::npos ? 0 : pos + 4;
  while (pos + 2 <= bytes.size()) {
    const auto op = static_cast<uint8_t>(static_cast<uint8_t>(bytes[pos]) & 0x0f);
    uint64_t len = static_cast<uint8_t>(bytes[pos + 1]) & 0x7f;
    std::size_t header = 2;
    if (len == 126) {
      if (pos + 4 > bytes.size()) {
        break;
      }
      len = (static_cast<uint8_t>(bytes[pos + 2]) << 8) | static_cast<uint8_t>(bytes[pos + 3]);
      header = 4;
    } else if (len == 127) {
      if (pos + 10 > bytes.size()) {
        break;
      }
      len = 0;
      for (int i = 0; i < 8; ++i) {
        len = (len << 8) | static_cast<uint8_t>(bytes[pos + 2 + static_cast<std::size_t>(i)]);
      }
      header = 10;
    }
    if (pos + header + len > bytes.size()) {
      break;
    }
    frames.push_back({op, bytes.substr(pos + header, len)});
    pos += header + len;
  }
  return frames;
}

uint16_t ws_close_code_in(const std::string& bytes) {
  for (const auto& f : ws_frames_in(bytes)) {
    if (f.opcode == 8 && f.payload.size() >= 2) {
      return static_cast<uint16_t>((static_cast<uint8_t>(f.payload[0]) << 8) |
                                   static_cast<uint8_t>(f.payload[1]));
    }
  }
  return 0;
}

} // namespace switchyard::testing
