#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <lb/health/command.h>

using lb::health::split_command;
using lb::health::substitute;
using Words = std::vector<std::string>;

TEST_CASE("a command splits on blanks, with shell-like quotes and no shell") {
  CHECK(*split_command("/usr/local/bin/check_dns %h").value ==
        Words{"/usr/local/bin/check_dns", "%h"});
  CHECK(*split_command("  a \t b  ").value == Words{"a", "b"});
  CHECK(*split_command("sh -c 'echo ok; exit 0'").value == Words{"sh", "-c", "echo ok; exit 0"});
  CHECK(*split_command(R"(printf "say \"hi\"\n" x)").value ==
        Words{"printf", "say \"hi\"\\n", "x"});
  CHECK(*split_command(R"(a\ b c)").value == Words{"a b", "c"});
  CHECK(*split_command("x''y \"\"").value == Words{"xy", ""});
}

TEST_CASE("a bad command is an error saying what is wrong") {
  CHECK(split_command("").errors == Words{"the command is empty"});
  CHECK(split_command("   ").errors == Words{"the command is empty"});
  CHECK(split_command("sh -c 'echo").errors == Words{"unterminated ' at offset 6 in the command"});
  CHECK(split_command("echo \"x").errors == Words{"unterminated \" at offset 5 in the command"});
  CHECK(split_command("echo x\\").errors == Words{"the command ends with a backslash"});
  CHECK(split_command("check %x %h").errors ==
        Words{"unknown token %x in \"%x\" (known: %h address, %p port, %% percent)"});
  CHECK_FALSE(split_command("date +%"));
}

TEST_CASE("%h, %p and %% are replaced in every word") {
  const auto words = *split_command("check --host=%h --port %p 100%% %h:%p").value;
  CHECK(substitute(words, "198.18.0.7", 8080) ==
        Words{"check", "--host=198.18.0.7", "--port", "8080", "100%", "198.18.0.7:8080"});
}
