// The Prometheus text exposition format, version 0.0.4: what a Prometheus
// server scrapes from `GET /metrics` (Content-Type "text/plain;
// version=0.0.4").
//
// Families are declared first and filled with samples in any order; text()
// writes each family as one group (`# HELP`, `# TYPE`, then its samples), as
// the format requires, in declaration order. Names are checked against the
// format's grammar and a series given twice is refused: either would make
// a scraper reject the whole page, so they are programming errors
// (std::invalid_argument) rather than something to discover in production.
//
// Pure C++, any thread (one Exposition per thread).
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace lb::metrics {

enum class MetricType { kCounter, kGauge };

// Label name -> value, in the order they are printed.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Counters are uint64 and print exactly (a double would round them above
// 2^53); rates and other measurements may be fractional.
using Value = std::variant<uint64_t, int64_t, double>;

// A label value as the format quotes it: backslash, double quote and line
// feed escaped (\\ \" \n), everything else (UTF-8 included) as is.
std::string escape_label_value(std::string_view value);
// HELP text: backslash and line feed escaped.
std::string escape_help(std::string_view text);
// A sample value: integers in decimal, doubles in their shortest exact form,
// NaN, +Inf, -Inf.
std::string format_value(const Value& value);

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved by Prometheus).
bool is_label_name(std::string_view name);

class Family {
 public:
  Family(std::string name, MetricType type, std::string help);

  // Throws std::invalid_argument for an invalid or repeated label name, or
  // a label set this family already has a sample for.
  void add(Labels labels, Value value);

  const std::string& name() const { return name_; }
  bool empty() const { return samples_.empty(); }
  void write(std::string& out) const;

 private:
  std::string name_;
  MetricType type_;
  std::string help_;
  std::vector<std::pair<std::string, Value>> samples_;  // printed label set, value
  std::set<std::string> series_;                        // printed label sets, for duplicates
};

class Exposition {
 public:
  // Declares a family. Counter names end in "_total" (Prometheus'
  // convention, which its client libraries enforce too). Throws
  // std::invalid_argument for an invalid or repeated name. The reference
  // stays valid for the Exposition's lifetime.
  Family& family(std::string name, MetricType type, std::string help);

  // The page. Families without samples are left out: a HELP and TYPE with
  // nothing under them would only say that something could exist.
  std::string text() const;

 private:
  std::deque<Family> families_;  // deque: family() hands out stable references
  std::set<std::string, std::less<>> names_;
};

}  // namespace lb::metrics
