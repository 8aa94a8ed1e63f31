// SyslogSink: lbd's log messages as syslog datagrams on a local socket.
//
// Written here rather than taken from spdlog's syslog_sink because that one
// calls syslog(3), which always uses /dev/log: the socket path must be
// configurable (containers, chroots, tests with their own receiver), and a
// full or restarting syslog daemon must never block lbd. Each message is sent
// as RFC 3164 BSD syslog, in the form syslog(3) itself sends locally:
//
//   <PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE
//
// PRI = facility * 8 + severity. A multi-line message becomes one datagram
// per line, so every line reaches the log with its header.
//
// Threading: spdlog's base_sink serialises sink_it_ with its mutex; callable
// from any thread of the control side (never from a worker: it makes a
// syscall).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include <spdlog/sinks/base_sink.h>

namespace lb::log {

// RFC 5424 section 6.2.1 severities.
enum class Severity : uint8_t {
  kEmergency = 0,
  kAlert = 1,
  kCritical = 2,
  kError = 3,
  kWarning = 4,
  kNotice = 5,
  kInformational = 6,
  kDebug = 7,
};

inline constexpr uint8_t kFacilityDaemon = 3;

Severity severity_of(spdlog::level::level_enum level) noexcept;

// One datagram: the header (local time `when`) and one line of message.
std::string format_syslog(uint8_t facility, Severity severity,
                          std::chrono::system_clock::time_point when, std::string_view ident,
                          int pid, std::string_view line);

class SyslogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Connects lazily: a syslog daemon that starts after lbd is picked up at
  // the next message.
  SyslogSink(std::string socket_path, std::string ident, uint8_t facility);
  ~SyslogSink() override;
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  // Lines that could not be delivered (no receiver, or its queue full).
  uint64_t dropped() const noexcept { return dropped_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  bool connect_socket();
  void send_line(std::string_view datagram);

  std::string path_;
  std::string ident_;
  uint8_t facility_;
  int pid_;
  int fd_ = -1;
  uint64_t dropped_ = 0;
};

}  // namespace lb::log
