// Value readers and the bookkeeping the importers share: numbers, addresses
// and masks as LVS files write them, scheduler names lbd knows, and the
// warnings and errors with their lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <lb/import/imported.h>
#include <lb/packet/addr.h>
#include <lb/sched/model.h>

namespace lb::import::detail {

class Report {
 public:
  explicit Report(Imported& out) : out_(out) {}
  void warn(int line, std::string message) { out_.warnings.push_back({line, std::move(message)}); }
  void error(int line, std::string message) { out_.errors.push_back({line, std::move(message)}); }

  // Readers: the value, or an error naming `what` and the value given.
  std::optional<uint32_t> number(int line, std::string_view what, std::string_view text,
                                 uint32_t min, uint32_t max);
  std::optional<packet::Ipv4Addr> address(int line, std::string_view what, std::string_view text);
  std::optional<packet::Ipv4Addr> netmask(int line, std::string_view what, std::string_view text);
  // A scheduler lbd has; otherwise a warning and wlc (the IPVS default).
  std::string scheduler(int line, std::string_view text);

 private:
  Imported& out_;
};

// Sorts warnings and errors into file order (stable).
void sort_by_line(Imported& out);

// The ldirectord service names (its ld_service_to_port table), for ports
// written as names.
std::optional<uint16_t> well_known_port(std::string_view name);

// Adds `real` to `service` unless a server with its address and port is
// already there (warning at `line`). `merging`: the same server coming again
// from another part of a merged service (Piranha lists a bundle's servers
// under each of its virtual servers) is expected, and only a difference in
// its settings is reported.
void add_real_server(Report& report, int line, sched::ServiceSpec& service,
                     const sched::RealServerSpec& real, bool merging = false);

// ipvsadm's rule for direct routing and tunnelling: the real server's port
// is the service's (0 on firewall-mark services); warns when the file said
// otherwise. A check of the server without a port of its own keeps probing
// the port the file gave.
void force_port_for_method(Report& report, int line, const sched::ServiceSpec& service,
                           sched::RealServerSpec& real, std::string_view what = "real server");

std::string service_label(const sched::ServiceSpec& service);  // "tcp 198.18.1.100:80", "fwmark 80"

// The persistence-timeout limit lbd takes (ipvsadm's).
inline constexpr uint32_t kMaxPersistence = 2678400;

}  // namespace lb::import::detail

namespace lb::import::detail {

// The header lines every importer writes: the hints for `ports:` (addresses
// found in the file) and a firewall_marks reminder for every mark no rule
// sets (the iptables rules that marked packets are never in these files).
void finish_header(Imported& out, const std::vector<std::string>& hints,
                   const std::vector<uint32_t>& marks_without_rule, std::string_view file_kind);

}  // namespace lb::import::detail
