// `lbctl -L --stats / --rate / --exact / --tun-info / --nosort`, `-L SERVICE`
// and `-S` against ipvsadm 1.31 (reference/ipvsadm-formats.md §2, §4, §6):
// the expected lines are the reference's verified examples.
#include <string>

#include <catch2/catch.hpp>

#include <lb/ctl/ipvsadm_list.h>
#include <lb/ctl/ipvsadm_save.h>
#include <lb/ctl/protocol.h>

using lb::ctl::format_ipvsadm_list;
using nlohmann::json;
namespace ipvsadm = lb::ctl::ipvsadm;

namespace {

json stats(unsigned long long conns, unsigned long long inpkts, unsigned long long outpkts,
           unsigned long long inbytes, unsigned long long outbytes) {
  return {{"conns", conns},
          {"inpkts", inpkts},
          {"outpkts", outpkts},
          {"inbytes", inbytes},
          {"outbytes", outbytes}};
}

json rates(unsigned long long cps, unsigned long long inpps, unsigned long long outpps,
           unsigned long long inbps, unsigned long long outbps) {
  return {{"cps", cps}, {"inpps", inpps}, {"outpps", outpps}, {"inbps", inbps}, {"outbps", outbps}};
}

json real(const std::string& address, int port, const std::string& forward, int weight,
          json s = stats(0, 0, 0, 0, 0), json r = rates(0, 0, 0, 0, 0)) {
  return {{"address", address},    {"port", port},         {"forward", forward},
          {"weight", weight},      {"active_conns", 0},    {"inactive_conns", 0},
          {"upper_threshold", 0},  {"lower_threshold", 0}, {"persistent_conns", 0},
          {"stats", std::move(s)}, {"rates", std::move(r)}};
}

// The reference's §4.2 block: the service's 64-bit counters, and a real
// server whose counters pass 2^32.
json verified_result() {
  json service = {{"protocol", "tcp"},
                  {"vip", "10.0.0.1"},
                  {"port", 80},
                  {"scheduler", "wrr"},
                  {"one_packet", false},
                  {"sched_flags", json::array()},
                  {"stats", stats(12345, 99999999, 100000000, 123456789012ULL, 99999999999999ULL)},
                  {"rates", rates(3, 45, 40, 123456, 1000000000000ULL)}};
  service["real_servers"] = {
      real("192.168.1.12", 80, "dr", 3,
           stats(4294967301ULL, 5000000000ULL, 7, 5000000000ULL, 4294967296ULL),
           rates(1, 2, 3, 4294967297ULL, 123456789)),
      real("192.168.1.11", 80, "nat", 4)};
  return {{"conn_table_size", 4096}, {"services", json::array({service})}};
}

std::string list(const json& result, ipvsadm::ListFormat format, bool exact = false) {
  ipvsadm::ListOptions options;
  options.format = format;
  options.exact = exact;
  return format_ipvsadm_list(result, /*numeric=*/true, options);
}

}  // namespace

TEST_CASE("--stats: the §4.2 verified block, K/M/G scaling and 32-bit real-server counters") {
  CHECK(list(verified_result(), ipvsadm::ListFormat::kStats) ==
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
        "  -> RemoteAddress:Port\n"
        "TCP  10.0.0.1:80                     12345 99999999  100000K     123G   99999G\n"
        "  -> 192.168.1.11:80                     0        0        0        0        0\n"
        "  -> 192.168.1.12:80                     5  705032K        7    5000M    4294M\n");
}

TEST_CASE("--stats --exact: whole numbers, at least 9 wide, always after a blank") {
  CHECK(list(verified_result(), ipvsadm::ListFormat::kStats, /*exact=*/true) ==
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
        "  -> RemoteAddress:Port\n"
        "TCP  10.0.0.1:80                     12345 99999999 100000000 123456789012 "
        "99999999999999\n"
        "  -> 192.168.1.11:80                     0        0        0        0        0\n"
        "  -> 192.168.1.12:80                     5 705032704        7 5000000000 4294967296\n");
}

TEST_CASE("--rate: the verified block; real-server cps/pps never scaled") {
  CHECK(list(verified_result(), ipvsadm::ListFormat::kRate) ==
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
        "  -> RemoteAddress:Port\n"
        "TCP  10.0.0.1:80                         3       45       40   123456    1000G\n"
        "  -> 192.168.1.11:80                     0        0        0        0        0\n"
        "  -> 192.168.1.12:80                     1        2        3        1  123456K\n");
  json big = verified_result();
  big["services"][0]["real_servers"][0]["rates"] = rates(123456789, 5, 6, 7, 8);
  const std::string out = list(big, ipvsadm::ListFormat::kRate, /*exact=*/true);
  CHECK(out.find(
            "  -> 192.168.1.12:80              123456789        5        6        7        8\n") !=
        std::string::npos);
}

TEST_CASE("print_largenum at its boundaries") {
  CHECK(ipvsadm::largenum(0, false) == "        0");
  CHECK(ipvsadm::largenum(99999999, false) == " 99999999");
  CHECK(ipvsadm::largenum(100000000, false) == "  100000K");
  CHECK(ipvsadm::largenum(999999999, false) == "  999999K");
  CHECK(ipvsadm::largenum(1000000000, false) == "    1000M");
  CHECK(ipvsadm::largenum(99999999999ULL, false) == "   99999M");
  CHECK(ipvsadm::largenum(100000000000ULL, false) == "     100G");
  CHECK(ipvsadm::largenum(1000000000000ULL, false) == "    1000G");
  CHECK(ipvsadm::largenum(99999999999999ULL, false) == "   99999G");
  CHECK(ipvsadm::largenum(100000000000000ULL, false) == "     100T");
  CHECK(ipvsadm::largenum(18446744073709551615ULL, false) == "18446744T");
  CHECK(ipvsadm::largenum(5, true) == "        5");
  CHECK(ipvsadm::largenum(12345678, true) == " 12345678");
  CHECK(ipvsadm::largenum(123456789, true) == " 123456789");
}

TEST_CASE("--stats and --rate need lbd's stats and rates objects") {
  json old = verified_result();
  old["services"][0]["real_servers"][1].erase("stats");
  CHECK_THROWS_WITH(list(old, ipvsadm::ListFormat::kStats),
                    "lbd's services result: services[0].real_servers[1].stats: expected an "
                    "object");
  // Plain listings do not need them.
  CHECK_NOTHROW(list(old, ipvsadm::ListFormat::kPlain));
  CHECK_NOTHROW(list(old, ipvsadm::ListFormat::kRate));
  old["services"][0]["rates"]["cps"] = -1;
  CHECK_THROWS_WITH(list(old, ipvsadm::ListFormat::kPlain),
                    "lbd's services result: services[0].rates.cps: expected a non-negative "
                    "number");
  // A fractional rate is cut to its integer part.
  json fractional = verified_result();
  fractional["services"][0]["rates"]["cps"] = 2.75;
  CHECK(list(fractional, ipvsadm::ListFormat::kRate)
            .find("TCP  10.0.0.1:80                         2") != std::string::npos);
}

TEST_CASE("--tun-info: ipip for tunnel servers, n/a for the rest") {
  json result = verified_result();
  result["services"][0]["real_servers"].push_back(real("255.255.255.254", 80, "tunnel", 65535));
  CHECK(list(result, ipvsadm::ListFormat::kTunInfo) ==
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
        "TCP  10.0.0.1:80 wrr\n"
        "  -> 192.168.1.11:80              Masq    n/a           4      0          0         \n"
        "  -> 192.168.1.12:80              Route   n/a           3      0          0         \n"
        "  -> 255.255.255.254:80           Tunnel  ipip          65535  0          0         \n");
}

TEST_CASE("--nosort keeps lbd's order; -L SERVICE lists one service without the version line") {
  json result = verified_result();
  json second = result["services"][0];
  second["port"] = 8080;
  second["real_servers"] = json::array();
  result["services"].insert(result["services"].begin(), second);

  ipvsadm::ListOptions options;
  options.sort = false;
  CHECK(format_ipvsadm_list(result, true, options) ==
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        "TCP  10.0.0.1:8080 wrr\n"
        "TCP  10.0.0.1:80 wrr\n"
        "  -> 192.168.1.12:80              Route   3      0          0         \n"
        "  -> 192.168.1.11:80              Masq    4      0          0         \n");

  options = {};
  options.service = lb::ctl::ServiceSelector{};
  options.service->vip = lb::packet::Ipv4Addr::from_host(0x0a000001);
  options.service->port = 80;
  CHECK(format_ipvsadm_list(result, true, options) ==
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        "TCP  10.0.0.1:80 wrr\n"
        "  -> 192.168.1.11:80              Masq    4      0          0         \n"
        "  -> 192.168.1.12:80              Route   3      0          0         \n");
  options.service->protocol = "udp";
  try {
    format_ipvsadm_list(result, true, options);
    FAIL("listed a service lbd does not have");
  } catch (const lb::ctl::CtlError& e) {
    CHECK(e.code() == "no_service");
    CHECK(std::string(e.what()) == "No such service");
  }
}

TEST_CASE("-S: ipvsadm-save's rules (§6 verified lines that apply to lbd)") {
  const auto svc = [](json s, json reals) {
    s["one_packet"] = s.value("one_packet", false);
    if (!s.contains("sched_flags")) s["sched_flags"] = json::array();
    s["real_servers"] = std::move(reals);
    return s;
  };
  json result = {{"conn_table_size", 4096}};
  result["services"] = {
      svc({{"protocol", "udp"},
           {"vip", "10.0.0.1"},
           {"port", 53},
           {"scheduler", "sh"},
           {"persistent", 600},
           {"netmask", "255.255.255.0"},
           {"one_packet", true},
           {"sched_flags", {"sh-port", "sh-fallback"}}},
          json::array()),
      svc({{"fwmark", 7},
           {"scheduler", "mh"},
           {"persistent", 360},
           {"netmask", "255.255.255.255"},
           {"sched_flags", {"mh-port"}}},
          {real("192.168.1.20", 0, "dr", 0)}),
      svc({{"protocol", "tcp"}, {"vip", "10.0.0.1"}, {"port", 80}, {"scheduler", "wrr"}},
          {real("192.168.1.13", 80, "tunnel", 2), real("192.168.1.12", 80, "dr", 3),
           real("192.168.1.11", 80, "nat", 4)}),
      svc({{"fwmark", 4294967295LL}, {"scheduler", "rr"}}, json::array()),
  };
  CHECK(ipvsadm::format_save(result, /*numeric=*/true) ==
        // fwmark 2^32-1 compares below everything (the §2 quirk).
        "-A -f -1 -s rr\n"
        "-A -t 10.0.0.1:80 -s wrr\n"
        "-a -t 10.0.0.1:80 -r 192.168.1.11:80 -m -w 4\n"
        "-a -t 10.0.0.1:80 -r 192.168.1.12:80 -g -w 3\n"
        "-a -t 10.0.0.1:80 -r 192.168.1.13:80 -i -w 2 --tun-type ipip\n"
        "-A -u 10.0.0.1:53 -s sh -p 600 -M 255.255.255.0 -o -b sh-fallback,sh-port\n"
        "-A -f 7 -s mh -p 360 -b mh-port\n"
        "-a -f 7 -r 192.168.1.20:0 -g -w 0\n");
}

namespace {

class FakeNames final : public ipvsadm::NameResolver {
 public:
  std::optional<std::string> host_name(lb::packet::Ipv4Addr addr) const override {
    if (addr.host() == 0x0a000001) return "www.example.com";
    return std::nullopt;
  }
  std::optional<std::string> service_name(uint16_t port, uint16_t protocol) const override {
    if (port == 80 && protocol == ipvsadm::kProtoTcp) return "http";
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("-S without -n names hosts and ports, never cut") {
  ipvsadm::Listing listing;
  ipvsadm::ListedService service;
  service.addr = lb::packet::Ipv4Addr::from_host(0x0a000001);
  service.port = 80;
  service.scheduler = "sh";
  ipvsadm::ListedDest dest;
  dest.addr = lb::packet::Ipv4Addr::from_host(0xc0a8010b);
  dest.port = 80;
  dest.forward = "Local";
  dest.weight = 1;
  service.dests.push_back(dest);
  listing.services.push_back(service);
  const FakeNames names;
  CHECK(ipvsadm::format_rules(listing, &names) ==
        "-A -t www.example.com:http -s sh\n"
        "-a -t www.example.com:http -r 192.168.1.11:http -g -w 1\n");
}
