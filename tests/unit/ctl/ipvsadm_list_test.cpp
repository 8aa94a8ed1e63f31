// `lbctl -L` against ipvsadm 1.31 (reference/ipvsadm-formats.md §2-§4): the
// expected lines are copied from the reference, trailing blanks included.
#include <gnu/libc-version.h>

#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include <lb/ctl/ipvsadm_list.h>
#include <lb/ctl/protocol.h>

using lb::ctl::format_ipvsadm_list;
using lb::packet::Ipv4Addr;
using nlohmann::json;
namespace ipvsadm = lb::ctl::ipvsadm;

namespace {

const std::string kHeader4096 =
    "IP Virtual Server version 1.2.1 (size=4096)\n"
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";

json real(const std::string& address, int port, const std::string& forward, long long weight,
          long long active = 0, long long inactive = 0) {
  return {{"address", address},   {"port", port},           {"forward", forward},
          {"weight", weight},     {"active_conns", active}, {"inactive_conns", inactive},
          {"upper_threshold", 0}, {"lower_threshold", 0},   {"persistent_conns", 0}};
}

json service(const std::string& protocol, const std::string& vip, int port,
             const std::string& scheduler, json reals = json::array()) {
  return {{"protocol", protocol},
          {"vip", vip},
          {"port", port},
          {"scheduler", scheduler},
          {"one_packet", false},
          {"sched_flags", json::array()},
          {"real_servers", std::move(reals)}};
}

// A firewall-mark service: "fwmark" instead of protocol, vip and port.
json fwmark_service(long long fwmark, const std::string& scheduler, json reals = json::array()) {
  return {{"fwmark", fwmark},
          {"scheduler", scheduler},
          {"one_packet", false},
          {"sched_flags", json::array()},
          {"real_servers", std::move(reals)}};
}

// `s` made persistent, as lbd reports it: seconds and netmask together.
json persistent(json s, long long timeout, const std::string& netmask = "255.255.255.255") {
  s["persistent"] = timeout;
  s["netmask"] = netmask;
  return s;
}

json result(json services, long long size = 4096) {
  return {{"conn_table_size", size}, {"services", std::move(services)}};
}

Ipv4Addr ip(const char* text) {
  return *Ipv4Addr::parse(text);
}

std::vector<std::string> dest_order(const json& services_result) {
  auto listing = ipvsadm::parse_services_result(services_result);
  ipvsadm::sort_like_ipvsadm(listing);
  std::vector<std::string> out;
  for (const auto& d : listing.services.at(0).dests)
    out.push_back(d.addr.to_string());
  return out;
}

json one_service_with(const std::vector<std::string>& addresses) {
  json reals = json::array();
  for (const auto& a : addresses)
    reals.push_back(real(a, 80, "dr", 1));
  return result(json::array({service("tcp", "10.0.0.1", 80, "rr", reals)}));
}

class FakeNames final : public ipvsadm::NameResolver {
 public:
  std::map<uint32_t, std::string> hosts;
  std::map<std::pair<uint16_t, uint16_t>, std::string> services;

  std::optional<std::string> host_name(Ipv4Addr addr) const override {
    const auto it = hosts.find(addr.host());
    return it == hosts.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<std::string> service_name(uint16_t port, uint16_t protocol) const override {
    const auto it = services.find({port, protocol});
    return it == services.end() ? std::nullopt : std::optional(it->second);
  }
};

}  // namespace

TEST_CASE("an empty table is the version line and the two title lines") {
  CHECK(format_ipvsadm_list(result(json::array()), true) == kHeader4096);
  CHECK(format_ipvsadm_list(result(json::array(), 1048576), true) ==
        "IP Virtual Server version 1.2.1 (size=1048576)\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
}

TEST_CASE("services and real servers, byte for byte, trailing padding included") {
  const json input = result(json::array({
      service("udp", "10.0.0.1", 53, "rr", json::array({real("192.168.1.12", 53, "dr", 1)})),
      service(
          "tcp", "10.0.0.1", 80, "wrr",
          json::array({real("192.168.1.12", 80, "dr", 3, 7, 12),
                       real("255.255.255.254", 65535, "tunnel", 65535, 4294967295LL, 1234567890),
                       real("192.168.1.11", 80, "nat", 4, 10, 200)})),
      service("tcp", "10.0.0.1", 443, "rr"),
  }));
  CHECK(format_ipvsadm_list(input, true) ==
        kHeader4096 +
            "TCP  10.0.0.1:80 wrr\n"
            "  -> 192.168.1.11:80              Masq    4      10         200       \n"
            "  -> 192.168.1.12:80              Route   3      7          12        \n"
            "  -> 255.255.255.254:65535        Tunnel  65535  4294967295 1234567890\n"
            "TCP  10.0.0.1:443 rr\n"
            "UDP  10.0.0.1:53 rr\n"
            "  -> 192.168.1.12:53              Route   1      0          0         \n");
}

TEST_CASE("wide values widen the line instead of being cut") {
  const json input = result(json::array(
      {service("tcp", "10.0.0.1", 80, "wlc",
               json::array({real("10.0.0.2", 80, "nat", 1234567, 12345678901LL, 0)}))}));
  // %-6d of a 7-digit weight; a counter above 2^32 shows modulo 2^32 as
  // ipvsadm's 32-bit netlink read would (12345678901 mod 2^32 = 3755744309).
  CHECK(format_ipvsadm_list(input, true) ==
        kHeader4096 +
            "TCP  10.0.0.1:80 wlc\n"
            "  -> 10.0.0.2:80                  Masq    1234567 3755744309 0         \n");
}

TEST_CASE("service lines of the other protocols and with flags (§3)") {
  ipvsadm::ListedService s;
  s.protocol = ipvsadm::kProtoSctp;
  s.addr = ip("10.0.0.9");
  s.port = 3868;
  s.scheduler = "rr";
  CHECK(ipvsadm::service_line(s, nullptr) == "SCTP 10.0.0.9:3868 rr\n");

  s.protocol = ipvsadm::kProtoUdp;
  s.addr = ip("10.0.0.1");
  s.port = 53;
  s.scheduler = "sh";
  s.sched_flags = 0b011;
  s.persistent_timeout = 600;
  s.netmask = ip("255.255.255.0");
  s.one_packet = true;
  CHECK(ipvsadm::service_line(s, nullptr) ==
        "UDP  10.0.0.1:53 sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0 ops\n");

  ipvsadm::ListedService fwm;
  fwm.fwmark = 7;
  fwm.scheduler = "mh";
  fwm.sched_flags = 0b010;
  fwm.persistent_timeout = 360;
  CHECK(ipvsadm::service_line(fwm, nullptr) == "FWM  7 mh (mh-port) persistent 360\n");
  fwm = {};
  fwm.fwmark = 4294967295u;
  fwm.scheduler = "rr";
  CHECK(ipvsadm::service_line(fwm, nullptr) == "FWM  -1 rr\n");

  ipvsadm::ListedService generic;
  generic.addr = ip("10.0.0.1");
  generic.port = 80;
  generic.scheduler = "wrr";
  generic.sched_flags = 0b101;
  generic.pe_name = "sip";  // shown only when persistent
  CHECK(ipvsadm::service_line(generic, nullptr) == "TCP  10.0.0.1:80 wrr (flag-1,flag-3)\n");
}

TEST_CASE("real-server lines of a fwmark service show port 0") {
  ipvsadm::ListedService s;
  s.fwmark = 7;
  ipvsadm::ListedDest d;
  d.addr = ip("192.168.1.20");
  d.port = 0;
  d.forward = "Route";
  CHECK(ipvsadm::dest_line(s, d, nullptr) ==
        "  -> 192.168.1.20:0               Route   0      0          0         \n");
}

TEST_CASE("services sort by protocol, then address, then port") {
  const json input = result(json::array({
      service("sctp", "1.1.1.1", 1, "rr"),
      service("udp", "10.0.0.1", 53, "rr"),
      service("tcp", "10.0.0.2", 80, "rr"),
      service("tcp", "10.0.0.1", 8080, "rr"),
      service("tcp", "10.0.0.1", 80, "rr"),
  }));
  CHECK(format_ipvsadm_list(input, true) == kHeader4096 +
                                                "TCP  10.0.0.1:80 rr\n"
                                                "TCP  10.0.0.1:8080 rr\n"
                                                "TCP  10.0.0.2:80 rr\n"
                                                "UDP  10.0.0.1:53 rr\n"
                                                "SCTP 1.1.1.1:1 rr\n");
}

TEST_CASE("the comparators subtract unsigned keys into an int (§2 quirk)") {
  ipvsadm::ListedDest low, high;
  low.addr = ip("10.0.0.1");
  high.addr = ip("200.0.0.1");
  CHECK(ipvsadm::compare_dests(low, high) > 0);  // 0x0A000001 - 0xC8000001 wraps positive
  CHECK(ipvsadm::compare_dests(high, low) < 0);
  high.addr = ip("127.0.0.1");
  CHECK(ipvsadm::compare_dests(low, high) < 0);  // within 2^31: numeric

  // 200.0.0.1 lists before 10.0.0.1, whatever order lbd gives them in.
  for (const auto& order : {std::vector<std::string>{"10.0.0.1", "200.0.0.1"},
                            std::vector<std::string>{"200.0.0.1", "10.0.0.1"}}) {
    json services = json::array();
    for (const auto& vip : order)
      services.push_back(service("tcp", vip, 80, "rr"));
    CHECK(format_ipvsadm_list(result(services), true) ==
          kHeader4096 + "TCP  200.0.0.1:80 rr\nTCP  10.0.0.1:80 rr\n");
  }
}

TEST_CASE("sorting with the quirk follows glibc's qsort exactly") {
  // Known answers recorded from Debian 12's glibc 2.36 qsort() with
  // libipvs's comparator. The §2 example (10.0.0.5, 200.0.0.5, 127.0.0.5,
  // 128.0.0.5 listing as 200.0.0.5, 10.0.0.5, 127.0.0.5, 128.0.0.5) shows
  // with a fifth real server; those four alone come out as glibc orders them.
  CHECK(dest_order(
            one_service_with({"10.0.0.5", "200.0.0.5", "127.0.0.5", "128.0.0.5", "10.0.0.6"})) ==
        std::vector<std::string>{"200.0.0.5", "10.0.0.5", "10.0.0.6", "127.0.0.5", "128.0.0.5"});
  CHECK(dest_order(one_service_with({"10.0.0.5", "200.0.0.5", "127.0.0.5", "128.0.0.5"})) ==
        std::vector<std::string>{"127.0.0.5", "128.0.0.5", "200.0.0.5", "10.0.0.5"});
  CHECK(dest_order(one_service_with({"128.0.0.5", "127.0.0.5", "200.0.0.5", "10.0.0.5"})) ==
        std::vector<std::string>{"127.0.0.5", "128.0.0.5", "200.0.0.5", "10.0.0.5"});
}

namespace {

struct CDest {
  uint32_t addr;  // host order
  uint16_t port;
  int index;
};

int libipvs_cmp_dests(const void* a, const void* b) {
  const auto* d1 = static_cast<const CDest*>(a);
  const auto* d2 = static_cast<const CDest*>(b);
  const int r = static_cast<int>(d1->addr - d2->addr);
  if (r != 0) return r;
  return d1->port - d2->port;
}

}  // namespace

TEST_CASE("sort_like_ipvsadm matches this host's qsort on random quirky input") {
  if (std::string(gnu_get_libc_version()) != "2.36") {
    WARN("glibc " << gnu_get_libc_version() << ": the cross-check is for glibc 2.36");
    return;
  }
  const uint32_t kPool[] = {0x0A000005, 0xC8000005, 0x7F000005, 0x80000005, 0x00000001,
                            0xFFFFFFFE, 0x40000000, 0xC0A8010B, 0x0A000005};
  std::mt19937 rng(1234);
  for (int round = 0; round < 2000; ++round) {
    const std::size_t n = rng() % 12;
    std::vector<CDest> c;
    json reals = json::array();
    for (std::size_t i = 0; i < n; ++i) {
      const CDest d{kPool[rng() % std::size(kPool)], static_cast<uint16_t>(rng() % 3), int(i)};
      c.push_back(d);
      reals.push_back(real(Ipv4Addr::from_host(d.addr).to_string(), d.port, "nat", int(i)));
    }
    if (!c.empty()) std::qsort(c.data(), c.size(), sizeof(CDest), libipvs_cmp_dests);
    auto listing = ipvsadm::parse_services_result(
        result(json::array({service("tcp", "1.2.3.4", 80, "rr", reals)})));
    ipvsadm::sort_like_ipvsadm(listing);
    std::vector<int> ours, theirs;
    for (const auto& d : listing.services[0].dests)
      ours.push_back(d.weight);  // weight = index
    for (const auto& d : c)
      theirs.push_back(d.index);
    REQUIRE(ours == theirs);
  }
}

TEST_CASE("without -n, names are resolved and cut like ipvsadm's buffers") {
  FakeNames names;
  names.hosts[ip("10.0.0.1").host()] = "www.example.com";
  names.hosts[ip("10.0.0.2").host()] = "a-very-long-virtual-host-name.example.org";
  names.hosts[ip("192.168.1.11").host()] = "a-very-long-host-name.example.internal";
  names.services[{80, ipvsadm::kProtoTcp}] = "http";
  names.services[{53, ipvsadm::kProtoUdp}] = "domain";

  auto listing = ipvsadm::parse_services_result(result(json::array({
      service(
          "tcp", "10.0.0.1", 80, "wrr",
          json::array({real("192.168.1.11", 80, "nat", 1), real("192.168.1.12", 8080, "nat", 1)})),
      service("tcp", "10.0.0.2", 80, "rr"),
      service("udp", "10.0.0.3", 53, "rr"),
  })));
  ipvsadm::sort_like_ipvsadm(listing);
  CHECK(ipvsadm::format_listing(listing, &names) ==
        kHeader4096 +
            "TCP  www.example.com:http wrr\n"
            "  -> a-very-long-host-name.exampl Masq    1      0          0         \n"
            "  -> 192.168.1.12:8080            Masq    1      0          0         \n"
            "TCP  a-very-long-virtual-host-nam rr\n"  // "TCP  " + 28: cut at 33
            "UDP  10.0.0.3:domain rr\n");
}

TEST_CASE("the system resolver asks the system databases") {
  const auto& names = ipvsadm::system_resolver();
  CHECK(names.host_name(ip("127.0.0.1")) == "localhost");
  CHECK(names.service_name(80, ipvsadm::kProtoTcp) == "http");
  CHECK(names.service_name(53, ipvsadm::kProtoUdp) == "domain");
}

TEST_CASE("a result that breaks the contract is reported with the field's path") {
  const auto message = [](const json& input) -> std::string {
    try {
      format_ipvsadm_list(input, true);
    } catch (const lb::ctl::CtlError& e) {
      CHECK(e.code() == lb::ctl::errc::kBadReply);
      return e.what();
    }
    return "";
  };
  CHECK(message(json::array()) == "lbd's services result: result: expected an object");
  CHECK(message(json{{"services", json::array()}}) ==
        "lbd's services result: result.conn_table_size: expected a value, found none");
  CHECK(message(result(json::array({service(
            "tcp", "10.0.0.1", 80, "rr", json::array({real("10.0.0.2", 80, "teleport", 1)}))}))) ==
        "lbd's services result: services[0].real_servers[0].forward: expected \"nat\", \"dr\" or "
        "\"tunnel\"");
  CHECK(message(result(json::array({service("tcp", "10.0.0.1", 70000, "rr")}))) ==
        "lbd's services result: services[0].port: expected an integer in 0..65535");
  CHECK(message(result(json::array({service("icmp", "10.0.0.1", 80, "rr")}))) ==
        "lbd's services result: services[0].protocol: expected \"tcp\", \"udp\" or \"sctp\"");
  CHECK(message(result(json::array({service("tcp", "2001:db8::1", 80, "rr")}))) ==
        "lbd's services result: services[0].vip: expected an IPv4 address");
}

// ---- persistence, scheduler flags, one-packet, firewall marks (§3) ---------

TEST_CASE("the §3 verified service lines that apply to IPv4, from lbd's result") {
  json udp = persistent(service("udp", "10.0.0.1", 53, "sh"), 600, "255.255.255.0");
  udp["sched_flags"] = {"sh-fallback", "sh-port"};
  udp["one_packet"] = true;
  json fwm7 =
      persistent(fwmark_service(7, "mh", json::array({real("192.168.1.20", 0, "dr", 0)})), 360);
  fwm7["sched_flags"] = {"mh-port"};
  const json input = result(json::array({
      fwm7,
      udp,
      fwmark_service(4294967295LL, "rr"),
      service("sctp", "10.0.0.9", 3868, "rr"),
      service("tcp", "10.0.0.1", 80, "wrr"),
  }));
  // fwmark 4294967295 - 0 wraps to -1: it sorts before every other service;
  // fwmark 7 after them (§2).
  CHECK(format_ipvsadm_list(input, true) ==
        kHeader4096 +
            "FWM  -1 rr\n"
            "TCP  10.0.0.1:80 wrr\n"
            "UDP  10.0.0.1:53 sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0 ops\n"
            "SCTP 10.0.0.9:3868 rr\n"
            "FWM  7 mh (mh-port) persistent 360\n"
            "  -> 192.168.1.20:0               Route   0      0          0         \n");
}

TEST_CASE("flags print in ipvsadm's fixed order, whatever order lbd sends") {
  json s = service("tcp", "198.18.1.100", 80, "sh");
  s["sched_flags"] = {"sh-port", "sh-fallback"};
  CHECK(format_ipvsadm_list(result(json::array({s})), true) ==
        kHeader4096 + "TCP  198.18.1.100:80 sh (sh-fallback,sh-port)\n");
  s["scheduler"] = "wrr";
  s["sched_flags"] = {"flag-3", "flag-1"};
  CHECK(format_ipvsadm_list(result(json::array({s})), true) ==
        kHeader4096 + "TCP  198.18.1.100:80 wrr (flag-1,flag-3)\n");
  // ipvsadm 1.31 has no name for flag-3 under sh or mh: the parentheses stay
  // empty (print_sched_flags).
  s["scheduler"] = "sh";
  s["sched_flags"] = {"flag-3"};
  CHECK(format_ipvsadm_list(result(json::array({s})), true) ==
        kHeader4096 + "TCP  198.18.1.100:80 sh ()\n");
  s["sched_flags"] = {"flag-3", "sh-port"};
  CHECK(format_ipvsadm_list(result(json::array({s})), true) ==
        kHeader4096 + "TCP  198.18.1.100:80 sh (sh-port)\n");
}

TEST_CASE("the mask shows only when persistent and not 255.255.255.255") {
  const auto line = [](json s) {
    auto listing = ipvsadm::parse_services_result(result(json::array({std::move(s)})));
    return ipvsadm::service_line(listing.services.at(0), nullptr);
  };
  CHECK(line(persistent(service("tcp", "198.18.1.100", 0, "lblc"), 300)) ==
        "TCP  198.18.1.100:0 lblc persistent 300\n");
  CHECK(line(persistent(service("tcp", "198.18.1.100", 80, "rr"), 300, "0.0.0.0")) ==
        "TCP  198.18.1.100:80 rr persistent 300 mask 0.0.0.0\n");
  CHECK(line(persistent(fwmark_service(21, "wlc"), 600, "255.255.255.0")) ==
        "FWM  21 wlc persistent 600 mask 255.255.255.0\n");
  json udp = service("udp", "198.18.1.100", 53, "rr");
  udp["one_packet"] = true;
  CHECK(line(udp) == "UDP  198.18.1.100:53 rr ops\n");
  json fwm = fwmark_service(2147483648LL, "rr");
  CHECK(line(fwm) == "FWM  -2147483648 rr\n");  // %d, as 1.31 prints it
}

TEST_CASE("real servers of a firewall-mark service show port 0 and never a port name") {
  FakeNames names;
  names.services[{80, ipvsadm::kProtoTcp}] = "http";
  names.services[{0, ipvsadm::kProtoTcp}] = "zero";
  auto listing = ipvsadm::parse_services_result(result(json::array({
      fwmark_service(
          80, "rr",
          json::array({real("198.18.2.12", 80, "nat", 1), real("198.18.2.11", 0, "nat", 1)})),
  })));
  ipvsadm::sort_like_ipvsadm(listing);
  CHECK(listing.services[0].protocol == 0);
  // libipvs leaves a fwmark service's protocol at 0, and ipvsadm looks port
  // names up only for TCP, UDP and SCTP.
  CHECK(ipvsadm::format_listing(listing, &names) ==
        kHeader4096 +
            "FWM  80 rr\n"
            "  -> 198.18.2.11:0                Masq    1      0          0         \n"
            "  -> 198.18.2.12:80               Masq    1      0          0         \n");
}

TEST_CASE("services sort with firewall-mark services (§2)") {
  // Marks below 2^31 list after every address service, by mark.
  CHECK(format_ipvsadm_list(result(json::array({
                                fwmark_service(80, "rr"),
                                service("udp", "198.18.1.100", 53, "rr"),
                                fwmark_service(21, "wlc"),
                                service("tcp", "198.18.1.100", 80, "rr"),
                            })),
                            true) == kHeader4096 +
                                         "TCP  198.18.1.100:80 rr\n"
                                         "UDP  198.18.1.100:53 rr\n"
                                         "FWM  21 wlc\n"
                                         "FWM  80 rr\n");
  // Marks above 2^31 wrap negative and list before every address service;
  // 2^31 itself differs from 0 by INT_MIN both ways, so it compares smaller
  // than address services and they than it: where it lands is up to glibc's
  // merge (known answer from glibc 2.36's qsort with libipvs's comparator).
  CHECK(format_ipvsadm_list(result(json::array({
                                service("sctp", "10.0.0.9", 3868, "rr"),
                                fwmark_service(4294967295LL, "rr"),
                                service("udp", "10.0.0.1", 53, "rr"),
                                fwmark_service(2147483648LL, "rr"),
                            })),
                            true) == kHeader4096 +
                                         "FWM  -1 rr\n"
                                         "UDP  10.0.0.1:53 rr\n"
                                         "SCTP 10.0.0.9:3868 rr\n"
                                         "FWM  -2147483648 rr\n");
  ipvsadm::ListedService fwm, tcp;
  fwm.fwmark = 1;
  fwm.protocol = 0;
  tcp.addr = ip("10.0.0.1");
  CHECK(ipvsadm::compare_services(fwm, tcp) > 0);
  fwm.fwmark = 4294967295u;
  CHECK(ipvsadm::compare_services(fwm, tcp) < 0);
  CHECK(ipvsadm::compare_services(tcp, fwm) > 0);
  fwm.fwmark = 2147483648u;
  CHECK(ipvsadm::compare_services(fwm, tcp) < 0);
  CHECK(ipvsadm::compare_services(tcp, fwm) < 0);  // INT_MIN either way
  ipvsadm::ListedService one;
  one.fwmark = 1;
  CHECK(ipvsadm::compare_services(fwm, one) > 0);  // a cycle: tcp < 1 < 2^31 < tcp
}

namespace {

struct CService {
  uint32_t fwmark;
  uint16_t af;
  uint16_t protocol;
  uint32_t addr;  // host order
  uint16_t port;
  int index;
};

// libipvs.c ipvs_cmp_services, IPv4 only.
int libipvs_cmp_services(const void* a, const void* b) {
  const auto* s1 = static_cast<const CService*>(a);
  const auto* s2 = static_cast<const CService*>(b);
  int r = static_cast<int>(s1->fwmark - s2->fwmark);
  if (r != 0) return r;
  r = s1->af - s2->af;
  if (r != 0) return r;
  r = s1->protocol - s2->protocol;
  if (r != 0) return r;
  r = static_cast<int>(s1->addr - s2->addr);
  if (r != 0) return r;
  return s1->port - s2->port;
}

}  // namespace

TEST_CASE("service sorting with fwmarks matches this host's qsort on random quirky input") {
  if (std::string(gnu_get_libc_version()) != "2.36") {
    WARN("glibc " << gnu_get_libc_version() << ": the cross-check is for glibc 2.36");
    return;
  }
  const uint32_t kMarks[] = {0, 0, 0, 1, 7, 0x7fffffff, 0x80000000, 0xffffffff};
  const uint32_t kAddrs[] = {0x0A000001, 0xC8000001, 0x7F000001, 0x80000001};
  const char* kProtocols[] = {"tcp", "udp", "sctp"};
  const uint16_t kProtocolNumbers[] = {6, 17, 132};
  std::mt19937 rng(4321);
  for (int round = 0; round < 2000; ++round) {
    const std::size_t n = rng() % 10;
    std::vector<CService> c;
    json services = json::array();
    std::vector<uint32_t> used_marks;
    for (std::size_t i = 0; i < n; ++i) {
      const uint32_t mark = kMarks[rng() % std::size(kMarks)];
      const std::string name = "s" + std::to_string(i);  // the scheduler names the entry
      if (mark != 0) {
        c.push_back({mark, 2, 0, 0, 0, int(i)});
        services.push_back(fwmark_service(mark, name));
      } else {
        const std::size_t p = rng() % 3;
        const uint32_t addr = kAddrs[rng() % std::size(kAddrs)];
        const uint16_t port = static_cast<uint16_t>(rng() % 3);
        c.push_back({0, 2, kProtocolNumbers[p], addr, port, int(i)});
        services.push_back(
            service(kProtocols[p], Ipv4Addr::from_host(addr).to_string(), port, name));
      }
    }
    if (!c.empty()) std::qsort(c.data(), c.size(), sizeof(CService), libipvs_cmp_services);
    auto listing = ipvsadm::parse_services_result(result(services));
    ipvsadm::sort_like_ipvsadm(listing);
    std::vector<std::string> ours, theirs;
    for (const auto& s : listing.services)
      ours.push_back(s.scheduler);
    for (const auto& s : c)
      theirs.push_back("s" + std::to_string(s.index));
    REQUIRE(ours == theirs);
  }
}

// ---- --thresholds and --persistent-conn (§2, §4) ----------------------------

TEST_CASE("--thresholds: its title and rows, trailing blanks included") {
  json r = real("192.168.1.12", 80, "dr", 3, 7, 12);
  r["upper_threshold"] = 100;
  r["lower_threshold"] = 50;
  const json input = result(json::array({service("tcp", "10.0.0.1", 80, "wrr", json::array({r}))}));
  CHECK(format_ipvsadm_list(input, true, ipvsadm::ListFormat::kThresholds) ==
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n"
        "  -> RemoteAddress:Port\n"
        "TCP  10.0.0.1:80 wrr\n"
        "  -> 192.168.1.12:80              100        50         7          12        \n");
}

TEST_CASE("--persistent-conn: its title and rows, trailing blanks included") {
  json r = real("192.168.1.12", 80, "dr", 3, 7, 12);
  r["persistent_conns"] = 2;
  json fr = real("198.18.2.11", 0, "nat", 1, 0, 4);
  fr["persistent_conns"] = 4294967296LL + 9;  // a 32-bit counter, as ipvsadm reads it
  const json input = result(json::array({
      persistent(service("tcp", "10.0.0.1", 80, "wrr", json::array({r})), 360),
      persistent(fwmark_service(80, "rr", json::array({fr})), 600, "255.255.255.0"),
  }));
  CHECK(format_ipvsadm_list(input, true, ipvsadm::ListFormat::kPersistentConn) ==
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n"
        "  -> RemoteAddress:Port\n"
        "TCP  10.0.0.1:80 wrr persistent 360\n"
        "  -> 192.168.1.12:80              3         2           7          12        \n"
        "FWM  80 rr persistent 600 mask 255.255.255.0\n"
        "  -> 198.18.2.11:0                1         9           0          4         \n");
}

TEST_CASE("the new members of the services contract are checked too") {
  const auto message = [](const json& input) -> std::string {
    try {
      format_ipvsadm_list(input, true);
    } catch (const lb::ctl::CtlError& e) {
      return e.what();
    }
    return "";
  };
  CHECK(message(result(json::array({fwmark_service(0, "rr")}))) ==
        "lbd's services result: services[0].fwmark: expected an integer in 1..4294967295");
  json flags = service("tcp", "10.0.0.1", 80, "rr");
  flags["sched_flags"] = {"sh-port"};
  CHECK(message(result(json::array({flags}))) ==
        "lbd's services result: services[0].sched_flags[0]: expected a scheduler flag of \"rr\" "
        "(sh-*: sh only, mh-*: mh only, flag-1..3)");
  flags["sched_flags"] = "sh-port";
  CHECK(message(result(json::array({flags}))) ==
        "lbd's services result: services[0].sched_flags: expected an array");
  json no_mask = service("tcp", "10.0.0.1", 80, "rr");
  no_mask["persistent"] = 300;
  CHECK(message(result(json::array({no_mask}))) ==
        "lbd's services result: services[0].netmask: expected a value, found none");
  json ops = service("udp", "10.0.0.1", 53, "rr");
  ops["one_packet"] = "yes";
  CHECK(message(result(json::array({ops}))) ==
        "lbd's services result: services[0].one_packet: expected true or false");
  json r = real("10.0.0.2", 80, "nat", 1);
  r.erase("persistent_conns");
  CHECK(message(result(json::array({service("tcp", "10.0.0.1", 80, "rr", json::array({r}))}))) ==
        "lbd's services result: services[0].real_servers[0].persistent_conns: expected a value, "
        "found none");
  r = real("10.0.0.2", 80, "nat", 1);
  r["upper_threshold"] = -1;
  CHECK(message(result(json::array({service("tcp", "10.0.0.1", 80, "rr", json::array({r}))}))) ==
        "lbd's services result: services[0].real_servers[0].upper_threshold: expected an integer "
        "in 0..4294967295");
}
