// ipvsadm 1.31's editing commands (-A -E -D -C -a -e -d) and -Z, turned
// into lbd's `edit` operations (and `zero` arguments), with ipvsadm's own
// defaults, value checks and messages (reference/ipvsadm-formats.md §8-§9;
// ipvsadm.c parse_options and process_options).
//
// ipvsadm sends the kernel a whole definition: -E and -e replace the service
// or real server, every option not given falling back to its default
// (scheduler wlc, no persistence, -g, weight 1, no thresholds). The ops built
// here therefore carry every field, never relying on lbd's own defaults
// (lbd's real servers default to NAT, ipvsadm's to direct routing).
//
// Pure: no I/O apart from the host and service name lookups ipvsadm does
// itself (gethostbyname, getservbyname).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include <lb/ctl/connections.h>
#include <lb/ctl/ipvsadm_cmdline.h>
#include <lb/packet/addr.h>
#include <lb/sched/model.h>

namespace lb::ctl::ipvsadm {

// ipvsadm's default -p timeout (IPVS_SVC_PERSISTENT_TIMEOUT).
inline constexpr uint32_t kDefaultPersistence = 360;

// ipvsadm's struct ipvs_command_entry as parse_options and process_options
// leave it, for the IPv4 services lbd serves.
struct CommandEntry {
  std::optional<ServiceSelector> service;  // -t / -u / -f
  std::string scheduler;                   // "" until -s; wlc for -A/-E without -s
  std::optional<uint32_t> persistent;      // -p seconds
  packet::Ipv4Addr netmask = packet::Ipv4Addr::from_host(0xffffffff);  // -M
  bool one_packet = false;                                             // -o
  uint8_t sched_flags = 0;                                             // -b, sched::SchedFlag bits
  std::optional<std::string> persistence_engine;                       // --pe

  struct Real {
    packet::Ipv4Addr addr;
    uint16_t port = 0;
    bool ipv6 = false;
  };
  std::optional<Real> real;  // -r
  sched::ForwardMethod forward = sched::ForwardMethod::kDirectRoute;
  uint32_t weight = 1;
  uint32_t upper_threshold = 0;            // -x
  uint32_t lower_threshold = 0;            // -y
  std::optional<std::string> tunnel_type;  // --tun-type: ipip, gue, gre
};

// A command line of the ipvsadm dialect, read and checked as ipvsadm reads
// and checks it, values included.
struct Translation {
  CommandLine line;
  CommandEntry entry;
  // For -A -E -D -C -a -e -d: the one `edit` operation. Null otherwise.
  nlohmann::json op;
};

// Reads `argv` (argv[0] = the program name) as ipvsadm does: popt, each
// value in command-line order, the legality table, then process_options'
// checks for the command. A Failure carries ipvsadm's message and status; for
// what lbd cannot do (--pe, GUE/GRE tunnels, IPv6, SCTP, sync daemons) an
// "lbctl: ..." message with status 2. A lower threshold above the upper one,
// which only the kernel refuses in ipvsadm, fails with the kernel's text
// ("Numerical result out of range"), status 255, `exits` false.
std::variant<Translation, Failure> translate_command_line(std::span<const std::string> argv,
                                                          const Extensions& extensions = {});

// The `zero` args for -Z [service]: {} or {"service": SEL}.
nlohmann::json zero_args(const CommandEntry& entry);

// lbd's error reply to `command`'s edit op (or to -Z's `zero`) as ipvsadm
// reports the kernel's errno (ipvs_strerror): "Service already exists",
// "No such service", "Service not defined", "Destination already exists",
// "No such destination", "Scheduler or persistence engine not found". Codes
// without a kernel counterpart keep lbd's message, "op N: " removed. Status
// 255, `exits` false (a restore goes on).
Failure edit_failure(Command command, std::string_view code, std::string_view message);

}  // namespace lb::ctl::ipvsadm
