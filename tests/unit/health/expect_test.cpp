#include <catch2/catch.hpp>

#include <string>

#include <lb/health/expect.h>

using lb::health::Expect;
using lb::health::Matcher;

namespace {

Matcher compiled(std::string text, bool regex) {
  auto m = Matcher::compile(Expect{std::move(text), regex});
  REQUIRE(m);
  return *m.value;
}

}  // namespace

TEST_CASE("an empty expect matches anything") {
  const Matcher m;
  CHECK(m.empty());
  CHECK(m.match("").matched);
  CHECK(compiled("", true).match("whatever").matched);
}

TEST_CASE("a substring expect is found anywhere in the reply") {
  const auto m = compiled("220", false);
  CHECK(m.match("220 ftp.example ready\r\n").matched);
  CHECK(m.match("hello 220").matched);
  CHECK_FALSE(m.match("421 go away").matched);
  // Regex metacharacters are literal in a substring.
  CHECK(compiled("a.b", false).match("xa.by").matched);
  CHECK_FALSE(compiled("a.b", false).match("axb").matched);
  CHECK(m.describe() == "\"220\"");
}

TEST_CASE("a regex expect is searched, not anchored") {
  const auto m = compiled(R"(HTTP/1\.[01] 200)", true);
  CHECK(m.match("HTTP/1.0 200 OK\r\n").matched);
  CHECK(m.match("junk HTTP/1.1 200").matched);
  CHECK_FALSE(m.match("HTTP/1.1 503 Unavailable").matched);
  CHECK(m.describe() == R"(/HTTP/1\.[01] 200/)");
  CHECK(compiled("^OK$", true).match("OK").matched);
  CHECK_FALSE(compiled("^OK$", true).match("NOT OK").matched);
  CHECK(compiled(R"(\d{3})", true).match("code 404").matched);
}

TEST_CASE("an invalid regex is an error at construction, with the reason") {
  auto m = Matcher::compile(Expect{"HTTP/1\\.(0|1", true});
  CHECK_FALSE(m);
  REQUIRE(m.errors.size() == 1);
  CHECK(m.errors[0].rfind("invalid regex /HTTP/1\\\\.(0|1/ at offset 12: ", 0) == 0);
  CHECK(m.errors[0].find("missing closing parenthesis") != std::string::npos);
  // The same text as a substring is fine.
  CHECK(Matcher::compile(Expect{"HTTP/1\\.(0|1", false}));
}

TEST_CASE("a regex survives a 64 KiB reply that overflows std::regex's stack") {
  // libstdc++'s std::regex crashes on this from about 16 KiB on.
  const std::string body = std::string(64 * 1024, 'a') + "x";
  CHECK(compiled("(a|b)*x", true).match(body).matched);
  CHECK(compiled(".*x$", true).match(body).matched);
}

TEST_CASE("catastrophic backtracking gives up with a reason instead of stalling") {
  const auto m = compiled("(a+)+$", true);
  const auto out = m.match(std::string(40, 'a') + "!");
  CHECK_FALSE(out.matched);
  CHECK(out.error.find("/(a+)+$/ gave up: ") == 0);
}
