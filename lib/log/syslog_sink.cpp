#include <lb/log/syslog_sink.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

namespace lb::log {

namespace {

// A line longer than this is cut: syslog daemons truncate or refuse long
// datagrams anyway (rsyslog's default limit is 8 KiB).
constexpr std::size_t kMaxLine = 8000;

constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

Severity severity_of(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return Severity::kDebug;
    case spdlog::level::info:
      return Severity::kInformational;
    case spdlog::level::warn:
      return Severity::kWarning;
    case spdlog::level::err:
      return Severity::kError;
    case spdlog::level::critical:
      return Severity::kCritical;
    default:
      return Severity::kNotice;
  }
}

std::string format_syslog(uint8_t facility, Severity severity,
                          std::chrono::system_clock::time_point when, std::string_view ident,
                          int pid, std::string_view line) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  // RFC 3164 4.1.2: "Mmm dd hh:mm:ss", the day padded with a space.
  return fmt::format("<{}>{} {:2} {:02}:{:02}:{:02} {}[{}]: {}",
                     facility * 8 + static_cast<int>(severity), kMonths[local.tm_mon],
                     local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, ident, pid,
                     line.substr(0, kMaxLine));
}

SyslogSink::SyslogSink(std::string socket_path, std::string ident, uint8_t facility)
    : path_(std::move(socket_path)),
      ident_(std::move(ident)),
      facility_(facility),
      pid_(static_cast<int>(::getpid())) {}

SyslogSink::~SyslogSink() {
  if (fd_ >= 0) ::close(fd_);
}

bool SyslogSink::connect_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path_.data(), path_.size());
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  return true;
}

// Non-blocking: a syslog daemon that does not keep up loses lines (counted)
// rather than stalling the control thread. A receiver that went away
// (restarted: ECONNREFUSED, or its socket file replaced) is reconnected once.
void SyslogSink::send_line(std::string_view datagram) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0 && !connect_socket()) break;
    if (::send(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) return;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EMSGSIZE) break;
    ::close(fd_);
    fd_ = -1;
  }
  ++dropped_;
}

void SyslogSink::sink_it_(const spdlog::details::log_msg& msg) {
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  const Severity severity = severity_of(msg.level);
  std::size_t start = 0;
  do {
    const std::size_t end = std::min(payload.find('\n', start), payload.size());
    send_line(format_syslog(facility_, severity, msg.time, ident_, pid_,
                            payload.substr(start, end - start)));
    start = end + 1;
  } while (start < payload.size());
}

}  // namespace lb::log
