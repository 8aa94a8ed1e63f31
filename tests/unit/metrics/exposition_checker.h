// An independent reader of the Prometheus text format 0.0.4, written from
// the format's specification rather than from lib/metrics, so the tests
// check the page the way a scraper reads it:
//   - every line is `# HELP name text`, `# TYPE name type`, another comment,
//     or `name{label="value",...} value [timestamp]`; the page ends in \n;
//   - names follow the grammar; label values use only the \\ \" \n escapes;
//   - a family's TYPE comes before its samples, at most one TYPE and one
//     HELP per family, and a family's lines are one contiguous group;
//   - no series (name and label set) appears twice;
//   - a counter's value is a non-negative number.
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace lb::test {

struct Scrape {
  std::vector<std::string> errors;  // "line 3: ...", empty when the page is valid
  // "name{a=\"x\",b=\"y\"}" (labels sorted, values unescaped then re-quoted
  // plainly) -> the value as written.
  std::map<std::string, std::string> samples;
  std::map<std::string, std::string> types;  // family -> counter/gauge/...
  std::map<std::string, std::string> help;   // family -> HELP text (unescaped)

  double value(const std::string& series) const {
    const auto it = samples.find(series);
    return it == samples.end() ? std::nan("") : std::strtod(it->second.c_str(), nullptr);
  }
};

namespace detail {

inline bool name_start(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

inline bool name_char(char c, bool colon) {
  return name_start(c, colon) || (c >= '0' && c <= '9');
}

// Reads a name at `pos`; empty when there is none.
inline std::string read_name(std::string_view line, size_t& pos, bool colon) {
  const size_t start = pos;
  if (pos < line.size() && name_start(line[pos], colon)) {
    while (pos < line.size() && name_char(line[pos], colon))
      ++pos;
  }
  return std::string(line.substr(start, pos - start));
}

// A Go ParseFloat-style number as Prometheus accepts it.
inline bool is_float(const std::string& text) {
  if (text == "NaN" || text == "+Inf" || text == "-Inf" || text == "Inf") return true;
  if (text.empty()) return false;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  // strtod also takes "inf", "nan" and hex floats, which Prometheus does not.
  const bool plain = text.find_first_not_of("0123456789+-.eE") == std::string::npos;
  return plain && end == text.c_str() + text.size();
}

}  // namespace detail

inline Scrape check_exposition(std::string_view page) {
  Scrape out;
  std::set<std::string> seen_help, done_families;
  std::string current;  // the family whose lines are being read
  size_t number = 0;
  auto error = [&](const std::string& message) {
    out.errors.push_back("line " + std::to_string(number) + ": " + message);
  };
  auto enter_family = [&](const std::string& family) {
    if (family == current) return;
    if (done_families.count(family)) error(family + ": its lines are not one group");
    if (!current.empty()) done_families.insert(current);
    current = family;
  };
  if (!page.empty() && page.back() != '\n') {
    out.errors.push_back("the page does not end with a line feed");
  }
  size_t start = 0;
  while (start < page.size()) {
    const size_t end = page.find('\n', start);
    const std::string_view line =
        page.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? page.size() : end + 1;
    ++number;
    if (line.empty()) continue;
    if (line.front() == '#') {
      const bool is_help = line.starts_with("# HELP ");
      const bool is_type = line.starts_with("# TYPE ");
      if (!is_help && !is_type) continue;  // an ordinary comment
      size_t pos = 7;
      const std::string name = detail::read_name(line, pos, true);
      if (name.empty() || (pos < line.size() && line[pos] != ' ')) {
        error("invalid metric name in " + std::string(line.substr(0, 7)));
        continue;
      }
      const std::string rest = pos < line.size() ? std::string(line.substr(pos + 1)) : "";
      enter_family(name);
      if (is_help) {
        if (!seen_help.insert(name).second) error(name + ": HELP given twice");
        std::string text;
        for (size_t i = 0; i < rest.size(); ++i) {
          if (rest[i] == '\\' && i + 1 < rest.size() &&
              (rest[i + 1] == '\\' || rest[i + 1] == 'n')) {
            text += rest[i + 1] == 'n' ? '\n' : '\\';
            ++i;
          } else {
            text += rest[i];
          }
        }
        out.help[name] = text;
      } else {
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                     "untyped"};
        if (!kTypes.count(rest)) error(name + ": unknown type \"" + rest + "\"");
        if (out.types.count(name)) error(name + ": TYPE given twice");
        for (const auto& [series, value] : out.samples) {
          if (series == name || series.starts_with(name + "{")) {
            error(name + ": TYPE after its samples");
            break;
          }
        }
        out.types[name] = rest;
      }
      continue;
    }
    size_t pos = 0;
    const std::string name = detail::read_name(line, pos, true);
    if (name.empty()) {
      error("expected a metric name, got \"" + std::string(line) + "\"");
      continue;
    }
    std::map<std::string, std::string> labels;
    bool ok = true;
    if (pos < line.size() && line[pos] == '{') {
      ++pos;
      while (ok && pos < line.size() && line[pos] != '}') {
        const std::string label = detail::read_name(line, pos, false);
        if (label.empty() || pos >= line.size() || line[pos] != '=' || pos + 1 >= line.size() ||
            line[pos + 1] != '"') {
          error(name + ": malformed label");
          ok = false;
          break;
        }
        pos += 2;
        std::string value;
        while (pos < line.size() && line[pos] != '"') {
          if (line[pos] == '\\') {
            if (pos + 1 >= line.size() ||
                (line[pos + 1] != '\\' && line[pos + 1] != '"' && line[pos + 1] != 'n')) {
              error(name + ": invalid escape in label " + label);
              ok = false;
              break;
            }
            value += line[pos + 1] == 'n' ? '\n' : line[pos + 1];
            pos += 2;
          } else {
            value += line[pos++];
          }
        }
        if (!ok) break;
        if (pos >= line.size()) {
          error(name + ": unterminated label value");
          ok = false;
          break;
        }
        ++pos;  // the closing quote
        if (!labels.emplace(label, value).second) error(name + ": label " + label + " twice");
        if (pos < line.size() && line[pos] == ',') ++pos;
      }
      if (!ok) continue;
      if (pos >= line.size()) {
        error(name + ": unterminated label set");
        continue;
      }
      ++pos;  // '}'
    }
    if (pos >= line.size() || line[pos] != ' ') {
      error(name + ": expected a space before the value");
      continue;
    }
    const std::string rest(line.substr(pos + 1));
    const size_t space = rest.find(' ');
    const std::string value = rest.substr(0, space);
    if (!detail::is_float(value)) error(name + ": invalid value \"" + value + "\"");
    if (space != std::string::npos) {
      const std::string stamp = rest.substr(space + 1);
      if (stamp.empty() || stamp.find_first_not_of("-0123456789") != std::string::npos) {
        error(name + ": invalid timestamp \"" + stamp + "\"");
      }
    }
    const auto type = out.types.find(name);
    if (type == out.types.end()) {
      error(name + ": sample without a TYPE before it");
    } else if (type->second == "counter" && (value.starts_with("-") || value == "NaN")) {
      error(name + ": a counter's value must be non-negative, got " + value);
    }
    enter_family(name);
    std::string series = name;
    if (!labels.empty()) {
      series += '{';
      bool first = true;
      for (const auto& [label, text] : labels) {
        if (!first) series += ',';
        first = false;
        series += label + "=\"" + text + "\"";
      }
      series += '}';
    }
    if (!out.samples.emplace(series, value).second) error(series + ": series given twice");
  }
  return out;
}

}  // namespace lb::test
