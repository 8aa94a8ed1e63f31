// A value or the reasons there is none: what the health library's
// constructors return instead of throwing (a check that cannot be compiled is
// an operator's mistake to report, not an exception to unwind).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lb::health {

template <class T>
struct Checked {
  std::optional<T> value;           // set exactly when errors is empty
  std::vector<std::string> errors;  // each a complete sentence for the operator

  static Checked ok(T v) { return Checked{std::move(v), {}}; }
  static Checked fail(std::string error) { return Checked{std::nullopt, {std::move(error)}}; }
  explicit operator bool() const noexcept { return value.has_value(); }
};

}  // namespace lb::health
