// Servers for the probe tests, on 127.0.0.1 inside the test process: each
// runs in its own thread and stops (joined, sockets closed) when destroyed.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lb::health::test {

inline sockaddr_in loopback(uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  return sa;
}

inline uint16_t bound_port(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

// A port with nothing listening (TCP: refused; UDP: ICMP port unreachable).
inline uint16_t closed_port(int type) {
  const int fd = socket(AF_INET, type, 0);
  const sockaddr_in sa = loopback(0);
  bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  const uint16_t port = bound_port(fd);
  close(fd);
  return port;
}

// Reads until `end` arrives, the peer closes, or 10 s pass; what was read.
inline std::string read_until(int fd, const std::string& end) {
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[4096];
  while (got.find(end) == std::string::npos) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

inline void write_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Accepts on 127.0.0.1 and calls the handler for each connection, one at a
// time; a handler returning true keeps the connection open (unanswered) until
// the server stops.
class TcpServer {
 public:
  using Handler = std::function<bool(int fd)>;

  explicit TcpServer(Handler handler, int backlog = 1024) : handler_(std::move(handler)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const sockaddr_in sa = loopback(0);
    if (bind(listen_fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 ||
        listen(listen_fd_, backlog) != 0 || pipe2(stop_, O_CLOEXEC) != 0) {
      throw std::runtime_error("test server: cannot listen");
    }
    port_ = bound_port(listen_fd_);
    thread_ = std::thread([this] { run(); });
  }
  ~TcpServer() {
    write(stop_[1], "x", 1);
    thread_.join();
    for (const int fd : kept_)
      close(fd);
    close(listen_fd_);
    close(stop_[0]);
    close(stop_[1]);
  }
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  uint16_t port() const { return port_; }
  uint64_t accepted() const { return accepted_.load(); }

 private:
  void run() {
    while (true) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents != 0) return;
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      if (handler_(fd)) {
        kept_.push_back(fd);
      } else {
        close(fd);
      }
    }
  }

  Handler handler_;
  int listen_fd_ = -1;
  int stop_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::atomic<uint64_t> accepted_{0};
  std::vector<int> kept_;
  std::thread thread_;
};

// Answers every HTTP request with `response`; records the last request.
class HttpServer {
 public:
  explicit HttpServer(std::string response)
      : response_(std::move(response)), server_([this](int fd) {
          std::string req = read_until(fd, "\r\n\r\n");
          {
            std::lock_guard lock(mu_);
            last_request_ = std::move(req);
          }
          write_all(fd, response_);
          return false;
        }) {}
  uint16_t port() const { return server_.port(); }
  std::string last_request() {
    std::lock_guard lock(mu_);
    return last_request_;
  }

 private:
  std::string response_;
  std::mutex mu_;
  std::string last_request_;
  TcpServer server_;  // last: its thread uses the members above
};

// Replies to each datagram: with `reply`, or the datagram itself when empty;
// with `silent`, never.
class UdpServer {
 public:
  explicit UdpServer(std::string reply = {}, bool silent = false)
      : reply_(std::move(reply)), silent_(silent) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const sockaddr_in sa = loopback(0);
    if (bind(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 ||
        pipe2(stop_, O_CLOEXEC) != 0) {
      throw std::runtime_error("test server: cannot bind UDP");
    }
    port_ = bound_port(fd_);
    thread_ = std::thread([this] { run(); });
  }
  ~UdpServer() {
    write(stop_[1], "x", 1);
    thread_.join();
    close(fd_);
    close(stop_[0]);
    close(stop_[1]);
  }
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;
  uint16_t port() const { return port_; }

 private:
  void run() {
    while (true) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents != 0) return;
      char buf[2048];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0 || silent_) continue;
      const std::string out = reply_.empty() ? std::string(buf, static_cast<size_t>(n)) : reply_;
      sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<const sockaddr*>(&from), len);
    }
  }

  std::string reply_;
  bool silent_;
  int fd_ = -1;
  int stop_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace lb::health::test
