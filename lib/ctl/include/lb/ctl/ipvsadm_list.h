// ipvsadm 1.31's `-L`/`-l` listing, byte for byte, from lbd's `services` result.
//
// Reference: /work/shared/reference/ipvsadm-formats.md §2-§4 (the printf
// formats of ipvsadm.c print_title / print_service_entry, the comparators of
// libipvs.c). Scripts and monitoring that parse `ipvsadm -Ln` keep working on
// `lbctl -Ln`, so the exact spacing, the trailing padding of real-server lines
// and even the sort-order quirk are part of the contract.
//
// Pure functions apart from name resolution (getservbyport/gethostbyaddr),
// which is injectable for tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <lb/ctl/connections.h>
#include <lb/ctl/ipvsadm_names.h>
#include <lb/packet/addr.h>

namespace lb::ctl {

namespace ipvsadm {

// The listing formats, in the precedence ipvsadm's print_title gives them
// when several are asked for: --stats, --rate, --thresholds,
// --persistent-conn, --tun-info.
enum class ListFormat : uint8_t {
  kPlain,           // -L
  kStats,           // -L --stats: Conns, InPkts, OutPkts, InBytes, OutBytes
  kRate,            // -L --rate: CPS, InPPS, OutPPS, InBPS, OutBPS
  kThresholds,      // -L --thresholds: Uthreshold, Lthreshold, ActiveConn, InActConn
  kPersistentConn,  // -L --persistent-conn: Weight, PersistConn, ActiveConn, InActConn
  kTunInfo,         // -L --tun-info: the plain columns plus TunnelInfo
};

// How a listing is asked for, beyond its format.
struct ListOptions {
  ListFormat format = ListFormat::kPlain;
  bool exact = false;  // --exact: --stats/--rate numbers unscaled
  bool sort = true;    // false: --nosort, lbd's order (real servers newest first)
  // -L -t/-u/-f SERVICE (list_service): only that service, and no version
  // line; absent from the result -> CtlError "no_service".
  std::optional<ServiceSelector> service;
};

}  // namespace ipvsadm

// `lbctl -L` / `-Ln` and its options: parses, sorts and formats in one go.
// Throws CtlError (bad_reply) naming the offending field when the result does
// not match the `services` contract (for --stats/--rate, when it lacks the
// stats/rates objects), and CtlError("no_service", "No such service") when
// options.service is not in it.
std::string format_ipvsadm_list(const nlohmann::json& services_result, bool numeric,
                                const ipvsadm::ListOptions& options);
std::string format_ipvsadm_list(const nlohmann::json& services_result, bool numeric,
                                ipvsadm::ListFormat format = ipvsadm::ListFormat::kPlain);

namespace ipvsadm {

// A service's or real server's traffic counters (the `stats` object) and
// rates (`rates`), as IPVS's estimator keeps them.
struct Counters {
  uint64_t conns = 0, inpkts = 0, outpkts = 0, inbytes = 0, outbytes = 0;
};
struct Rates {
  uint64_t cps = 0, inpps = 0, outpps = 0, inbps = 0, outbps = 0;
};

struct ListedDest {
  packet::Ipv4Addr addr;
  uint16_t port = 0;
  std::string forward;  // ipvsadm's column: Masq / Route / Tunnel / Local
  int32_t weight = 0;   // printed with %d, as the kernel's int
  uint32_t active_conns = 0;
  uint32_t inactive_conns = 0;
  uint32_t upper_threshold = 0;   // -x; 0 = none
  uint32_t lower_threshold = 0;   // -y
  uint32_t persistent_conns = 0;  // persistence templates pointing at it
  std::optional<Counters> stats;  // absent from older lbds
  std::optional<Rates> rates;
};

// One virtual service as ipvs_service_entry_t carries it. Fields lbd does not
// serve (IPv6, persistence engines) keep their "absent" value and print
// nothing.
struct ListedService {
  // Non-zero: a firewall-mark service, whose protocol, address and port are
  // 0 as libipvs leaves them (so real-server ports never resolve to names).
  uint32_t fwmark = 0;
  uint16_t af = kAfInet;
  uint16_t protocol = kProtoTcp;
  packet::Ipv4Addr addr;
  uint16_t port = 0;
  std::string scheduler;
  uint8_t sched_flags = 0;  // bit 0..2 = IP_VS_SVC_F_SCHED1..3
  std::optional<uint32_t> persistent_timeout;
  packet::Ipv4Addr netmask = packet::Ipv4Addr::from_host(0xffffffff);
  std::string pe_name;
  bool one_packet = false;
  std::vector<ListedDest> dests;
  std::optional<Counters> stats;
  std::optional<Rates> rates;
};

struct Listing {
  int32_t conn_table_size = 0;
  std::vector<ListedService> services;
};

// The `services` result -> Listing, in lbd's order. Throws CtlError
// (bad_reply) with the JSON path of the first bad field.
Listing parse_services_result(const nlohmann::json& services_result);

// ipvs_cmp_services / ipvs_cmp_dests: every key compared as `int r = a - b`,
// so unsigned keys that differ by 2^31 or more compare the wrong way round.
int compare_services(const ListedService& a, const ListedService& b);
int compare_dests(const ListedDest& a, const ListedDest& b);

// Reorders services and each service's real servers as ipvsadm's default
// (sorted) listing does: qsort() with the comparators above, reproduced as
// glibc 2.36 implements it (a stable top-down merge sort) so that the order
// also matches where the comparators are inconsistent.
void sort_like_ipvsadm(Listing& listing);

// The listing of an already sorted Listing; `names` null means numeric (-n).
// `header`: the "IP Virtual Server version" line (not for one service).
// --stats/--rate need every stats/rates object present.
std::string format_listing(const Listing& listing, const NameResolver* names,
                           ListFormat format = ListFormat::kPlain, bool exact = false,
                           bool header = true);

// The pieces. The service line is the same in every format but --stats and
// --rate.
std::string title_lines(ListFormat format = ListFormat::kPlain);
std::string service_line(const ListedService& service, const NameResolver* names,
                         ListFormat format = ListFormat::kPlain, bool exact = false);
std::string dest_line(const ListedService& service, const ListedDest& dest,
                      const NameResolver* names, ListFormat format = ListFormat::kPlain,
                      bool exact = false);

// print_largenum: 9 columns, scaled to K/M/G/T past 8 digits; with --exact
// the whole number, at least 9 wide and always after a blank.
std::string largenum(uint64_t value, bool exact);

// The service's name as print_service_entry builds it: "TCP  1.2.3.4:80"
// (cut to 33 bytes) or "FWM  7" (fwmark printed as a signed int).
std::string service_name(const ListedService& service, const NameResolver* names);

}  // namespace ipvsadm
}  // namespace lb::ctl
