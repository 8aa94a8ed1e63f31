// ipvsadm 1.31's command-line rules and messages (reference/ipvsadm-formats.md
// §1 and §8).
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <variant>
#include <vector>

#include <lb/ctl/ipvsadm_cmdline.h>

using namespace lb::ctl::ipvsadm;

namespace {

std::variant<CommandLine, Failure> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "ipvsadm");
  return parse_command_line(args);
}

CommandLine ok(std::vector<std::string> args) {
  auto result = parse(std::move(args));
  if (const auto* f = std::get_if<Failure>(&result)) FAIL("failed: " << f->message);
  return std::get<CommandLine>(result);
}

Failure failure(std::vector<std::string> args) {
  auto result = parse(std::move(args));
  if (std::holds_alternative<CommandLine>(result)) FAIL("parsed without error");
  return std::get<Failure>(result);
}

const std::string kTry = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.";

}  // namespace

TEST_CASE("the list command in all its spellings") {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"-L"}, {"-l"}, {"--list"}, {"--list=ignored"}}) {
    const CommandLine line = ok(args);
    CHECK(line.command == Command::kList);
    CHECK_FALSE(line.has(Opt::kNumeric));
  }
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-Ln"}, {"-ln"}, {"-L", "-n"}, {"--list", "--numeric"}, {"-l", "--numeric"}}) {
    const CommandLine line = ok(args);
    CHECK(line.command == Command::kList);
    CHECK(line.has(Opt::kNumeric));
    CHECK(line.command_spelling == args[0].substr(0, args[0][1] == '-' ? std::string::npos : 2));
  }
  const CommandLine line = ok({"-L", "-n", "--sort", "-X"});
  REQUIRE(line.options.size() == 3);
  CHECK(line.options[1].spelling == "--sort");
  CHECK(line.has(Opt::kExact));
}

TEST_CASE("the first option must be a command") {
  CHECK(failure({"-n", "-L"}).message == kTry);
  CHECK(failure({"-n", "-L"}).status == 255);
  CHECK(failure({"-6", "-A"}).message == kTry);
  CHECK(failure({"--bogus"}).message == kTry);
  CHECK(failure({"-t"}).message == kTry);
  CHECK(failure({"list"}).message == kTry);

  std::vector<std::string> args{"/usr/sbin/ipvsadm", "-x"};
  const auto result = parse_command_line(args);
  CHECK(std::get<Failure>(result).message ==
        "Try `/usr/sbin/ipvsadm -h' or '/usr/sbin/ipvsadm --help' for more information.");
}

TEST_CASE("popt errors after the command: the word, then popt's text, exit 255") {
  CHECK(failure({"-L", "--bogus"}).message == "--bogus: unknown option");
  CHECK(failure({"-L", "--bogus"}).status == 255);
  CHECK(failure({"-L", "--bogus=1"}).message == "--bogus=1: unknown option");
  CHECK(failure({"-Lz"}).message == "-Lz: unknown option");
  CHECK(failure({"-L", "-t"}).message == "-t: missing argument");
  CHECK(failure({"-A", "-t"}).message == "-t: missing argument");
  CHECK(failure({"-A", "-t"}).status == 255);
}

TEST_CASE("ipvsadm's own checks: exit 2 with its message") {
  const auto check = [](std::vector<std::string> args, const std::string& message) {
    const Failure f = failure(std::move(args));
    CHECK(f.message == message);
    CHECK(f.status == 2);
  };
  check({"-L", "-A"}, "invalid option `-A'");
  check({"-L", "--list"}, "invalid option `--list'");
  check({"-L", "--start-daemon", "master"}, "invalid option `master'");  // popt's last word
  check({"-L", "-n", "-n"}, "multiple 'numeric' options specified");
  check({"-Lnn"}, "multiple 'numeric' options specified");
  check({"-A", "-t", "10.0.0.1:80", "-f", "1"}, "multiple 'service-address' options specified");
  check({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-m", "-g"},
        "multiple 'forwarding-method' options specified");
  check({"-L", "foo"}, "unexpected argument foo");
  check({"-L", "--", "-n"}, "unexpected argument -n");
  check({"-L", "-s", "rr"}, "Illegal 'scheduler' option with the 'list' command");
  check({"-L", "-c", "--stats"}, "options conflicts in the list command");
  check({"-L", "--daemon", "--persistent-conn"}, "options conflicts in the list command");
  check({"-L", "-c", "-t", "10.0.0.1:80"},
        "The option 'service-address' conflicts with the 'connection' option in the 'list' "
        "command");
  check({"-A"}, "You need to supply the 'service-address' option for the 'add-service' command");
  check({"-a", "-t", "10.0.0.1:80"},
        "You need to supply the 'real-server' option for the 'add-server' command");
  check({"-C", "-n"}, "Illegal 'numeric' option with the 'flush' command");
  check({"-A", "-t", "10.0.0.1:80", "-6"}, "-6 used before -f\n");
  check({"--set", "1", "2"}, "--set option requires 3 timeout values");
  check({"--set", "1", "2", "3", "4"}, "unexpected argument 4");
  check({"--start-daemon", "primary"}, "illegal start-daemon parameter specified");
  check({"--stop-daemon", "primary"}, "illegal start_daemon specified");
}

TEST_CASE("other commands parse to their options, values kept as text") {
  const CommandLine add = ok({"-A", "-t", "10.0.0.1:80", "-s", "rr", "-p"});
  CHECK(add.command == Command::kAdd);
  CHECK(add.command_spelling == "-A");
  REQUIRE(add.options.size() == 3);
  CHECK(add.options[0].value == "10.0.0.1:80");
  CHECK(add.options[1].value == "rr");
  CHECK_FALSE(add.options[2].value.has_value());  // -p without timeout

  const CommandLine clustered = ok({"-At10.0.0.1:80", "-p", "600", "-M", "255.255.255.0"});
  CHECK(clustered.options[0].spelling == "-t");
  CHECK(clustered.options[0].value == "10.0.0.1:80");
  CHECK(clustered.options[1].value == "600");

  // An optional argument never takes an option: -p then -s.
  const CommandLine optional = ok({"--add-service", "--tcp-service=10.0.0.1:80", "-p", "-s", "sh"});
  CHECK(optional.command_spelling == "--add-service");
  CHECK_FALSE(optional.options[1].value.has_value());
  CHECK(optional.options[2].value == "sh");

  CHECK(ok({"--set", "900", "120", "300"}).values == std::vector<std::string>{"900", "120", "300"});
  CHECK(ok({"-a", "-f", "7", "-6", "-r", "10.0.0.2", "-g", "-w", "0"}).has(Opt::kWeight));
  CHECK(ok({"-Z"}).command == Command::kZero);
  CHECK(ok({"-S", "-n"}).command == Command::kSave);
}

TEST_CASE("--set checks its values where ipvsadm does: before extra words and option rules") {
  const auto check = [](std::vector<std::string> args, int status, const std::string& message) {
    const Failure f = failure(std::move(args));
    CHECK(f.message == message);
    CHECK(f.status == status);
  };
  check({"--set", "900", "x", "300"}, 2, "invalid timeout value `x' specified");
  check({"--set", "1", "2", "x", "4"}, 2, "invalid timeout value `x' specified");
  check({"--set", "2678401", "0", "0", "-n"}, 2, "invalid timeout value `2678401' specified");
  check({"--set", "1", "x"}, 2, "--set option requires 3 timeout values");
  check({"--set", "1", "2", "3", "-n"}, 2, "Illegal 'numeric' option with the 'set' command");
  // A negative value is an option to popt.
  check({"--set", "-1", "2", "3"}, 255, "-1: unknown option");
  CHECK(ok({"--set", "0", "60", "0"}).values == std::vector<std::string>{"0", "60", "0"});
}

TEST_CASE("-L -c: what ipvsadm lets through and what it rejects") {
  const CommandLine line = ok({"-L", "-c", "-n", "--persistent-conn", "--exact", "--nosort"});
  CHECK(line.has(Opt::kConnection));
  CHECK(line.has(Opt::kPersistentConn));
  CHECK(ok({"-Lcn"}).has(Opt::kNumeric));
  CHECK(ok({"-L", "--timeout", "-n"}).has(Opt::kTimeout));
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"-L", "-c", "--stats"},
                                             {"-L", "-c", "--rate"},
                                             {"-L", "-c", "--thresholds"},
                                             {"-L", "--timeout", "--stats"},
                                             {"-L", "--timeout", "--rate"},
                                             {"-L", "--timeout", "--thresholds"},
                                             {"-L", "--timeout", "--persistent-conn"}}) {
    CHECK(failure(args).message == "options conflicts in the list command");
  }
  CHECK(failure({"-L", "-c", "--timeout"}).message ==
        "The option 'timeout' conflicts with the 'connection' option in the 'list' command");
  CHECK(failure({"-L", "--timeout", "-t", "10.0.0.1:80"}).message ==
        "The option 'timeout' conflicts with the 'service-address' option in the 'list' command");
}

TEST_CASE("lbd's extension: -L -c with a service") {
  const Extensions extensions{.connections_of_service = true};
  const auto parse_ext = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "ipvsadm");
    return parse_command_line(args, extensions);
  };
  // Off (ipvsadm exactly), -c and a service are exclusive.
  CHECK(failure({"-L", "-c", "-f", "7"}).message ==
        "The option 'service-address' conflicts with the 'connection' option in the 'list' "
        "command");
  for (const auto& args : std::vector<std::vector<std::string>>{{"-L", "-c", "-t", "10.0.0.1:80"},
                                                                {"-Lcn", "-u", "10.0.0.1:53"},
                                                                {"-L", "-f", "7", "-c"}}) {
    const auto result = parse_ext(args);
    REQUIRE(std::holds_alternative<CommandLine>(result));
    CHECK(std::get<CommandLine>(result).has(Opt::kService));
    CHECK(std::get<CommandLine>(result).has(Opt::kConnection));
  }
  // Everything else stays as ipvsadm has it.
  const auto with_timeout = parse_ext({"-L", "-c", "-t", "10.0.0.1:80", "--timeout"});
  REQUIRE(std::holds_alternative<Failure>(with_timeout));
  CHECK(std::get<Failure>(with_timeout).message ==
        "The option 'service-address' conflicts with the 'connection' option in the 'list' "
        "command");
  const auto stats = parse_ext({"-L", "-c", "-t", "10.0.0.1:80", "--stats"});
  REQUIRE(std::holds_alternative<Failure>(stats));
  CHECK(std::get<Failure>(stats).message == "options conflicts in the list command");
  const auto service_timeout = parse_ext({"-L", "--timeout", "-t", "10.0.0.1:80"});
  REQUIRE(std::holds_alternative<Failure>(service_timeout));
  CHECK(std::get<Failure>(service_timeout).message ==
        "The option 'timeout' conflicts with the 'service-address' option in the 'list' command");
}

TEST_CASE("-h and -v act at once, ignoring the rest") {
  CHECK(ok({"-h", "--bogus", "x"}).command == Command::kHelp);
  CHECK(ok({"--version"}).command == Command::kVersion);
}

TEST_CASE("the option table names every option once per spelling") {
  std::vector<std::string> longs;
  std::string shorts;
  for (const OptionSpec& spec : option_table()) {
    if (spec.long_name != "list") longs.emplace_back(spec.long_name);
    if (spec.short_name != '\0') shorts += spec.short_name;
    CHECK_FALSE(spec.help.empty());
    const bool command_xor_option = spec.command.has_value() != spec.sets.has_value();
    CHECK((command_xor_option || spec.long_name == "sort" || spec.long_name == "ipv6"));
  }
  std::sort(longs.begin(), longs.end());
  CHECK(std::adjacent_find(longs.begin(), longs.end()) == longs.end());
  std::sort(shorts.begin(), shorts.end());
  CHECK(std::adjacent_find(shorts.begin(), shorts.end()) == shorts.end());
}
