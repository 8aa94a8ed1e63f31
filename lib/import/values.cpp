#include "values.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include <lb/sched/scheduler.h>

namespace lb::import::detail {

std::optional<uint32_t> Report::number(int line, std::string_view what, std::string_view text,
                                       uint32_t min, uint32_t max) {
  uint64_t value = 0;
  const bool digits =
      !text.empty() && text.size() <= 10 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) std::from_chars(text.data(), text.data() + text.size(), value);
  if (!digits || value < min || value > max) {
    error(line, fmt::format("{}: expected an integer {}..{}, got \"{}\"", what, min, max, text));
    return std::nullopt;
  }
  return static_cast<uint32_t>(value);
}

std::optional<packet::Ipv4Addr> Report::address(int line, std::string_view what,
                                                std::string_view text) {
  auto addr = packet::Ipv4Addr::parse(text);
  if (!addr) {
    error(line, fmt::format("{}: expected an IPv4 address (a.b.c.d), got \"{}\"{}", what, text,
                            text.find(':') != std::string_view::npos ? " (lbd is IPv4 only)"
                            : (!text.empty() && std::isalpha(static_cast<unsigned char>(text[0])))
                                ? " (host names are not resolved: write the address)"
                                : ""));
  }
  return addr;
}

std::optional<packet::Ipv4Addr> Report::netmask(int line, std::string_view what,
                                                std::string_view text) {
  auto mask = packet::Ipv4Addr::parse(text);
  const uint32_t bits = mask ? mask->host() : 0;
  // Contiguous ones: the complement is 2^n - 1.
  if (!mask || ((~bits) & (~bits + 1)) != 0) {
    error(line,
          fmt::format("{}: expected a netmask such as 255.255.255.0, got \"{}\"", what, text));
    return std::nullopt;
  }
  return mask;
}

std::string Report::scheduler(int line, std::string_view text) {
  if (sched::find_scheduler(text) != nullptr) return std::string(text);
  warn(line,
       fmt::format("scheduler \"{}\" is not one lbd has; the service uses wlc instead", text));
  return "wlc";
}

void sort_by_line(Imported& out) {
  const auto by_line = [](const Warning& a, const Warning& b) { return a.line < b.line; };
  std::stable_sort(out.warnings.begin(), out.warnings.end(), by_line);
  std::stable_sort(out.errors.begin(), out.errors.end(), by_line);
}

std::optional<uint16_t> well_known_port(std::string_view name) {
  static constexpr std::pair<std::string_view, uint16_t> kPorts[] = {
      {"ftp", 21},      {"smtp", 25},         {"dns", 53},          {"domain", 53},  {"http", 80},
      {"pop", 110},     {"pop3", 110},        {"nntp", 119},        {"imap", 143},   {"ldap", 389},
      {"https", 443},   {"submission", 587},  {"imaps", 993},       {"pops", 995},   {"pop3s", 995},
      {"oracle", 1521}, {"radius", 1812},     {"http_proxy", 3128}, {"mysql", 3306}, {"sip", 5060},
      {"pgsql", 5432},  {"postgresql", 5432},
  };
  for (const auto& [n, port] : kPorts) {
    if (n == name) return port;
  }
  return std::nullopt;
}

std::string service_label(const sched::ServiceSpec& service) {
  if (service.fwmark != 0) return fmt::format("fwmark {}", service.fwmark);
  return fmt::format("{} {}:{}", sched::to_string(service.protocol), service.vip.to_string(),
                     service.port);
}

void add_real_server(Report& report, int line, sched::ServiceSpec& service,
                     const sched::RealServerSpec& real, bool merging) {
  for (const auto& existing : service.real_servers) {
    if (existing.addr == real.addr && existing.port == real.port) {
      const bool same =
          existing.weight == real.weight && existing.enabled == real.enabled &&
          existing.forward == real.forward && existing.upper_threshold == real.upper_threshold &&
          existing.lower_threshold == real.lower_threshold && existing.check == real.check;
      if (merging && same) return;
      report.warn(line, fmt::format("real server {}:{} is already in {}{}; this one is left out",
                                    real.addr.to_string(), real.port, service_label(service),
                                    merging ? " with other settings (weight, active, check)" : ""));
      return;
    }
  }
  service.real_servers.push_back(real);
}

void force_port_for_method(Report& report, int line, const sched::ServiceSpec& service,
                           sched::RealServerSpec& real, std::string_view what) {
  if (real.forward == sched::ForwardMethod::kNat) return;
  const uint16_t port = service.fwmark != 0 ? 0 : service.port;
  if (real.port != port && real.port != 0) {
    // Its checker probed the port the file gives, whatever the kernel did
    // with the traffic: the check keeps it.
    const bool pinned = real.check && real.check->port == 0;
    if (pinned) real.check->port = real.port;
    report.warn(
        line,
        fmt::format("{0} {1} port {2}: with {3} forwarding the {0} "
                    "receives the packet's own port (as ipvsadm forces it); "
                    "the port is dropped{4}",
                    what, real.addr.to_string(), real.port, sched::to_string(real.forward),
                    pinned ? fmt::format(" (its check still probes port {})", real.port) : ""));
  }
  real.port = port;
}

}  // namespace lb::import::detail

namespace lb::import::detail {

void finish_header(Imported& out, const std::vector<std::string>& hints,
                   const std::vector<uint32_t>& marks_without_rule, std::string_view file_kind) {
  if (!hints.empty()) {
    out.header.push_back(
        fmt::format("Addresses found in the {} file, as hints for ports:", file_kind));
    for (const auto& hint : hints)
      out.header.push_back("  " + hint);
  }
  std::vector<uint32_t> missing;
  for (uint32_t mark : marks_without_rule) {
    bool has_rule = std::any_of(out.mark_rules.begin(), out.mark_rules.end(),
                                [&](const sched::MarkRule& r) { return r.mark == mark; });
    if (!has_rule && std::find(missing.begin(), missing.end(), mark) == missing.end()) {
      missing.push_back(mark);
    }
  }
  if (missing.empty()) return;
  out.header.push_back(fmt::format(
      "lbd classifies packets itself; the iptables rules that marked them are not in the {} "
      "file. Add a firewall_marks section with a rule for each mark (see conf/README.md):",
      file_kind));
  out.header.push_back("  firewall_marks:");
  for (uint32_t mark : missing)
    out.header.push_back(
        fmt::format("    - {{mark: {}, protocol: tcp, destination: VIP, ports: [PORT]}}", mark));
}

}  // namespace lb::import::detail
