#include <lb/ctl/ipvsadm_rules.h>

#include <algorithm>

#include <fmt/format.h>

#include <lb/ctl/ipvsadm_edit.h>

namespace lb::ctl::ipvsadm {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// "op N: " at the start of lbd's message: N counted from 1.
std::optional<std::size_t> refused_index(std::string_view message, std::size_t* prefix_length) {
  if (!message.starts_with("op ")) return std::nullopt;
  const std::size_t colon = message.find(": ");
  if (colon == std::string_view::npos || colon == 3) return std::nullopt;
  std::size_t n = 0;
  for (const char c : message.substr(3, colon - 3)) {
    if (c < '0' || c > '9' || n > 100000000) return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (n == 0) return std::nullopt;
  *prefix_length = colon + 2;
  return n - 1;
}

}  // namespace

std::vector<RuleLine> read_rules(std::string_view text, const RulesOptions& options) {
  std::vector<RuleLine> lines;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (options.skip_comment_lines && line.starts_with('#')) continue;
    RuleLine rule{number, {options.program}};
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && is_blank(line[i]))
        ++i;
      const std::size_t start = i;
      while (i < line.size() && !is_blank(line[i]))
        ++i;
      if (i > start) {
        std::string word(line.substr(start, i - start));
        if (word != "ipvsadm") rule.argv.push_back(std::move(word));
      }
    }
    if (rule.argv.size() > 1) lines.push_back(std::move(rule));
  }
  return lines;
}

std::string RuleError::describe() const {
  return fmt::format("line {}: {}", line, failure.message);
}

std::variant<std::vector<RuleOp>, RuleError> rules_to_ops(std::string_view text,
                                                          const RulesOptions& options) {
  std::vector<RuleOp> ops;
  for (const RuleLine& line : read_rules(text, options)) {
    auto translated = translate_command_line(line.argv);
    if (auto* failure = std::get_if<Failure>(&translated)) return RuleError{line.number, *failure};
    auto& translation = std::get<Translation>(translated);
    if (translation.op.is_null()) {
      return RuleError{line.number,
                       Failure{2, fmt::format("'{}' is not a rule: only -A -E -D -C -a -e -d "
                                              "change the configuration",
                                              translation.line.command_spelling)}};
    }
    ops.push_back({line.number, std::move(translation.op)});
  }
  return ops;
}

std::vector<std::optional<EditRefusal>> apply_one_by_one(std::span<const nlohmann::json> ops,
                                                         const EditSender& send,
                                                         std::size_t max_batch) {
  std::vector<std::optional<EditRefusal>> results(ops.size());
  std::vector<std::pair<std::size_t, std::size_t>> todo;  // ranges still to apply, in order
  for (std::size_t first = 0; first < ops.size(); first += max_batch) {
    todo.emplace_back(first, std::min(first + max_batch, ops.size()));
  }
  std::reverse(todo.begin(), todo.end());
  // `todo` is a stack: the earliest range on top.
  while (!todo.empty()) {
    const auto [first, last] = todo.back();
    todo.pop_back();
    if (first == last) continue;
    auto refusal = send(ops.subspan(first, last - first));
    if (!refusal) continue;
    if (last - first == 1) {
      std::size_t prefix = 0;
      if (refused_index(refusal->message, &prefix) == std::size_t{0}) {
        refusal->message.erase(0, prefix);
      }
      results[first] = std::move(refusal);
      continue;
    }
    std::size_t prefix = 0;
    const auto index = refused_index(refusal->message, &prefix);
    if (!index || *index >= last - first) {
      // lbd did not say which op: try them one at a time.
      for (std::size_t i = last; i > first; --i)
        todo.emplace_back(i - 1, i);
      continue;
    }
    const std::size_t refused = first + *index;
    refusal->message.erase(0, prefix);
    results[refused] = std::move(refusal);
    // The ops after it, then (on top) the ops before it.
    todo.emplace_back(refused + 1, last);
    todo.emplace_back(first, refused);
  }
  return results;
}

}  // namespace lb::ctl::ipvsadm
