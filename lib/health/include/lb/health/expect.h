// What a reply must contain: a substring, or a regex searched in the text.
//
// Regexes are PCRE2 (Perl-compatible, so ldirectord's `receive` patterns keep
// their meaning, and the ECMAScript subset that model.h documents is
// accepted). Not std::regex: libstdc++'s matcher recurses once per input
// character and overflows an 8 MiB stack on a 16 KiB body with "(a|b)*x";
// PCRE2 keeps its backtracking state on the heap and stops at a match limit,
// so neither a large reply nor a pathological pattern can crash or stall the
// health thread.
//
// Compiled once per check (at set_targets), matched on every reply; a Matcher
// is immutable and may be used from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <lb/health/checked.h>
#include <lb/health/model.h>

namespace lb::health {

class Matcher {
 public:
  // An empty Expect: everything matches.
  Matcher() = default;
  // An invalid regex is an error with PCRE2's message and the offset.
  static Checked<Matcher> compile(const Expect& expect);

  bool empty() const noexcept { return text_.empty(); }

  struct Outcome {
    bool matched = false;
    std::string error;  // the regex gave up (match limit): not a match, and why
  };
  Outcome match(std::string_view subject) const;

  // How reasons name it: /HTTP\/1\.[01] 200/ or "220".
  std::string describe() const;

 private:
  struct Code;
  std::string text_;
  bool regex_ = false;
  std::shared_ptr<const Code> code_;  // the compiled pattern, shared by copies
};

}  // namespace lb::health
