// Private to lib/health: an owned file descriptor, and errno as text.
#pragma once

#include <string.h>
#include <unistd.h>

#include <string>
#include <utility>

#include <fmt/format.h>

namespace lb::health::detail {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  // Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// strerrordesc_np is thread-safe (strerror is not guaranteed to be).
inline std::string errno_text(int err) {
  const char* d = ::strerrordesc_np(err);
  return d != nullptr ? d : fmt::format("error {}", err);
}

// "connect: Connection refused"
inline std::string sys_error(const char* what, int err) {
  return fmt::format("{}: {}", what, errno_text(err));
}

}  // namespace lb::health::detail
