#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <utility>

#include <lb/ctl/client.h>

namespace lb::ctl {

namespace {

std::string connect_hint(int err) {
  switch (err) {
    case ENOENT:
    case ECONNREFUSED:
      return " (is lbd running?)";
    case EACCES:
    case EPERM:
      return " (run as root or as a member of the socket's group)";
    case EAGAIN:
    case ETIMEDOUT:
    case EINPROGRESS:
      return " (lbd is not accepting connections)";
    default:
      return "";
  }
}

}  // namespace

ControlClient::ControlClient(std::string socket_path, std::chrono::milliseconds timeout)
    : path_(std::move(socket_path)), timeout_(timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.empty() || path_.size() >= sizeof(addr.sun_path)) {
    throw std::runtime_error(
        fmt::format("cannot connect to lbd at {}: socket path must be 1 to {} bytes long", path_,
                    sizeof(addr.sun_path) - 1));
  }
  std::memcpy(addr.sun_path, path_.data(), path_.size());

  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    throw std::runtime_error(fmt::format("cannot create a socket: {}", std::strerror(errno)));
  }
  // A Unix-socket connect() waits for room in a full backlog for at most the
  // send timeout; non-blocking connect() would just fail with EAGAIN.
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(timeout_).count();
  timeval tv{static_cast<time_t>(usec / 1000000), static_cast<suseconds_t>(usec % 1000000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int rc;
  do {
    rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(std::exchange(fd_, -1));
    throw std::runtime_error(fmt::format("cannot connect to lbd at {}: {}{}", path_,
                                         std::strerror(err), connect_hint(err)));
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

ControlClient::~ControlClient() {
  if (fd_ >= 0) ::close(fd_);
}

ControlClient::ControlClient(ControlClient&& other) noexcept
    : path_(std::move(other.path_)),
      timeout_(other.timeout_),
      fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)) {}

ControlClient& ControlClient::operator=(ControlClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    timeout_ = other.timeout_;
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

void ControlClient::wait_for(short events, Clock::time_point deadline, std::string_view doing) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw std::runtime_error(
          fmt::format("lbd at {} did not {} within {} ms", path_, doing, timeout_.count()));
    }
    pollfd pfd{fd_, events, 0};
    const int n = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
    if (n > 0) return;  // ready, or an error the next I/O call will report
    if (n < 0 && errno != EINTR) {
      throw std::runtime_error(fmt::format("poll on {}: {}", path_, std::strerror(errno)));
    }
  }
}

void ControlClient::send_raw(std::string_view bytes) {
  send_until(bytes, Clock::now() + timeout_);
}

std::string ControlClient::read_line() {
  return read_line_until(Clock::now() + timeout_);
}

void ControlClient::send_until(std::string_view bytes, Clock::time_point deadline) {
  if (fd_ < 0) throw std::runtime_error("control connection is closed");
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_for(POLLOUT, deadline, "accept the request");
    } else if (errno != EINTR) {
      throw std::runtime_error(
          fmt::format("sending to lbd at {}: {}", path_, std::strerror(errno)));
    }
  }
}

std::string ControlClient::read_line_until(Clock::time_point deadline) {
  if (fd_ < 0) throw std::runtime_error("control connection is closed");
  std::size_t scanned = 0;
  for (;;) {
    const std::size_t newline = buffer_.find('\n', scanned);
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    scanned = buffer_.size();
    if (buffer_.size() > kMaxReplyBytes) {
      throw std::runtime_error(
          fmt::format("reply from lbd at {} exceeds {} bytes", path_, kMaxReplyBytes));
    }
    std::array<char, 65536> chunk;
    const ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (n > 0) {
      buffer_.append(chunk.data(), static_cast<std::size_t>(n));
    } else if (n == 0) {
      throw std::runtime_error(
          fmt::format("lbd at {} closed the connection without replying", path_));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_for(POLLIN, deadline, "reply");
    } else if (errno != EINTR) {
      // ECONNRESET after the server closed on us; any reply it sent was
      // returned by earlier reads.
      throw std::runtime_error(
          fmt::format("reading from lbd at {}: {}", path_, std::strerror(errno)));
    }
  }
}

nlohmann::json ControlClient::call(std::string_view cmd, const nlohmann::json& args) {
  const auto deadline = Clock::now() + timeout_;
  try {
    send_until(encode_request(cmd, args), deadline);
  } catch (const std::runtime_error&) {
    // lbd may have refused us with an explanation (e.g. `busy`) and closed
    // before reading the request; that reply says more than EPIPE does.
    const std::exception_ptr send_error = std::current_exception();
    std::string reason;
    try {
      reason = read_line_until(deadline);
    } catch (const std::runtime_error&) {
      std::rethrow_exception(send_error);
    }
    return decode_reply(reason);
  }
  return decode_reply(read_line_until(deadline));
}

nlohmann::json call(const std::string& socket_path, const std::string& cmd,
                    const nlohmann::json& args, std::chrono::milliseconds timeout) {
  ControlClient client(socket_path, timeout);
  return client.call(cmd, args);
}

}  // namespace lb::ctl
