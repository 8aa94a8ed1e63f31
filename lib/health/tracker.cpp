#include <lb/health/tracker.h>

namespace lb::health {

const char* to_string(State state) noexcept {
  switch (state) {
    case State::kUnknown:
      return "unknown";
    case State::kUp:
      return "up";
    case State::kDown:
      return "down";
  }
  return "?";
}

std::optional<Transition> Tracker::record(const Result& result, uint64_t now_ms) {
  uint32_t& streak = result.ok ? successes_ : failures_;
  uint32_t& other = result.ok ? failures_ : successes_;
  if (streak == 0) streak_since_ms_ = now_ms;
  other = 0;
  if (streak < UINT32_MAX) ++streak;

  const State from = state_;
  State to = from;
  if (from == State::kUnknown) {
    to = result.ok ? State::kUp : State::kDown;
  } else if (from == State::kUp && !result.ok) {
    if (failures_ >= policy_.fall && now_ms - streak_since_ms_ >= policy_.service_timeout_ms) {
      to = State::kDown;
    }
  } else if (from == State::kDown && result.ok) {
    if (successes_ >= policy_.rise && now_ms - streak_since_ms_ >= policy_.reentry_ms) {
      to = State::kUp;
    }
  }
  if (to == from) return std::nullopt;
  state_ = to;
  return Transition{from, to, result.reason, streak};
}

}  // namespace lb::health
