#include "block_reader.h"

#include <fmt/format.h>

namespace lb::import::detail {

namespace {

struct Token {
  std::string text;
  bool brace = false;  // a structural { or }, not a quoted "{"
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// keepalived: words, quoted strings, braces; a comment to the end of the line.
std::vector<Token> keepalived_tokens(std::string_view line, int number,
                                     std::vector<Warning>& errors) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '#' || c == '!') {
      break;
    } else if (c == '{' || c == '}') {
      tokens.push_back({std::string(1, c), true});
      ++i;
    } else if (c == '"') {
      const size_t close = line.find('"', i + 1);
      if (close == std::string_view::npos) {
        errors.push_back({number, "unterminated quoted string"});
        tokens.push_back({std::string(line.substr(i + 1)), false});
        break;
      }
      tokens.push_back({std::string(line.substr(i + 1, close - i - 1)), false});
      i = close + 1;
    } else {
      size_t end = i;
      while (end < line.size() && !is_space(line[end]) && line[end] != '{' && line[end] != '}')
        ++end;
      tokens.push_back({std::string(line.substr(i, end - i)), false});
      i = end;
    }
  }
  return tokens;
}

std::string unquote(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    return std::string(value.substr(1, value.size() - 2));
  }
  return std::string(value);
}

// lvs.cf: "key = value", "NAME WORDS {", "}". A '#' outside quotes starts a
// comment.
std::vector<Token> lvs_cf_tokens(std::string_view line) {
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    if (line[i] == '#' && !quoted) {
      line = line.substr(0, i);
      break;
    }
  }
  line = trim(line);
  std::vector<Token> tokens;
  if (line.empty()) return tokens;
  const size_t eq = line.find('=');
  const size_t brace = line.find_first_of("{}");
  if (eq != std::string_view::npos && (brace == std::string_view::npos || eq < brace)) {
    tokens.push_back({std::string(trim(line.substr(0, eq))), false});
    tokens.push_back({unquote(trim(line.substr(eq + 1))), false});
    return tokens;
  }
  size_t i = 0;
  while (i < line.size()) {
    if (is_space(line[i])) {
      ++i;
    } else if (line[i] == '{' || line[i] == '}') {
      tokens.push_back({std::string(1, line[i]), true});
      ++i;
    } else {
      size_t end = i;
      while (end < line.size() && !is_space(line[end]) && line[end] != '{' && line[end] != '}')
        ++end;
      tokens.push_back({std::string(line.substr(i, end - i)), false});
      i = end;
    }
  }
  return tokens;
}

}  // namespace

std::vector<Statement> read_blocks(std::string_view text, Syntax syntax,
                                   std::vector<Warning>& errors) {
  std::vector<Statement> root;
  // Open blocks, innermost last: the statement list being filled and the
  // line of the `{` that opened it.
  std::vector<std::pair<std::vector<Statement>*, int>> open{{&root, 0}};
  std::vector<Statement*> owners;  // the statement owning each open block (not root)
  int number = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    const std::string_view line =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    ++number;
    const std::vector<Token> tokens =
        syntax == Syntax::kLvsCf ? lvs_cf_tokens(line) : keepalived_tokens(line, number, errors);
    Statement current;
    current.line = number;
    const auto flush = [&] {
      if (!current.words.empty()) open.back().first->push_back(std::move(current));
      current = Statement{};
      current.line = number;
    };
    for (const Token& token : tokens) {
      if (token.brace && token.text == "{") {
        std::vector<Statement>& list = *open.back().first;
        if (current.words.empty()) {
          // keepalived: `{` on a line of its own belongs to the statement above.
          if (syntax == Syntax::kKeepalived && !list.empty() && !list.back().has_block) {
            list.back().has_block = true;
            owners.push_back(&list.back());
            open.emplace_back(&list.back().block, number);
            continue;
          }
          errors.push_back({number, "'{' without a name before it"});
          current.words.emplace_back("{");
        }
        current.has_block = true;
        list.push_back(std::move(current));
        current = Statement{};
        current.line = number;
        owners.push_back(&list.back());
        open.emplace_back(&list.back().block, number);
      } else if (token.brace) {
        flush();
        if (open.size() == 1) {
          errors.push_back({number, "'}' without a block to close (unbalanced braces)"});
          continue;
        }
        owners.back()->end_line = number;
        owners.pop_back();
        open.pop_back();
      } else {
        current.words.push_back(token.text);
      }
    }
    flush();
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  for (size_t i = open.size(); i-- > 1;) {
    errors.push_back(
        {open[i].second, fmt::format("the block opened here ('{}') is never closed "
                                     "(unbalanced braces)",
                                     owners[i - 1]->words.empty() ? std::string("{")
                                                                  : owners[i - 1]->words.front())});
  }
  return root;
}

std::string flatten(const Statement& statement) {
  std::string out;
  for (const auto& word : statement.words) {
    if (!out.empty()) out += ' ';
    out +=
        word.find_first_of(" \t") == std::string::npos && !word.empty() ? word : "\"" + word + "\"";
  }
  if (statement.has_block) {
    out += " {";
    for (size_t i = 0; i < statement.block.size(); ++i) {
      out += i == 0 ? " " : "; ";
      out += flatten(statement.block[i]);
    }
    out += " }";
  }
  return out;
}

}  // namespace lb::import::detail
