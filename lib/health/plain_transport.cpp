#include <sys/socket.h>

#include <cerrno>

#include "fd.h"
#include "transport.h"

namespace lb::health::detail {

namespace {

class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(int fd) : fd_(fd) {}

  Io write(std::string_view data, size_t& written) override {
    // MSG_NOSIGNAL: a server that closed early must not raise SIGPIPE in lbd.
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      written = static_cast<size_t>(n);
      return Io::kOk;
    }
    if (errno == EAGAIN || errno == EINTR) return Io::kWantWrite;
    error_ = sys_error("send", errno);
    return Io::kError;
  }

  Io read(char* buf, size_t capacity, size_t& got) override {
    const ssize_t n = ::recv(fd_, buf, capacity, 0);
    if (n > 0) {
      got = static_cast<size_t>(n);
      return Io::kOk;
    }
    if (n == 0) return Io::kEof;
    if (errno == EAGAIN || errno == EINTR) return Io::kWantRead;
    error_ = sys_error("recv", errno);
    return Io::kError;
  }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<Transport> plain_transport(int fd) {
  return std::make_unique<PlainTransport>(fd);
}

}  // namespace lb::health::detail
