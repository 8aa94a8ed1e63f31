// The client side of the control protocol (lbctl, tests, scripts in C++).
//
// Blocking calls bounded by a deadline: a hung lbd makes lbctl fail with a
// clear message instead of hanging an operator's shell or a monitoring job.
// A ControlClient is one connection and may carry several requests; it is not
// thread-safe (one thread at a time).
#pragma once

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include <lb/ctl/protocol.h>

namespace lb::ctl {

inline constexpr const char* kDefaultSocketPath = "/run/lbd/lbd.sock";
inline constexpr std::chrono::milliseconds kDefaultTimeout{5000};
// A reply larger than this is treated as a broken server rather than buffered.
inline constexpr std::size_t kMaxReplyBytes = 256u << 20;

class ControlClient {
 public:
  // Connects. Throws std::runtime_error naming the path and the reason, e.g.
  // "cannot connect to lbd at /run/lbd/lbd.sock: No such file or directory
  // (is lbd running?)".
  explicit ControlClient(std::string socket_path,
                         std::chrono::milliseconds timeout = kDefaultTimeout);
  ~ControlClient();
  ControlClient(ControlClient&&) noexcept;
  ControlClient& operator=(ControlClient&&) noexcept;
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // One request, one reply: returns `result`, throws CtlError for an error
  // reply and std::runtime_error for I/O problems. The timeout applies to
  // each call as a whole.
  nlohmann::json call(std::string_view cmd, const nlohmann::json& args = nullptr);

  // Raw framing access, for diagnostics and protocol tests: send bytes as
  // they are; read the next reply line (without its '\n').
  void send_raw(std::string_view bytes);
  std::string read_line();

  const std::string& socket_path() const noexcept { return path_; }

 private:
  using Clock = std::chrono::steady_clock;
  void wait_for(short events, Clock::time_point deadline, std::string_view doing);
  void send_until(std::string_view bytes, Clock::time_point deadline);
  std::string read_line_until(Clock::time_point deadline);

  std::string path_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;  // bytes received after the last line returned
};

// Connects, sends one request, returns its result (see ControlClient::call).
nlohmann::json call(const std::string& socket_path, const std::string& cmd,
                    const nlohmann::json& args = {},
                    std::chrono::milliseconds timeout = kDefaultTimeout);

}  // namespace lb::ctl
