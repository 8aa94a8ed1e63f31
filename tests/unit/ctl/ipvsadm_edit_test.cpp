// ipvsadm's editing command lines -> lbd `edit` ops: ipvsadm's defaults,
// value checks in its order, its messages and statuses
// (reference/ipvsadm-formats.md §8-§9).
#include <catch2/catch.hpp>
#include <string>
#include <variant>
#include <vector>

#include <lb/ctl/ipvsadm_edit.h>

using namespace lb::ctl::ipvsadm;
using nlohmann::json;

namespace {

std::variant<Translation, Failure> translate(std::vector<std::string> args) {
  args.insert(args.begin(), "ipvsadm");
  return translate_command_line(args);
}

json op(std::vector<std::string> args) {
  auto result = translate(std::move(args));
  if (const auto* f = std::get_if<Failure>(&result)) FAIL("failed: " << f->message);
  return std::get<Translation>(result).op;
}

Failure failure(std::vector<std::string> args) {
  auto result = translate(std::move(args));
  if (std::holds_alternative<Translation>(result)) FAIL("translated without error");
  return std::get<Failure>(result);
}

std::string message(std::vector<std::string> args) {
  const Failure f = failure(std::move(args));
  CHECK(f.status == 2);
  CHECK(f.exits);
  return f.message;
}

}  // namespace

TEST_CASE("-A sends the whole service with ipvsadm's defaults") {
  CHECK(op({"-A", "-t", "10.0.0.1:80"}) == json::parse(R"({"op":"add_service","service":{
    "protocol":"tcp","vip":"10.0.0.1","port":80,"scheduler":"wlc","sched_flags":[],
    "persistent":0,"one_packet":false}})"));
  CHECK(op({"-A", "-u", "10.0.0.1:53", "-s", "sh", "-p", "600", "-M", "255.255.255.0", "-o", "-b",
            "sh-port,sh-fallback"}) == json::parse(R"({"op":"add_service","service":{
    "protocol":"udp","vip":"10.0.0.1","port":53,"scheduler":"sh",
    "sched_flags":["sh-fallback","sh-port"],"persistent":600,"netmask":"255.255.255.0",
    "one_packet":true}})"));
  // -p without a value: 360 s; the value is only taken when it is no option.
  CHECK(op({"-A", "-f", "7", "-p", "-s", "rr"}) == json::parse(R"({"op":"add_service","service":{
    "fwmark":7,"scheduler":"rr","sched_flags":[],"persistent":360,"netmask":"255.255.255.255",
    "one_packet":false}})"));
  // A port-0 service is fine once persistent; combined short options work.
  CHECK(op({"-At", "10.0.0.1", "-p", "30"})["service"]["port"] == 0);
  // -b before -s is read under the final scheduler; mh's flags by name.
  CHECK(op({"-A", "-t", "10.0.0.1:80", "-b", "mh-port", "-s", "mh"})["service"]["sched_flags"] ==
        json::array({"mh-port"}));
  CHECK(op({"-A", "-t", "10.0.0.1:80", "-b", "flag-1,flag-3"})["service"]["sched_flags"] ==
        json::array({"flag-1", "flag-3"}));
  // Host and service names, as gethostbyname/getservbyname give them.
  CHECK(op({"-A", "-t", "localhost:http"})["service"]["vip"] == "127.0.0.1");
  CHECK(op({"-A", "-t", "localhost:http"})["service"]["port"] == 80);
}

TEST_CASE("-E replaces the whole definition: what is not given goes back to the default") {
  CHECK(op({"-E", "-t", "10.0.0.1:80"}) == json::parse(R"({"op":"edit_service","service":{
    "protocol":"tcp","vip":"10.0.0.1","port":80,"scheduler":"wlc","sched_flags":[],
    "persistent":0,"one_packet":false}})"));
  CHECK(op({"-D", "-t", "10.0.0.1:80"}) ==
        json::parse(R"({"op":"delete_service","service":{"protocol":"tcp","vip":"10.0.0.1",
    "port":80}})"));
  CHECK(op({"-C"}) == json::parse(R"({"op":"clear"})"));
  CHECK(op({"--clear"}) == json::parse(R"({"op":"clear"})"));
}

TEST_CASE("-a and -e send every field: ipvsadm's -g, weight 1, no thresholds") {
  CHECK(op({"-a", "-t", "10.0.0.1:80", "-r", "192.168.1.11"}) ==
        json::parse(R"({"op":"add_real","service":{"protocol":"tcp","vip":"10.0.0.1","port":80},
    "real":{"address":"192.168.1.11","port":80,"forward":"dr","weight":1,"upper_threshold":0,
    "lower_threshold":0}})"));
  CHECK(op({"-e", "-t", "10.0.0.1:80", "-r", "192.168.1.11:8080", "-m", "-w", "7", "-x", "100",
            "-y", "50"}) ==
        json::parse(R"({"op":"edit_real","service":{"protocol":"tcp","vip":"10.0.0.1","port":80},
    "real":{"address":"192.168.1.11","port":8080,"forward":"nat","weight":7,
    "upper_threshold":100,"lower_threshold":50}})"));
  // -g and -i force the service's port; -m keeps the one given.
  CHECK(op({"-a", "-t", "10.0.0.1:80", "-r", "192.168.1.11:8080", "-g"})["real"]["port"] == 80);
  CHECK(op({"-a", "-t", "10.0.0.1:80", "-r", "192.168.1.11:8080", "-i"})["real"] ==
        json::parse(R"({"address":"192.168.1.11","port":80,"forward":"tunnel","weight":1,
    "upper_threshold":0,"lower_threshold":0})"));
  CHECK(op({"-a", "-t", "10.0.0.1:80", "-r", "192.168.1.11:8080", "-i", "--tun-type",
            "ipip"})["real"]["forward"] == "tunnel");
  // -r before -t: the service's port is not known yet, so a -m server gets 0.
  CHECK(op({"-a", "-r", "192.168.1.11", "-t", "10.0.0.1:80", "-m"})["real"]["port"] == 0);
  // Firewall-mark services: port 0 = the packet's port, and never forced.
  CHECK(op({"-a", "-f", "7", "-r", "192.168.1.20", "-w", "0"})["real"] ==
        json::parse(R"({"address":"192.168.1.20","port":0,"forward":"dr","weight":0,
    "upper_threshold":0,"lower_threshold":0})"));
  CHECK(op({"-a", "-f", "7", "-r", "192.168.1.20:8080"})["real"]["port"] == 8080);
  CHECK(op({"-d", "-t", "10.0.0.1:80", "-r", "192.168.1.11"}) ==
        json::parse(R"({"op":"delete_real","service":{"protocol":"tcp","vip":"10.0.0.1",
    "port":80},"real":{"address":"192.168.1.11","port":80}})"));
  CHECK(op({"-d", "-t", "10.0.0.1:80", "-r", "192.168.1.11:8080"})["real"]["port"] == 8080);
  CHECK(op({"-a", "-u", "10.0.0.1:53", "-r", "192.168.1.11:domain", "-m"})["real"]["port"] == 53);
}

TEST_CASE("value checks: ipvsadm's messages, exit 2") {
  CHECK(message({"-A", "-t", "10.0.0.1"}) == "Zero port specified for non-persistent service");
  CHECK(message({"-E", "-t", "10.0.0.1:0"}) == "Zero port specified for non-persistent service");
  CHECK(message({"-A", "-t", "10.0.0.1:80", "-o"}) ==
        "One-Packet Scheduling is only for UDP virtual services");
  CHECK(message({"-A", "-t", "10.0.0.1:80", "-p", "0"}) == "invalid timeout value `0' specified");
  CHECK(message({"-A", "-t", "10.0.0.1:80", "-p", "2678401"}) ==
        "invalid timeout value `2678401' specified");
  CHECK(message({"-A", "-t", "10.0.0.1:80", "-M", "bogus..mask"}) ==
        "illegal virtual server persistent mask specified");
  CHECK(message({"-A", "-t", "10.0.0.1:80", "-b", "sh-port"}) ==
        "incompatible scheduler flag `sh-port'");
  CHECK(message({"-A", "-t", "10.0.0.1:80", "-s", "sh", "-b", "mh-port"}) ==
        "incompatible scheduler flag `mh-port'");
  CHECK(message({"-A", "-t", "10.0.0.1:80", "-b", "bogus"}) == "invalid scheduler flag `bogus'");
  CHECK(message({"-A", "-t", "10.0.0.1:x"}) == "illegal virtual server address[:port] specified");
  CHECK(message({"-A", "-f", "0"}) == "invalid fwmark value `0' specified");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "1234"}) ==
        "illegal real server address[:port] specified");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2:99999"}) ==
        "illegal real server address[:port] specified");
  // A port name before -t: no protocol to look it up under.
  CHECK(message({"-a", "-r", "10.0.0.2:http", "-t", "10.0.0.1:80"}) ==
        "illegal real server address[:port] specified");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-w", "65536"}) ==
        "illegal weight specified");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-w", "-1"}) ==
        "illegal weight specified");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-x", "2147483648"}) ==
        "illegal u_threshold specified");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-y", "x"}) ==
        "illegal l_threshold specified");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "--tun-type", "ipip"}) ==
        "Tunnel options conflict with forward method");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-i", "--tun-type", "bogus"}) ==
        "illegal tunnel type specified");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-i", "--tun-type", "gue"}) ==
        "You need to supply the 'tun-port' option for the 'gue' tunnel type");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-i", "--tun-port", "6080"}) ==
        "Illegal 'tun-port' option with the 'ipip' tunnel type");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-i", "--tun-type", "gue",
                 "--tun-port", "6080", "--tun-nocsum", "--tun-csum"}) ==
        "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "[2001:db8::2]:80"}) ==
        "Different address family is allowed only for tunneling servers");
}

TEST_CASE("values are read in command-line order, before the legality table") {
  // parse_options reads -w before generic_opt_check refuses it.
  CHECK(message({"-D", "-t", "10.0.0.1:80", "-w", "x"}) == "illegal weight specified");
  CHECK(message({"-D", "-t", "10.0.0.1:80", "-w", "1"}) ==
        "Illegal 'weight' option with the 'delete-service' command");
  CHECK(message({"-A", "-t", "10.0.0.1:x", "-w", "x"}) ==
        "illegal virtual server address[:port] specified");
  CHECK(message({"-A", "-w", "x", "-t", "10.0.0.1:x"}) == "illegal weight specified");
  // The scheduler flags are read after the last option (and its extra word).
  CHECK(message({"-A", "-t", "10.0.0.1:80", "-b", "bogus", "extra"}) ==
        "unexpected argument extra");
  CHECK(message({"-A", "-b", "bogus", "-r", "10.0.0.2"}) == "invalid scheduler flag `bogus'");
  CHECK(message({"-A", "-r", "10.0.0.2"}) ==
        "You need to supply the 'service-address' option for the 'add-service' command");
  // A popt error ends the options; -R then goes on (ipvsadm returns -1).
  const Failure popt = failure({"-A", "-t", "10.0.0.1:80", "--bogus"});
  CHECK(popt.status == 255);
  CHECK(popt.message == "--bogus: unknown option");
  CHECK_FALSE(popt.exits);
}

TEST_CASE("the kernel's threshold check, which ipvsadm reports with strerror") {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-y", "5"},
           {"-e", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-x", "10", "-y", "11"}}) {
    const Failure f = failure(args);
    CHECK(f.status == 255);
    CHECK(f.message == "Numerical result out of range");
    CHECK_FALSE(f.exits);
  }
  CHECK(op({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-x", "10", "-y",
            "10"})["real"]["lower_threshold"] == 10);
}

TEST_CASE("what lbd cannot do is refused, never ignored") {
  CHECK(message({"-A", "-t", "10.0.0.1:80", "--pe", "sip"}) ==
        "lbctl: ipvsadm option '--pe sip' is not supported: lbd has no persistence engines");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-i", "--tun-type", "gre"}) ==
        "lbctl: ipvsadm option '--tun-type gre' is not supported: lbd tunnels with IPIP only");
  CHECK(message({"-a", "-t", "10.0.0.1:80", "-r", "[2001:db8::2]:80", "-i"}) ==
        "lbctl: IPv6 real servers are not supported");
  CHECK(message({"-A", "-f", "1", "-6"}) ==
        "lbctl: IPv6 firewall-mark services (-6) are not supported");
  CHECK(message({"-A", "-t", "[2001:db8::1]:80"}) ==
        "lbctl: IPv6 virtual services ('-t [2001:db8::1]:80') are not supported");
  CHECK(message({"-A", "--sctp-service", "10.0.0.1:80"}) ==
        "lbctl: ipvsadm option '--sctp-service' is not supported: lbd serves TCP and UDP only");
}

TEST_CASE("-Z with and without a service") {
  const auto all = std::get<Translation>(translate({"-Z"}));
  CHECK(all.op.is_null());
  CHECK(zero_args(all.entry) == json::object());
  const auto one = std::get<Translation>(translate({"-Z", "-f", "7"}));
  CHECK(zero_args(one.entry) == json::parse(R"({"service":{"fwmark":7}})"));
  CHECK(message({"-Z", "-t", "10.0.0.1:80", "-n"}) ==
        "Illegal 'numeric' option with the 'zero' command");
}

TEST_CASE("lbd's refusals in ipvsadm's words (ipvs_strerror)") {
  const auto text = [](Command command, const char* code) {
    const Failure f = edit_failure(command, code, "op 3: service tcp:10.0.0.1:80 ...");
    CHECK(f.status == 255);
    CHECK_FALSE(f.exits);
    return f.message;
  };
  CHECK(text(Command::kAdd, "service_exists") == "Service already exists");
  CHECK(text(Command::kAdd, "no_scheduler") == "Scheduler or persistence engine not found");
  CHECK(text(Command::kEdit, "no_scheduler") == "Scheduler or persistence engine not found");
  CHECK(text(Command::kEdit, "no_service") == "No such service");
  CHECK(text(Command::kDelete, "no_service") == "No such service");
  CHECK(text(Command::kZero, "no_service") == "No such service");
  CHECK(text(Command::kAddServer, "no_service") == "Service not defined");
  CHECK(text(Command::kEditServer, "no_service") == "Service not defined");
  CHECK(text(Command::kDeleteServer, "no_service") == "Service not defined");
  CHECK(text(Command::kAddServer, "real_exists") == "Destination already exists");
  CHECK(text(Command::kEditServer, "no_real") == "No such destination");
  CHECK(text(Command::kDeleteServer, "no_real") == "No such destination");
  // No kernel counterpart: lbd's own sentence, without the op number.
  CHECK(text(Command::kAdd, "invalid") ==
        "lbctl: lbd refused the change: service tcp:10.0.0.1:80 ... (invalid)");
  CHECK(edit_failure(Command::kFlush, "rejected", "no room").message ==
        "lbctl: lbd refused the change: no room (rejected)");
}
