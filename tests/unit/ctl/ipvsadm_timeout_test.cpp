// `lbctl -L --timeout` and `--set tcp tcpfin udp` (reference/ipvsadm-formats.md
// §7): ipvsadm's checks and texts, and what reaches lbd.
#include <string>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include <lb/ctl/ipvsadm_timeout.h>
#include <lb/ctl/protocol.h>

using nlohmann::json;
namespace ipvsadm = lb::ctl::ipvsadm;

namespace {

std::optional<json> args_for(std::vector<std::string> values) {
  const auto result = ipvsadm::set_timeout_args(values);
  if (const auto* f = std::get_if<ipvsadm::Failure>(&result)) FAIL("failed: " << f->message);
  return std::get<std::optional<json>>(result);
}

ipvsadm::Failure failure_for(std::vector<std::string> values) {
  const auto result = ipvsadm::set_timeout_args(values);
  if (!std::holds_alternative<ipvsadm::Failure>(result)) FAIL("accepted");
  return std::get<ipvsadm::Failure>(result);
}

json settings(long long established, long long fin_wait, long long udp) {
  return {{"expire_nodest_conn", false},
          {"timeouts",
           {{"none", 2},
            {"established", established},
            {"syn_sent", 120},
            {"fin_wait", fin_wait},
            {"udp", udp},
            {"icmp", 60}}}};
}

}  // namespace

TEST_CASE("--set values: string_to_number(0, 2678400), strtol's syntax") {
  CHECK(ipvsadm::parse_timeout("0") == 0u);
  CHECK(ipvsadm::parse_timeout("2678400") == 2678400u);
  CHECK(ipvsadm::parse_timeout("0900") == 900u);
  CHECK(ipvsadm::parse_timeout(" 60") == 60u);  // strtol skips leading blanks
  CHECK(ipvsadm::parse_timeout("+60") == 60u);
  CHECK_FALSE(ipvsadm::parse_timeout("2678401"));
  CHECK_FALSE(ipvsadm::parse_timeout("-5"));
  CHECK_FALSE(ipvsadm::parse_timeout("60 "));
  CHECK_FALSE(ipvsadm::parse_timeout("60s"));
  CHECK_FALSE(ipvsadm::parse_timeout("0x10"));
  CHECK_FALSE(ipvsadm::parse_timeout(""));
  CHECK_FALSE(ipvsadm::parse_timeout("99999999999999999999"));
  CHECK_FALSE(
      ipvsadm::parse_timeout(std::string("6\0"
                                         "0",
                                         3)));
}

TEST_CASE("--set tcp tcpfin udp sets lbd's established, fin_wait and udp; 0 leaves one alone") {
  CHECK(args_for({"900", "120", "300"}) ==
        json{{"timeouts", {{"established", 900}, {"fin_wait", 120}, {"udp", 300}}}});
  CHECK(args_for({"0", "60", "0"}) == json{{"timeouts", {{"fin_wait", 60}}}});
  CHECK(args_for({"7200", "0", "0"}) == json{{"timeouts", {{"established", 7200}}}});
  CHECK(args_for({"0", "0", "2678400"}) == json{{"timeouts", {{"udp", 2678400}}}});
  // All three 0: nothing to change (ipvsadm still succeeds).
  CHECK(args_for({"0", "0", "0"}) == std::nullopt);
}

TEST_CASE("--set errors: ipvsadm's texts, fail()'s status 2") {
  ipvsadm::Failure f = failure_for({"1", "2"});
  CHECK(f.message == "--set option requires 3 timeout values");
  CHECK(f.status == 2);
  f = failure_for({"900", "2678401", "x"});
  CHECK(f.message == "invalid timeout value `2678401' specified");  // the first bad one
  CHECK(f.status == 2);
  CHECK(failure_for({"900", "120", "5m"}).message == "invalid timeout value `5m' specified");
}

TEST_CASE("-L --timeout prints list_timeout's line") {
  CHECK(ipvsadm::format_timeout(settings(900, 120, 300)) ==
        "Timeout (tcp tcpfin udp): 900 120 300\n");
  CHECK(ipvsadm::format_timeout(settings(7200, 30, 2678400)) ==
        "Timeout (tcp tcpfin udp): 7200 30 2678400\n");
}

TEST_CASE("-L --timeout names the field lbd got wrong") {
  const auto message = [](const json& result) -> std::string {
    try {
      ipvsadm::format_timeout(result);
    } catch (const lb::ctl::CtlError& e) {
      CHECK(e.code() == lb::ctl::errc::kBadReply);
      return e.what();
    }
    return "";
  };
  CHECK(message(json::array()) == "lbd's settings result: timeouts: expected an object");
  json s = settings(900, 120, 300);
  s["timeouts"].erase("fin_wait");
  CHECK(message(s) ==
        "lbd's settings result: timeouts.fin_wait: expected an integer in 0..2147483647");
  s = settings(900, 120, 300);
  s["timeouts"]["udp"] = "300";
  CHECK(message(s) == "lbd's settings result: timeouts.udp: expected an integer in 0..2147483647");
}
