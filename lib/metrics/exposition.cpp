#include <lb/metrics/exposition.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace lb::metrics {

namespace {

bool is_name_start(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

bool is_name_char(char c, bool colon) {
  return is_name_start(c, colon) || (c >= '0' && c <= '9');
}

bool is_name(std::string_view name, bool colon) {
  if (name.empty() || !is_name_start(name.front(), colon)) return false;
  return std::all_of(name.begin(), name.end(), [colon](char c) { return is_name_char(c, colon); });
}

std::string label_set(const Labels& labels) {
  std::string out;
  for (const auto& [name, value] : labels) {
    out += out.empty() ? "{" : ",";
    out += name;
    out += "=\"";
    out += escape_label_value(value);
    out += '"';
  }
  if (!out.empty()) out += '}';
  return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(const Value& value) {
  if (const auto* d = std::get_if<double>(&value)) {
    if (std::isnan(*d)) return "NaN";
    if (std::isinf(*d)) return *d > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", *d);
  }
  return std::visit([](auto v) { return fmt::format("{}", v); }, value);
}

bool is_metric_name(std::string_view name) {
  return is_name(name, true);
}

bool is_label_name(std::string_view name) {
  return is_name(name, false) && !name.starts_with("__");
}

Family::Family(std::string name, MetricType type, std::string help)
    : name_(std::move(name)), type_(type), help_(std::move(help)) {}

void Family::add(Labels labels, Value value) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (!is_label_name(sorted[i].first)) {
      throw std::invalid_argument(
          fmt::format("{}: \"{}\" is not a valid label name", name_, sorted[i].first));
    }
    if (i > 0 && sorted[i].first == sorted[i - 1].first) {
      throw std::invalid_argument(
          fmt::format("{}: label \"{}\" given twice", name_, sorted[i].first));
    }
  }
  // The series' identity is its label set whatever the order they came in.
  const std::string identity = label_set(sorted);
  if (!series_.insert(identity).second) {
    throw std::invalid_argument(
        fmt::format("{}: series {} given twice", name_, identity.empty() ? "{}" : identity));
  }
  samples_.emplace_back(label_set(labels), value);
}

void Family::write(std::string& out) const {
  out += fmt::format("# HELP {} {}\n", name_, escape_help(help_));
  out += fmt::format("# TYPE {} {}\n", name_, type_ == MetricType::kCounter ? "counter" : "gauge");
  for (const auto& [labels, value] : samples_)
    out += fmt::format("{}{} {}\n", name_, labels, format_value(value));
}

Family& Exposition::family(std::string name, MetricType type, std::string help) {
  if (!is_metric_name(name)) {
    throw std::invalid_argument(fmt::format("\"{}\" is not a valid metric name", name));
  }
  if (type == MetricType::kCounter && !name.ends_with("_total")) {
    throw std::invalid_argument(fmt::format("counter {} does not end in _total", name));
  }
  if (!names_.insert(name).second) {
    throw std::invalid_argument(fmt::format("metric family {} declared twice", name));
  }
  return families_.emplace_back(std::move(name), type, std::move(help));
}

std::string Exposition::text() const {
  std::string out;
  for (const auto& family : families_) {
    if (!family.empty()) family.write(out);
  }
  return out;
}

}  // namespace lb::metrics
