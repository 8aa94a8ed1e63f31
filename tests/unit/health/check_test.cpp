#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <lb/health/check.h>

using lb::health::CheckSpec;
using lb::health::CheckType;
using lb::health::compile_check;
using lb::health::Target;
using lb::health::target_errors;
using Errors = std::vector<std::string>;

TEST_CASE("a default check compiles") {
  CHECK(compile_check(CheckSpec{}));
}

TEST_CASE("compile_check reports every error of a spec, naming the field") {
  CheckSpec s;
  s.type = CheckType::kHttp;
  s.interval_ms = 0;
  s.rise = 0;
  s.path = "health";
  s.expect_status = {200, 42};
  s.expect_body = {"(unclosed", true};
  const auto c = compile_check(s);
  CHECK_FALSE(c);
  REQUIRE(c.errors.size() == 5);
  CHECK(c.errors[0] == "interval_ms must be at least 1");
  CHECK(c.errors[1] == "rise must be at least 1");
  CHECK(c.errors[2] == "path \"health\" must start with / and hold no blank or control character");
  CHECK(c.errors[3] == "expect_status 42 is not an HTTP status (100-599)");
  CHECK(c.errors[4].rfind("expect_body: invalid regex /(unclosed/ at offset 9: ", 0) == 0);

  CheckSpec p;
  p.type = CheckType::kProgram;
  p.command = "check 'x";
  p.expect = {"[", true};
  const auto pc = compile_check(p);
  REQUIRE(pc.errors.size() == 2);
  CHECK(pc.errors[0].rfind("expect: invalid regex /[/", 0) == 0);
  CHECK(pc.errors[1] == "command: unterminated ' at offset 6 in the command");

  CheckSpec h;
  h.type = CheckType::kHttps;
  h.host = "www.example.com\r\nX: y";
  CHECK(compile_check(h).errors ==
        Errors{"host \"www.example.com\r\nX: y\" must hold no blank or control character"});
}

TEST_CASE("a target needs a port to check unless the check is a program") {
  Target t;
  t.port = 0;
  CHECK(target_errors(t) ==
        Errors{"no port to check: the real server's port is 0 and the check sets none"});
  t.spec.port = 8080;
  CHECK(t.check_port() == 8080);
  CHECK(target_errors(t).empty());
  t.spec.port = 0;
  t.spec.type = CheckType::kProgram;
  t.spec.command = "/bin/true";
  CHECK(target_errors(t).empty());
}
