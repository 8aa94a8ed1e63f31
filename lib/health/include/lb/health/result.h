// The outcome of one check of one target, as every probe reports it.
#pragma once

#include <cstdint>
#include <string>

namespace lb::health {

struct Result {
  bool ok = false;
  // Why, for the operator: "HTTP 200", "connect: Connection refused",
  // "expected 200, got 503", "timeout after 3000 ms waiting for the reply",
  // "program exited 2". Successes carry one too (lbctl shows the last).
  std::string reason;
  uint32_t latency_ms = 0;  // from the start of the check to this result

  static Result success(std::string why) { return Result{true, std::move(why), 0}; }
  static Result failure(std::string why) { return Result{false, std::move(why), 0}; }
  friend bool operator==(const Result&, const Result&) = default;
};

}  // namespace lb::health
