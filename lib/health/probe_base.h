// Private to lib/health: what every probe keeps, its start and deadline, and
// the Result it ends with (latency filled in).
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include <lb/health/probe.h>

namespace lb::health::detail {

class ProbeBase : public Probe {
 protected:
  explicit ProbeBase(uint32_t timeout_ms) noexcept : timeout_ms_(timeout_ms) {}

  void begin(uint64_t now_ms) noexcept {
    started_ms_ = now_ms;
    deadline_ms_ = now_ms + timeout_ms_;
  }
  Wait wait(int fd, uint32_t events) const noexcept { return Wait{fd, events, deadline_ms_}; }
  Result finish(Result r, uint64_t now_ms) const {
    r.latency_ms = static_cast<uint32_t>(now_ms > started_ms_ ? now_ms - started_ms_ : 0);
    return r;
  }
  // "timeout after 3000 ms waiting for the reply"
  Result timed_out(const char* doing, uint64_t now_ms) const {
    return finish(Result::failure(fmt::format("timeout after {} ms {}", timeout_ms_, doing)),
                  now_ms);
  }

  uint32_t timeout_ms_;
  uint64_t started_ms_ = 0;
  uint64_t deadline_ms_ = 0;
};

}  // namespace lb::health::detail
