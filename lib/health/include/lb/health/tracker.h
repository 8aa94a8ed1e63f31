// The verdict over time: turns one target's stream of check results into its
// State, with rise/fall counts and Piranha's service timeout and re-entry
// time. Pure (the caller passes the time), one per target, not thread-safe.
//
// Rules, in order:
// - kUnknown (never checked): the first result decides at once, success ->
//   kUp, failure -> kDown. An unknown server has no record for rise/fall to
//   protect: fall exists so a server that has been serving survives one
//   dropped probe, and rise so a flapping one is not trusted too soon. A
//   server nobody has seen answer yet gets no benefit of the doubt (as
//   ldirectord and nanny, which add a server on its first passed check), and
//   one that answers is confirmed at once (it was already scheduled while
//   unknown, so this changes no traffic). Restarting lbd therefore costs a
//   server that happens to fail its first check `rise` intervals out of the
//   pool, never clients sent to a dead one for `fall` intervals.
// - kUp -> kDown after `fall` consecutive failures, and, when
//   service_timeout_ms is set, once the first of them is at least that old
//   (nanny's "time before a real server is considered dead").
// - kDown -> kUp after `rise` consecutive successes, and, when reentry_ms is
//   set, once the first of them is at least that old (nanny's "time before
//   the router attempts to bring a real server back after a failure").
// Times are when record() saw the results; a success resets the failure
// streak and a failure the success streak.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <lb/health/model.h>
#include <lb/health/result.h>

namespace lb::health {

const char* to_string(State state) noexcept;  // "unknown", "up", "down"

struct Transition {
  State from = State::kUnknown;
  State to = State::kUnknown;
  std::string reason;        // the deciding result's reason ("expected 200, got 503")
  uint32_t consecutive = 0;  // results in the streak that decided it
  friend bool operator==(const Transition&, const Transition&) = default;
};

struct Policy {
  uint32_t rise = 2;
  uint32_t fall = 3;
  uint32_t service_timeout_ms = 0;
  uint32_t reentry_ms = 0;
  static Policy of(const CheckSpec& spec) noexcept {
    return Policy{spec.rise, spec.fall, spec.service_timeout_ms, spec.reentry_ms};
  }
};

class Tracker {
 public:
  explicit Tracker(Policy policy) noexcept : policy_(policy) {}

  // One result, seen at now_ms; a Transition when the state changes.
  std::optional<Transition> record(const Result& result, uint64_t now_ms);

  // A changed check keeps the server's state and streaks; the new counts and
  // times apply from the next result.
  void set_policy(Policy policy) noexcept { policy_ = policy; }

  State state() const noexcept { return state_; }
  uint32_t successes() const noexcept { return successes_; }  // consecutive, current streak
  uint32_t failures() const noexcept { return failures_; }
  const Policy& policy() const noexcept { return policy_; }

 private:
  Policy policy_;
  State state_ = State::kUnknown;
  uint32_t successes_ = 0;
  uint32_t failures_ = 0;
  uint64_t streak_since_ms_ = 0;  // when the current streak's first result was seen
};

}  // namespace lb::health
