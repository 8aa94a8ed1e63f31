#include <lb/health/escapes.h>

#include <fmt/format.h>

namespace lb::health {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Checked<std::string> decode_escapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (i + 1 == text.size()) {
      return Checked<std::string>::fail(
          fmt::format("a backslash at offset {} ends the string: nothing to escape", i));
    }
    const char next = text[++i];
    switch (next) {
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'x': {
        const int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
        const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          return Checked<std::string>::fail(
              fmt::format("\\x at offset {} needs two hex digits", i - 1));
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default:  // Piranha: a backslash escapes the character after it
        out.push_back(next);
    }
  }
  return Checked<std::string>::ok(std::move(out));
}

std::string encode_escapes(std::string_view bytes, size_t max_chars) {
  const bool cut = max_chars != 0 && bytes.size() > max_chars;
  if (cut) bytes = bytes.substr(0, max_chars);
  std::string out;
  out.reserve(bytes.size() + 3);
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (u < 0x20 || u >= 0x7f) {
          out += fmt::format("\\x{:02x}", u);
        } else {
          out.push_back(c);
        }
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace lb::health
