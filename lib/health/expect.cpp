#include <lb/health/expect.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>

#include <fmt/format.h>

#include <lb/health/escapes.h>

namespace lb::health {

namespace {

// Bounds on one match: catastrophic backtracking gives up in milliseconds
// rather than stalling every other check on the thread. The heap bound is
// transient (one match at a time on the health thread) and sized for a
// repeated group, "(a|b)*x", across a whole 64 KiB reply: 16 MiB is not.
constexpr uint32_t kMatchLimit = 1'000'000;
constexpr uint32_t kHeapLimitKiB = 64 * 1024;

std::string pcre2_message(int code) {
  std::array<PCRE2_UCHAR, 256> buf{};
  const int n = pcre2_get_error_message(code, buf.data(), buf.size());
  if (n < 0) return fmt::format("PCRE2 error {}", code);
  return std::string(reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(n));
}

}  // namespace

struct Matcher::Code {
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;
  Code() = default;
  Code(const Code&) = delete;
  Code& operator=(const Code&) = delete;
  ~Code() {
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }
};

Checked<Matcher> Matcher::compile(const Expect& expect) {
  Matcher m;
  m.text_ = expect.text;
  m.regex_ = expect.regex && !expect.text.empty();
  if (!m.regex_) return Checked<Matcher>::ok(std::move(m));

  auto code = std::make_shared<Code>();
  int error = 0;
  PCRE2_SIZE offset = 0;
  code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(expect.text.data()), expect.text.size(),
                             0, &error, &offset, nullptr);
  if (code->code == nullptr) {
    return Checked<Matcher>::fail(fmt::format("invalid regex /{}/ at offset {}: {}",
                                              encode_escapes(expect.text), offset,
                                              pcre2_message(error)));
  }
  code->context = pcre2_match_context_create(nullptr);
  if (code->context == nullptr) return Checked<Matcher>::fail("out of memory compiling a regex");
  pcre2_set_match_limit(code->context, kMatchLimit);
  pcre2_set_heap_limit(code->context, kHeapLimitKiB);
  m.code_ = std::move(code);
  return Checked<Matcher>::ok(std::move(m));
}

Matcher::Outcome Matcher::match(std::string_view subject) const {
  if (text_.empty()) return {true, {}};
  if (!regex_) return {subject.find(text_) != std::string_view::npos, {}};

  pcre2_match_data* data = pcre2_match_data_create_from_pattern(code_->code, nullptr);
  if (data == nullptr) return {false, "out of memory matching a regex"};
  const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()),
                             subject.size(), 0, 0, data, code_->context);
  pcre2_match_data_free(data);
  if (rc >= 0) return {true, {}};
  if (rc == PCRE2_ERROR_NOMATCH) return {false, {}};
  return {false, fmt::format("{} gave up: {}", describe(), pcre2_message(rc))};
}

std::string Matcher::describe() const {
  if (regex_) return fmt::format("/{}/", text_);
  return fmt::format("\"{}\"", encode_escapes(text_));
}

}  // namespace lb::health
