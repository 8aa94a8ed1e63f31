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

#include <lb/ctl/ipvsadm_names.h>
#include <lb/packet/addr.h>

namespace lb::ctl {

namespace ipvsadm {

// The listing formats lbd can serve, in the precedence ipvsadm's print_title
// gives them when several are asked for (--thresholds wins over
// --persistent-conn).
enum class ListFormat : uint8_t {
  kPlain,           // -L
  kThresholds,      // -L --thresholds: Uthreshold, Lthreshold, ActiveConn, InActConn
  kPersistentConn,  // -L --persistent-conn: Weight, PersistConn, ActiveConn, InActConn
};

}  // namespace ipvsadm

// `lbctl -L` / `-Ln` (and --thresholds, --persistent-conn): parses, sorts and
// formats in one go. Throws CtlError (bad_reply) naming the offending field
// when the result does not match the `services` contract.
std::string format_ipvsadm_list(const nlohmann::json& services_result, bool numeric,
                                ipvsadm::ListFormat format = ipvsadm::ListFormat::kPlain);

namespace ipvsadm {

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
std::string format_listing(const Listing& listing, const NameResolver* names,
                           ListFormat format = ListFormat::kPlain);

// The pieces. The service line is the same in every format served here.
std::string title_lines(ListFormat format = ListFormat::kPlain);
std::string service_line(const ListedService& service, const NameResolver* names);
std::string dest_line(const ListedService& service, const ListedDest& dest,
                      const NameResolver* names, ListFormat format = ListFormat::kPlain);

}  // namespace ipvsadm
}  // namespace lb::ctl
