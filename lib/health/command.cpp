#include <lb/health/command.h>

#include <fmt/format.h>

namespace lb::health {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Tokens are checked at split time so a bad one is a configuration error,
// not a failing check.
std::string check_tokens(std::string_view word) {
  for (size_t i = 0; i < word.size(); ++i) {
    if (word[i] != '%') continue;
    if (i + 1 == word.size())
      return fmt::format("a % ends the word \"{}\": use %% for a percent sign", word);
    const char t = word[++i];
    if (t != 'h' && t != 'p' && t != '%') {
      return fmt::format("unknown token %{} in \"{}\" (known: %h address, %p port, %% percent)", t,
                         word);
    }
  }
  return {};
}

}  // namespace

Checked<std::vector<std::string>> split_command(std::string_view command) {
  using Words = Checked<std::vector<std::string>>;
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (is_blank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 == command.size()) return Words::fail("the command ends with a backslash");
      word.push_back(command[++i]);
    } else if (c == '\'') {
      const size_t end = command.find('\'', i + 1);
      if (end == std::string_view::npos) {
        return Words::fail(fmt::format("unterminated ' at offset {} in the command", i));
      }
      word.append(command.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      const size_t open = i;
      for (++i; i < command.size() && command[i] != '"'; ++i) {
        if (command[i] == '\\' && i + 1 < command.size() &&
            (command[i + 1] == '"' || command[i + 1] == '\\')) {
          ++i;
        }
        word.push_back(command[i]);
      }
      if (i == command.size()) {
        return Words::fail(fmt::format("unterminated \" at offset {} in the command", open));
      }
    } else {
      word.push_back(c);
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return Words::fail("the command is empty");
  std::vector<std::string> errors;
  for (const auto& w : words) {
    if (auto e = check_tokens(w); !e.empty()) errors.push_back(std::move(e));
  }
  if (!errors.empty()) return Words{std::nullopt, std::move(errors)};
  return Words::ok(std::move(words));
}

std::vector<std::string> substitute(const std::vector<std::string>& words, std::string_view host,
                                    uint16_t port) {
  std::vector<std::string> out;
  out.reserve(words.size());
  const std::string port_text = std::to_string(port);
  for (const auto& w : words) {
    std::string s;
    for (size_t i = 0; i < w.size(); ++i) {
      if (w[i] == '%' && i + 1 < w.size()) {
        const char t = w[++i];
        if (t == 'h') {
          s += host;
        } else if (t == 'p') {
          s += port_text;
        } else {
          s.push_back(t);  // %% (split_command let no other token through)
        }
      } else {
        s.push_back(w[i]);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace lb::health
