// `lbctl -L -c` against ipvsadm 1.31 (reference/ipvsadm-formats.md §5), and
// the -t/-u/-f values it may be narrowed by (§8). Expected lines are the
// reference's verified output, trailing blanks included.
#include <map>
#include <string>
#include <variant>

#include <catch2/catch.hpp>

#include <lb/ctl/ipvsadm_conn.h>
#include <lb/ctl/ipvsadm_service.h>
#include <lb/ctl/protocol.h>

using lb::packet::Ipv4Addr;
using nlohmann::json;
namespace ipvsadm = lb::ctl::ipvsadm;

namespace {

json conn(const std::string& protocol, const std::string& state, long long expires,
          const std::string& client, long long client_port, const std::string& vip, long long vport,
          const std::string& dest, long long dport, bool is_template = false) {
  json e = {{"protocol", protocol},   {"template", is_template},  {"state", state},
            {"expires_s", expires},   {"client_address", client}, {"client_port", client_port},
            {"virtual_address", vip}, {"virtual_port", vport},    {"dest_address", dest},
            {"dest_port", dport}};
  // lbd names the forwarding method of connections, not of templates.
  if (!is_template) e["forward"] = "nat";
  return e;
}

// The reference's verified IPv4 rows, as lbd reports them.
json reference_page() {
  return json::array({
      conn("TCP", "ESTABLISHED", 897, "192.168.1.100", 54321, "10.0.0.1", 80, "192.168.1.11", 80),
      conn("TCP", "SYN_RECV", 59, "192.168.1.100", 54322, "10.0.0.1", 80, "192.168.1.12", 80),
      conn("UDP", "UDP", 299, "192.168.1.101", 33333, "10.0.0.1", 53, "192.168.1.12", 53),
      // A persistence template at the longest timeout: minutes are not capped.
      conn("TCP", "NONE", 2678399, "192.168.1.0", 0, "10.0.0.1", 80, "192.168.1.12", 80, true),
      // A firewall-mark template: protocol IP, the mark 7 as the address.
      conn("IP", "ASSURED", 359, "192.168.1.0", 0, "0.0.0.7", 0, "192.168.1.20", 0, true),
  });
}

const std::string kReferenceRows =
    "TCP 14:57  ESTABLISHED 192.168.1.100:54321 10.0.0.1:80        192.168.1.11:80\n"
    "TCP 00:59  SYN_RECV    192.168.1.100:54322 10.0.0.1:80        192.168.1.12:80\n"
    "UDP 04:59  UDP         192.168.1.101:33333 10.0.0.1:53        192.168.1.12:53\n"
    "TCP 44639:59 NONE        192.168.1.0:0      10.0.0.1:80        192.168.1.12:80\n"
    "IP  05:59  ASSURED     192.168.1.0:0      0.0.0.7:0          192.168.1.20:0\n";

const std::string kTitle =
    "IPVS connection entries\n"
    "pro expire state       source             virtual            destination\n";

class FakeNames final : public ipvsadm::NameResolver {
 public:
  std::map<uint32_t, std::string> hosts;
  std::map<std::pair<uint16_t, uint16_t>, std::string> services;
  mutable int host_lookups = 0;

  std::optional<std::string> host_name(Ipv4Addr addr) const override {
    ++host_lookups;
    const auto it = hosts.find(addr.host());
    return it == hosts.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<std::string> service_name(uint16_t port, uint16_t protocol) const override {
    const auto it = services.find({port, protocol});
    return it == services.end() ? std::nullopt : std::optional(it->second);
  }
};

uint32_t host(const char* text) {
  return Ipv4Addr::parse(text)->host();
}

std::string listing(const json& page, const ipvsadm::NameResolver* names,
                    bool persistent_conn = false) {
  ipvsadm::ConnListing list(names, persistent_conn);
  return list.title() + list.page(page);
}

}  // namespace

TEST_CASE("-Lcn: the reference's rows byte for byte") {
  CHECK(listing(reference_page(), nullptr) == kTitle + kReferenceRows);
  CHECK(listing(json::array(), nullptr) == kTitle);
}

TEST_CASE("-Lc --persistent-conn: the wider heading, rows without a PE unchanged") {
  // lbd has no persistence engines: print_conn scans 10 fields, not 11, and
  // uses the plain row format even under --persistent-conn.
  CHECK(listing(reference_page(), nullptr, true) ==
        "IPVS connection entries\n"
        "pro expire state       source             virtual            destination        pe name "
        "         pe_data\n" +
            kReferenceRows);
  CHECK(ipvsadm::conn_title(true) != ipvsadm::conn_title(false));
}

TEST_CASE("expiry is %02d:%02d of minutes and seconds") {
  const auto expire_of = [](long long seconds) {
    const auto conns = ipvsadm::parse_connections_page(
        json::array({conn("TCP", "CLOSE", seconds, "1.1.1.1", 1, "2.2.2.2", 2, "3.3.3.3", 3)}));
    const std::string line = ipvsadm::conn_line(conns.at(0), nullptr);
    return line.substr(4, line.find(' ', 4) - 4);
  };
  CHECK(expire_of(0) == "00:00");
  CHECK(expire_of(9) == "00:09");
  CHECK(expire_of(600) == "10:00");
  CHECK(expire_of(5999) == "99:59");
  CHECK(expire_of(6000) == "100:00");
  CHECK(expire_of(4294967295LL) == "71582788:15");  // the kernel's unsigned maximum
}

TEST_CASE("fields wider than their column push the rest of the row right") {
  const auto conns = ipvsadm::parse_connections_page(json::array({
      conn("TCP", "ESTABLISHED", 61, "255.255.255.255", 65535, "255.255.255.254", 65534,
           "255.255.255.253", 65533),
      conn("TCP", "CLOSE_WAIT", 6000, "1.2.3.4", 5, "6.7.8.9", 10, "11.12.13.14", 15),
  }));
  CHECK(ipvsadm::conn_line(conns[0], nullptr) ==
        "TCP 01:01  ESTABLISHED 255.255.255.255:65535 255.255.255.254:65534 "
        "255.255.255.253:65533\n");
  CHECK(ipvsadm::conn_line(conns[1], nullptr) ==
        "TCP 100:00 CLOSE_WAIT  1.2.3.4:5          6.7.8.9:10         11.12.13.14:15\n");
}

TEST_CASE("-Lc without -n resolves hosts, and service names for TCP and UDP only") {
  FakeNames names;
  names.hosts[host("192.168.1.100")] = "client.example.net";
  names.hosts[host("10.0.0.1")] = "www.example.com";
  names.services[{80, lb::ctl::ipvsadm::kProtoTcp}] = "http";
  names.services[{53, lb::ctl::ipvsadm::kProtoUdp}] = "domain";
  // Asked for port 0 of "IP", ipvsadm does not look; this name never shows.
  names.services[{0, 0}] = "ip-zero";
  const json page = json::array({
      conn("TCP", "ESTABLISHED", 897, "192.168.1.100", 54321, "10.0.0.1", 80, "192.168.1.11", 80),
      conn("UDP", "UDP", 299, "192.168.1.101", 33333, "10.0.0.1", 53, "192.168.1.12", 53),
      conn("IP", "ASSURED", 359, "192.168.1.100", 0, "0.0.0.7", 0, "192.168.1.20", 0, true),
  });
  CHECK(listing(page, &names) ==
        kTitle +
            "TCP 14:57  ESTABLISHED client.example.net:54321 www.example.com:http "
            "192.168.1.11:http\n"
            "UDP 04:59  UDP         192.168.1.101:33333 www.example.com:domain "
            "192.168.1.12:domain\n"
            "IP  05:59  ASSURED     client.example.net:0 0.0.0.7:0          192.168.1.20:0\n");
}

TEST_CASE("-Lc cuts a name at addrport_to_anyname's 59 characters") {
  FakeNames names;
  names.hosts[host("10.0.0.1")] = std::string(60, 'a') + ".example.org";
  const auto conns = ipvsadm::parse_connections_page(
      json::array({conn("TCP", "CLOSE", 1, "10.0.0.1", 1234, "10.0.0.1", 80, "10.0.0.2", 80)}));
  const std::string cut(59, 'a');
  CHECK(ipvsadm::conn_line(conns[0], &names) ==
        "TCP 00:01  CLOSE       " + cut + " " + cut + " 10.0.0.2:80\n");
}

TEST_CASE("a listing of several pages looks every host up once") {
  FakeNames names;
  names.hosts[host("10.0.0.1")] = "vip";
  ipvsadm::ConnListing list(&names, false);
  const json page =
      json::array({conn("TCP", "CLOSE", 1, "10.0.0.9", 1, "10.0.0.1", 80, "10.0.0.2", 80)});
  const std::string first = list.page(page);
  const std::string second = list.page(page);
  CHECK(first == "TCP 00:01  CLOSE       10.0.0.9:1         vip:80             10.0.0.2:80\n");
  CHECK(second == first);
  CHECK(names.host_lookups == 3);  // 10.0.0.9, 10.0.0.1, 10.0.0.2: once each
}

TEST_CASE("a page that breaks the connections contract is reported with the field's path") {
  const auto message = [](const json& page) -> std::string {
    try {
      ipvsadm::parse_connections_page(page);
    } catch (const lb::ctl::CtlError& e) {
      CHECK(e.code() == lb::ctl::errc::kBadReply);
      return e.what();
    }
    return "";
  };
  const json good = conn("TCP", "CLOSE", 1, "10.0.0.9", 1, "10.0.0.1", 80, "10.0.0.2", 80);
  CHECK(message(json::object()) == "lbd's connections result: connections: expected an array");
  CHECK(message(json::array({good, 5})) ==
        "lbd's connections result: connections[1]: expected an object");
  json e = good;
  e["protocol"] = "SCTP";
  CHECK(message(json::array({e})) ==
        "lbd's connections result: connections[0].protocol: expected \"TCP\", \"UDP\" or \"IP\"");
  e = good;
  e["client_port"] = 65536;
  CHECK(message(json::array({e})) ==
        "lbd's connections result: connections[0].client_port: expected an integer in 0..65535");
  e = good;
  e["expires_s"] = -1;
  CHECK(message(json::array({e})) ==
        "lbd's connections result: connections[0].expires_s: expected an integer in "
        "0..4294967295");
  e = good;
  e["state"] = "TIME WAIT";
  CHECK(message(json::array({e})) ==
        "lbd's connections result: connections[0].state: expected a state name without blanks");
  e = good;
  e.erase("dest_address");
  CHECK(message(json::array({e})) ==
        "lbd's connections result: connections[0].dest_address: expected a value, found none");
  e = good;
  e["virtual_address"] = "2001:db8::1";
  CHECK(message(json::array({e})) ==
        "lbd's connections result: connections[0].virtual_address: expected an IPv4 address");
  e = good;
  e["template"] = "no";
  CHECK(message(json::array({e})) ==
        "lbd's connections result: connections[0].template: expected true or false");
  e = good;
  e.erase("forward");  // not part of ipvsadm's listing
  CHECK(message(json::array({e})).empty());
}

// ---- -t/-u/-f values (parse_service, parse_fwmark) ------------------------

namespace {

std::variant<lb::ctl::ServiceSelector, ipvsadm::Failure> service_option(
    const std::string& long_name, const std::string& value) {
  for (const auto& spec : ipvsadm::option_table()) {
    if (spec.long_name == long_name) {
      return ipvsadm::parse_service_option({&spec, "--" + long_name, value});
    }
  }
  FAIL("no option " << long_name);
  return ipvsadm::Failure{};
}

json selected(const std::string& long_name, const std::string& value) {
  const auto result = service_option(long_name, value);
  if (const auto* f = std::get_if<ipvsadm::Failure>(&result)) FAIL("failed: " << f->message);
  return std::get<lb::ctl::ServiceSelector>(result).to_json();
}

std::string failure(const std::string& long_name, const std::string& value) {
  const auto result = service_option(long_name, value);
  if (std::holds_alternative<lb::ctl::ServiceSelector>(result)) return "(accepted)";
  const auto& f = std::get<ipvsadm::Failure>(result);
  CHECK(f.status == 2);
  return f.message;
}

const std::string kIllegal = "illegal virtual server address[:port] specified";

}  // namespace

TEST_CASE("-t/-u host[:port] as ipvsadm's parse_service reads it") {
  CHECK(selected("tcp-service", "198.18.1.100:80") ==
        json{{"protocol", "tcp"}, {"vip", "198.18.1.100"}, {"port", 80}});
  CHECK(selected("udp-service", "198.18.1.100:53") ==
        json{{"protocol", "udp"}, {"vip", "198.18.1.100"}, {"port", 53}});
  // No port: port 0 (a persistent any-port service).
  CHECK(selected("tcp-service", "198.18.1.100")["port"] == 0);
  // Names from the system databases, ports by the service's protocol.
  CHECK(selected("tcp-service", "localhost:http") ==
        json{{"protocol", "tcp"}, {"vip", "127.0.0.1"}, {"port", 80}});
  CHECK(selected("udp-service", "127.0.0.1:domain")["port"] == 53);
  // inet_aton's forms, and strtol's blanks and sign in the port.
  CHECK(selected("tcp-service", "12345:80")["vip"] == "0.0.48.57");
  CHECK(selected("tcp-service", "10.1:80")["vip"] == "10.0.0.1");
  CHECK(selected("tcp-service", "10.0.0.1:+8080")["port"] == 8080);
  // Brackets keep the port only for IPv6: ipvsadm looks for ':' again
  // inside them and finds none.
  CHECK(selected("tcp-service", "[10.0.0.1]:80")["port"] == 0);

  CHECK(failure("tcp-service", "12345") == kIllegal);  // all digits
  CHECK(failure("tcp-service", "") == kIllegal);
  CHECK(failure("tcp-service", "10.0.0.1:65536") == kIllegal);
  CHECK(failure("tcp-service", "10.0.0.1:") == kIllegal);
  CHECK(failure("tcp-service", "10.0.0.1:no-such-service") == kIllegal);
  CHECK(failure("tcp-service", "no-such-host.invalid:80") == kIllegal);
  CHECK(failure("tcp-service", "[2001:db8::1]") == kIllegal);  // brackets without a port
  CHECK(failure("tcp-service", "[10.0.0.1") == kIllegal);
  CHECK(failure("tcp-service", "[2001:db8::1]:80") ==
        "lbctl: IPv6 virtual services ('--tcp-service [2001:db8::1]:80') are not supported");
  CHECK(failure("sctp-service", "10.0.0.1:80") ==
        "lbctl: ipvsadm option '--sctp-service' is not supported: lbd serves TCP and UDP only");
}

TEST_CASE("-f mark as ipvsadm's parse_fwmark reads it") {
  CHECK(selected("fwmark-service", "7") == json{{"fwmark", 7}});
  CHECK(selected("fwmark-service", "4294967295") == json{{"fwmark", 4294967295u}});
  CHECK(selected("fwmark-service", " +7") == json{{"fwmark", 7}});  // strtoul's syntax
  for (const std::string bad : {"0", "4294967296", "-1", "7x", "", "0x7"}) {
    CHECK(failure("fwmark-service", bad) == "invalid fwmark value `" + bad + "' specified");
  }
}
