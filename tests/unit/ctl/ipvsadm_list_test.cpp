// `lbctl -L` against ipvsadm 1.31 (reference/ipvsadm-formats.md §2-§4): the
// expected lines are copied from the reference, trailing blanks included.
#include <gnu/libc-version.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

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
  return {{"address", address}, {"port", port},           {"forward", forward},
          {"weight", weight},   {"active_conns", active}, {"inactive_conns", inactive}};
}

json service(const std::string& protocol, const std::string& vip, int port,
             const std::string& scheduler, json reals = json::array()) {
  return {{"protocol", protocol},
          {"vip", vip},
          {"port", port},
          {"scheduler", scheduler},
          {"real_servers", std::move(reals)}};
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
