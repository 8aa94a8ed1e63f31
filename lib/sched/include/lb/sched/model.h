// The validated model of virtual services and real servers, as the control
// plane holds it (config files, lbctl edits and importers all produce it).
//
// Plain values; the data plane never sees these, it sees the Service objects
// built from them (service.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <lb/health/model.h>
#include <lb/packet/addr.h>

namespace lb::sched {

enum class Protocol : uint8_t { kTcp = 6, kUdp = 17 };

// ipvsadm -m / -g / -i.
enum class ForwardMethod : uint8_t { kNat, kDirectRoute, kTunnel };

std::string_view to_string(Protocol p) noexcept;       // "tcp" / "udp"
std::string_view to_string(ForwardMethod f) noexcept;  // "nat" / "dr" / "tunnel"
// ipvsadm's column text: "Masq", "Route", "Tunnel".
std::string_view ipvsadm_name(ForwardMethod f) noexcept;
std::optional<Protocol> parse_protocol(std::string_view text) noexcept;
std::optional<ForwardMethod> parse_forward_method(std::string_view text) noexcept;

struct RealServerSpec {
  packet::Ipv4Addr addr;
  // Host order. 0 on a firewall-mark service: keep each packet's destination
  // port (ipvsadm -f ... -r host).
  uint16_t port = 0;
  uint32_t weight = 1;
  ForwardMethod forward = ForwardMethod::kNat;
  // ipvsadm -x / -y: connection counts (active + inactive) at which the server
  // is marked overloaded and available again; 0 = no threshold. The lower one
  // defaults to 3/4 of the upper, as in the kernel.
  uint32_t upper_threshold = 0;
  uint32_t lower_threshold = 0;
  // false: kept in the configuration but not served, as if removed (lbctl
  // disable; Piranha's `active = 0`). Enabling it again keeps its counters.
  bool enabled = true;
  // This real server's own check, replacing its service's (`health.check`).
  std::optional<health::CheckSpec> check{};
  friend bool operator==(const RealServerSpec&, const RealServerSpec&) = default;
};

// Scheduler flags, ipvsadm -b: the kernel's IP_VS_SVC_F_SCHED1..3. sh and mh
// name the first two (sh-fallback/sh-port, mh-fallback/mh-port); other
// schedulers ignore them (flag-1..3).
enum SchedFlag : uint8_t {
  kSchedFlag1 = 1,  // sh-fallback, mh-fallback
  kSchedFlag2 = 2,  // sh-port, mh-port
  kSchedFlag3 = 4,
};

// The names ipvsadm prints for `flags` under `scheduler`, in its fixed order
// (sh-fallback,sh-port); empty when none.
std::vector<std::string_view> sched_flag_names(std::string_view scheduler, uint8_t flags);
// A flag name as ipvsadm -b takes it; 0 when unknown or not valid for this
// scheduler (sh-* only with sh, mh-* only with mh; flag-N with any).
uint8_t parse_sched_flag(std::string_view scheduler, std::string_view name) noexcept;

struct Persistence {
  uint32_t timeout_s = 300;  // ipvsadm -p
  // ipvsadm -M: clients whose addresses agree under this mask share a
  // template (default /32: each client on its own).
  packet::Ipv4Addr netmask = packet::Ipv4Addr::from_host(0xffffffff);
};

struct ServiceSpec {
  // Identity: <protocol, vip, port>, or a firewall mark (ipvsadm -f) when
  // `fwmark` is non-zero, in which case protocol/vip/port are unused.
  uint32_t fwmark = 0;
  Protocol protocol = Protocol::kTcp;
  packet::Ipv4Addr vip;
  uint16_t port = 0;  // host order; 0 only with persistence: every port of the VIP
  std::string scheduler = "wlc";
  uint8_t sched_flags = 0;  // SchedFlag bits
  std::optional<Persistence> persistence;
  bool one_packet = false;  // ipvsadm -o: UDP datagrams scheduled one by one
  // Piranha's "quiesce server": when a real server joins (or comes back),
  // least-connection accounting restarts from zero for every real server, so
  // the newcomer is not flooded.
  bool quiesce_server = false;
  // false: kept in the configuration (with its real servers) but not served.
  bool enabled = true;
  // Health checks of the real servers and what a failure does. Carried here
  // so that edits, saves and change logs treat them as any other field;
  // schedulers never read them.
  health::HealthSpec health{};
  // Takes new connections while every real server is down (ldirectord
  // `fallback`, keepalived `sorry_server`); not checked itself.
  std::optional<RealServerSpec> sorry_server{};
  // In the order they were added (the config file's order). The kernel keeps
  // the newest real server first; Service reverses this list to match.
  std::vector<RealServerSpec> real_servers;
};

// A classifier rule: packets matching it carry `mark` (what iptables -t mangle
// ... -j MARK --set-mark did for IPVS). Rules are tried in order; the first
// match wins.
struct MarkRule {
  uint32_t mark = 0;
  std::optional<Protocol> protocol;  // none: TCP and UDP
  packet::Ipv4Prefix destination;
  uint16_t port_min = 0;  // destination port range, inclusive; 0..65535 = any
  uint16_t port_max = 65535;
  std::optional<packet::Ipv4Prefix> source;
};

}  // namespace lb::sched
