// `lbctl set KEY=VALUE...`: what reaches lbd's `set`, and what is refused
// before lbd is asked.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include <lb/ctl/settings.h>

using nlohmann::json;

namespace {

json args(std::vector<std::string> words) {
  return lb::ctl::parse_set_assignments(words);
}

std::string refusal(std::vector<std::string> words) {
  try {
    lb::ctl::parse_set_assignments(words);
  } catch (const lb::ctl::SetSyntaxError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("set: timeouts by name and expire_nodest_conn, in one request") {
  CHECK(args({"timeouts.established=600", "timeouts.udp=60", "expire_nodest_conn=yes"}) ==
        json{{"expire_nodest_conn", true}, {"timeouts", {{"established", 600}, {"udp", 60}}}});
  CHECK(args({"expire_nodest_conn=no"}) == json{{"expire_nodest_conn", false}});
  CHECK(args({"expire_nodest_conn=true"}) == json{{"expire_nodest_conn", true}});
  CHECK(args({"expire_nodest_conn=false"}) == json{{"expire_nodest_conn", false}});
  CHECK(args({"timeouts.none=1", "timeouts.icmp=2678400"}) ==
        json{{"timeouts", {{"none", 1}, {"icmp", 2678400}}}});
  for (const std::string_view name : lb::ctl::kTimeoutNames) {
    CHECK(args({"timeouts." + std::string(name) + "=5"}) ==
          json{{"timeouts", {{std::string(name), 5}}}});
  }
}

TEST_CASE("set: every refusal names the word") {
  CHECK(refusal({}) == "nothing to set: give at least one KEY=VALUE");
  CHECK(refusal({"timeouts.udp"}) == "'timeouts.udp' is not KEY=VALUE");
  CHECK(refusal({"timeouts.udp=60", "timeouts.fin=5"}) ==
        "'timeouts.fin=5': unknown key 'timeouts.fin'");
  CHECK(refusal({"udp=60"}) == "'udp=60': unknown key 'udp'");
  CHECK(refusal({"timeouts.=60"}) == "'timeouts.=60': unknown key 'timeouts.'");
  CHECK(refusal({"Timeouts.udp=60"}) == "'Timeouts.udp=60': unknown key 'Timeouts.udp'");
  CHECK(refusal({"timeouts.udp=0"}) ==
        "'timeouts.udp=0': timeouts.udp takes whole seconds, "
        "1..2678400");
  CHECK(refusal({"timeouts.udp=2678401"}) ==
        "'timeouts.udp=2678401': timeouts.udp takes whole seconds, 1..2678400");
  CHECK(refusal({"timeouts.udp=5m"}) ==
        "'timeouts.udp=5m': timeouts.udp takes whole seconds, "
        "1..2678400");
  CHECK(refusal({"timeouts.udp=-5"}) ==
        "'timeouts.udp=-5': timeouts.udp takes whole seconds, "
        "1..2678400");
  CHECK(refusal({"timeouts.udp="}) ==
        "'timeouts.udp=': timeouts.udp takes whole seconds, "
        "1..2678400");
  CHECK(refusal({"expire_nodest_conn=1"}) ==
        "'expire_nodest_conn=1': expire_nodest_conn takes yes, no, true or false");
  CHECK(refusal({"timeouts.udp=60", "timeouts.udp=70"}) ==
        "'timeouts.udp=70': timeouts.udp is given twice");
  CHECK(refusal({"expire_nodest_conn=yes", "expire_nodest_conn=no"}) ==
        "'expire_nodest_conn=no': expire_nodest_conn is given twice");
}

TEST_CASE("set: the help names every key") {
  const std::string help = lb::ctl::set_keys_help();
  CHECK(
      help.starts_with("valid keys: expire_nodest_conn (yes, no, true or false); "
                       "timeouts.none, timeouts.established,"));
  for (const std::string_view name : lb::ctl::kTimeoutNames) {
    CHECK(help.find("timeouts." + std::string(name)) != std::string::npos);
  }
  CHECK(help.ends_with("timeouts.icmp (seconds, 1..2678400)"));
}
