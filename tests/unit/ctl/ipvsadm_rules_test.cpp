// ipvsadm rule files (ipvsadm-save output, /etc/sysconfig/ipvsadm) and the
// line-by-line application of -R over all-or-nothing edits.
#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <string>
#include <variant>
#include <vector>

#include <lb/ctl/ipvsadm_rules.h>

using namespace lb::ctl::ipvsadm;
using nlohmann::json;

namespace {

// The rule file of the seed "IPVSADM — LVS mode tunneling"
// (reference/seeds/003_f06f1f03ea6dde7f.txt), addresses moved to test
// networks: three services' rules commented out with '#', one live.
const std::string kSeedRules =
    "#-A -t 198.18.61.31:80 -s rr\n"
    "#-a -t 198.18.61.31:80 -r 198.19.216.107:80 -g -w 1\n"
    "#-A -t 198.18.61.31:443 -s rr\n"
    "#-a -t 198.18.61.31:443 -r 198.19.216.107:443 -g -w 1\n"
    "-A -t 198.18.61.31:6669 -s rr\n"
    "-a -t 198.18.61.31:6669 -r 198.19.216.107:6669 -i -w 1\n";

}  // namespace

TEST_CASE("rule lines are split as config_stream.c splits them") {
  const auto lines = read_rules(
      "-A -t 10.0.0.1:80 -s rr\n"
      "\n"
      "   \t \r\n"
      "ipvsadm -a\t-t 10.0.0.1:80 -r 10.0.0.2 ipvsadm\r\n"
      "ipvsadm\n"
      "  -C");
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].number == 1);
  CHECK(lines[0].argv ==
        std::vector<std::string>{"ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "rr"});
  CHECK(lines[1].number == 4);
  CHECK(lines[1].argv ==
        std::vector<std::string>{"ipvsadm", "-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2"});
  CHECK(lines[2].number == 6);
  CHECK(lines[2].argv == std::vector<std::string>{"ipvsadm", "-C"});

  RulesOptions options;
  options.program = "/sbin/ipvsadm";
  options.skip_comment_lines = true;
  const auto live = read_rules(kSeedRules, options);
  REQUIRE(live.size() == 2);
  CHECK(live[0].number == 5);
  CHECK(live[0].argv[0] == "/sbin/ipvsadm");
  // Without the init script's grep -v '^#', a '#' line is a line like any other.
  CHECK(read_rules(kSeedRules).size() == 6);
  CHECK(read_rules(kSeedRules)[0].argv[1] == "#-A");
}

TEST_CASE("a rule file to ops, for importers") {
  RulesOptions options;
  options.skip_comment_lines = true;
  const auto ops = rules_to_ops(kSeedRules, options);
  REQUIRE(std::holds_alternative<std::vector<RuleOp>>(ops));
  const auto& list = std::get<std::vector<RuleOp>>(ops);
  REQUIRE(list.size() == 2);
  CHECK(list[0].line == 5);
  CHECK(list[0].op == json::parse(R"({"op":"add_service","service":{"protocol":"tcp",
    "vip":"198.18.61.31","port":6669,"scheduler":"rr","sched_flags":[],"persistent":0,
    "one_packet":false}})"));
  CHECK(list[1].line == 6);
  CHECK(list[1].op == json::parse(R"({"op":"add_real","service":{"protocol":"tcp",
    "vip":"198.18.61.31","port":6669},"real":{"address":"198.19.216.107","port":6669,
    "forward":"tunnel","weight":1,"upper_threshold":0,"lower_threshold":0}})"));

  // ipvsadm -R itself refuses the '#' line, as "Try ...".
  const auto raw = rules_to_ops(kSeedRules);
  REQUIRE(std::holds_alternative<RuleError>(raw));
  const auto& error = std::get<RuleError>(raw);
  CHECK(error.line == 1);
  CHECK(error.failure.status == 255);
  CHECK(error.describe() == "line 1: Try `ipvsadm -h' or 'ipvsadm --help' for more information.");

  const auto bad = rules_to_ops("-A -t 10.0.0.1:80\n\n-a -t 10.0.0.1:80 -r 10.0.0.2 -w x\n");
  REQUIRE(std::holds_alternative<RuleError>(bad));
  CHECK(std::get<RuleError>(bad).describe() == "line 3: illegal weight specified");

  const auto listing = rules_to_ops("-C\n-Ln\n");
  REQUIRE(std::holds_alternative<RuleError>(listing));
  CHECK(std::get<RuleError>(listing).describe() ==
        "line 2: '-L' is not a rule: only -A -E -D -C -a -e -d change the configuration");
  CHECK(std::get<std::vector<RuleOp>>(rules_to_ops("")).empty());
}

namespace {

// An lbd stand-in for apply_one_by_one: ops are numbers; "odd" ones are
// refused. Records every request.
struct FakeEdit {
  std::vector<std::vector<int>> requests;
  bool name_the_op = true;

  std::optional<EditRefusal> operator()(std::span<const json> ops) {
    std::vector<int> request;
    for (const json& op : ops)
      request.push_back(op.get<int>());
    requests.push_back(request);
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].get<int>() % 2 == 1) {
        const std::string text = fmt::format("{} is odd", ops[i].get<int>());
        if (ops.size() == 1 || !name_the_op) return EditRefusal{"invalid", text};
        return EditRefusal{"invalid", fmt::format("op {}: {}", i + 1, text)};
      }
    }
    return std::nullopt;
  }
};

std::vector<json> numbers(std::initializer_list<int> values) {
  std::vector<json> out;
  for (const int v : values)
    out.emplace_back(v);
  return out;
}

}  // namespace

TEST_CASE("-R's line-by-line outcome in as few edits as lbd's answers allow") {
  FakeEdit lbd;
  const auto send = [&](std::span<const json> ops) { return lbd(ops); };

  SECTION("all accepted: one request") {
    const auto results = apply_one_by_one(numbers({2, 4, 6}), send);
    CHECK(lbd.requests == std::vector<std::vector<int>>{{2, 4, 6}});
    CHECK_FALSE(results[0]);
    CHECK_FALSE(results[2]);
  }
  SECTION("refused ops are skipped, the rest applied in order") {
    const auto results = apply_one_by_one(numbers({2, 3, 4, 5, 6, 8}), send);
    CHECK(lbd.requests ==
          std::vector<std::vector<int>>{{2, 3, 4, 5, 6, 8}, {2}, {4, 5, 6, 8}, {4}, {6, 8}});
    REQUIRE(results.size() == 6);
    CHECK_FALSE(results[0]);
    REQUIRE(results[1]);
    CHECK(results[1]->message == "3 is odd");
    CHECK(results[1]->code == "invalid");
    CHECK_FALSE(results[2]);
    REQUIRE(results[3]);
    CHECK(results[3]->message == "5 is odd");
    CHECK_FALSE(results[5]);
  }
  SECTION("a refusal that names no op: one op at a time") {
    lbd.name_the_op = false;
    const auto results = apply_one_by_one(numbers({2, 3, 4}), send);
    CHECK(lbd.requests == std::vector<std::vector<int>>{{2, 3, 4}, {2}, {3}, {4}});
    CHECK(results[1]->message == "3 is odd");
    CHECK_FALSE(results[2]);
  }
  SECTION("lbd's limit of ops per request") {
    apply_one_by_one(numbers({2, 4, 6, 8, 10}), send, 2);
    CHECK(lbd.requests == std::vector<std::vector<int>>{{2, 4}, {6, 8}, {10}});
  }
  SECTION("nothing to send") {
    CHECK(apply_one_by_one({}, send).empty());
    CHECK(lbd.requests.empty());
  }
}
