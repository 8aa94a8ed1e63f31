#include <lb/ctl/ipvsadm_list.h>

#include <cstdint>
#include <numeric>
#include <span>

#include <fmt/format.h>

#include <lb/ctl/protocol.h>
#include <lb/sched/model.h>

#include "result_fields.h"

namespace lb::ctl::ipvsadm {

namespace {

using nlohmann::json;

constexpr detail::ResultFields kFields{"services"};

// ipvsadm.c cuts names into fixed buffers: an IPv4 service name at 33
// (svc_name[33] = '\0') and a real-server name at 28 (dname[28] = '\0').
constexpr std::size_t kServiceNameMax = 33;
constexpr std::size_t kDestNameMax = 28;

std::string cut(std::string text, std::size_t max) {
  if (text.size() > max) text.resize(max);
  return text;
}

// ---- parsing the `services` result -------------------------------------

int64_t integer(const json& object, const char* key, const std::string& where, int64_t min,
                int64_t max) {
  const json& value = kFields.member(object, key, where);
  const bool in_range =
      value.is_number_unsigned()
          ? value.get<uint64_t>() <= static_cast<uint64_t>(max)
          : value.is_number_integer() && value.get<int64_t>() >= min && value.get<int64_t>() <= max;
  if (!in_range)
    kFields.bad(fmt::format("{}.{}", where, key), fmt::format("an integer in {}..{}", min, max));
  return value.get<int64_t>();
}

// Counters are printed as the 32-bit values ipvsadm reads from netlink: a
// larger count shows modulo 2^32, as it would under IPVS.
uint32_t counter(const json& object, const char* key, const std::string& where) {
  const json& value = kFields.member(object, key, where);
  if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<int64_t>() >= 0)) {
    kFields.bad(fmt::format("{}.{}", where, key), "a non-negative integer");
  }
  return static_cast<uint32_t>(value.get<uint64_t>());
}

uint16_t protocol_number(const json& object, const std::string& where) {
  const std::string& name = kFields.text(object, "protocol", where);
  if (name == "tcp") return kProtoTcp;
  if (name == "udp") return kProtoUdp;
  if (name == "sctp") return kProtoSctp;
  kFields.bad(where + ".protocol", "\"tcp\", \"udp\" or \"sctp\"");
}

std::string forward_name(const json& object, const std::string& where) {
  const std::string& name = kFields.text(object, "forward", where);
  if (const auto method = sched::parse_forward_method(name)) {
    return std::string(sched::ipvsadm_name(*method));
  }
  if (name == "local") return "Local";
  kFields.bad(where + ".forward", "\"nat\", \"dr\" or \"tunnel\"");
}

const json& array(const json& object, const char* key, const std::string& where) {
  const json& value = kFields.member(object, key, where);
  if (!value.is_array()) kFields.bad(fmt::format("{}.{}", where, key), "an array");
  return value;
}

bool boolean(const json& object, const char* key, const std::string& where) {
  const json& value = kFields.member(object, key, where);
  if (!value.is_boolean()) kFields.bad(fmt::format("{}.{}", where, key), "true or false");
  return value.get<bool>();
}

// A stats/rates number: non-negative; a fractional rate is cut to its
// integer part, as the kernel's estimator only has integers.
uint64_t big_counter(const json& object, const char* key, const std::string& where) {
  const json& value = kFields.member(object, key, where);
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return value.get<uint64_t>();
  if (value.is_number_float() && value.get<double>() >= 0 && value.get<double>() < 1.8e19) {
    return static_cast<uint64_t>(value.get<double>());
  }
  kFields.bad(fmt::format("{}.{}", where, key), "a non-negative number");
}

std::optional<Counters> parse_stats(const json& entry, const std::string& where) {
  if (!entry.contains("stats")) return std::nullopt;
  const json& stats = entry["stats"];
  const std::string at = where + ".stats";
  if (!stats.is_object()) kFields.bad(at, "an object");
  return Counters{big_counter(stats, "conns", at), big_counter(stats, "inpkts", at),
                  big_counter(stats, "outpkts", at), big_counter(stats, "inbytes", at),
                  big_counter(stats, "outbytes", at)};
}

std::optional<Rates> parse_rates(const json& entry, const std::string& where) {
  if (!entry.contains("rates")) return std::nullopt;
  const json& rates = entry["rates"];
  const std::string at = where + ".rates";
  if (!rates.is_object()) kFields.bad(at, "an object");
  return Rates{big_counter(rates, "cps", at), big_counter(rates, "inpps", at),
               big_counter(rates, "outpps", at), big_counter(rates, "inbps", at),
               big_counter(rates, "outbps", at)};
}

ListedDest parse_dest(const json& entry, const std::string& where) {
  if (!entry.is_object()) kFields.bad(where, "an object");
  ListedDest dest;
  dest.addr = kFields.address(entry, "address", where);
  dest.port = static_cast<uint16_t>(integer(entry, "port", where, 0, 65535));
  dest.forward = forward_name(entry, where);
  dest.weight = static_cast<int32_t>(integer(entry, "weight", where, 0, INT32_MAX));
  dest.active_conns = counter(entry, "active_conns", where);
  dest.inactive_conns = counter(entry, "inactive_conns", where);
  dest.upper_threshold =
      static_cast<uint32_t>(integer(entry, "upper_threshold", where, 0, UINT32_MAX));
  dest.lower_threshold =
      static_cast<uint32_t>(integer(entry, "lower_threshold", where, 0, UINT32_MAX));
  dest.persistent_conns = counter(entry, "persistent_conns", where);
  dest.stats = parse_stats(entry, where);
  dest.rates = parse_rates(entry, where);
  return dest;
}

// The flag names lbd sends back to the kernel's bits, under the service's
// scheduler (sh-port is SCHED2 only for sh).
uint8_t sched_flag_bits(const json& entry, const std::string& scheduler, const std::string& where) {
  const json& names = array(entry, "sched_flags", where);
  uint8_t bits = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const uint8_t bit =
        names[i].is_string() ? sched::parse_sched_flag(scheduler, names[i].get<std::string>()) : 0;
    if (bit == 0) {
      kFields.bad(
          fmt::format("{}.sched_flags[{}]", where, i),
          fmt::format("a scheduler flag of \"{}\" (sh-*: sh only, mh-*: mh only, flag-1..3)",
                      scheduler));
    }
    bits |= bit;
  }
  return bits;
}

ListedService parse_service(const json& entry, const std::string& where) {
  if (!entry.is_object()) kFields.bad(where, "an object");
  ListedService service;
  if (entry.contains("fwmark")) {
    service.fwmark = static_cast<uint32_t>(integer(entry, "fwmark", where, 1, UINT32_MAX));
    service.protocol = 0;
  } else {
    service.protocol = protocol_number(entry, where);
    service.addr = kFields.address(entry, "vip", where);
    service.port = static_cast<uint16_t>(integer(entry, "port", where, 0, 65535));
  }
  service.scheduler = kFields.text(entry, "scheduler", where);
  service.sched_flags = sched_flag_bits(entry, service.scheduler, where);
  if (entry.contains("persistent")) {
    service.persistent_timeout =
        static_cast<uint32_t>(integer(entry, "persistent", where, 0, UINT32_MAX));
    service.netmask = kFields.address(entry, "netmask", where);
  }
  service.one_packet = boolean(entry, "one_packet", where);
  const json& dests = array(entry, "real_servers", where);
  for (std::size_t i = 0; i < dests.size(); ++i) {
    service.dests.push_back(parse_dest(dests[i], fmt::format("{}.real_servers[{}]", where, i)));
  }
  service.stats = parse_stats(entry, where);
  service.rates = parse_rates(entry, where);
  return service;
}

// ---- glibc's qsort ------------------------------------------------------

// glibc 2.36 qsort() (stdlib/msort.c, msort_with_tmp): split at n/2, sort
// both halves, merge taking the left element when cmp(left, right) <= 0.
// With a consistent comparator any sort gives the same order; with ipvsadm's
// wrapping comparators only this exact procedure reproduces ipvsadm's output.
template <typename Compare>
void glibc_merge_sort(std::span<std::size_t> items, std::span<std::size_t> tmp,
                      const Compare& cmp) {
  const std::size_t n = items.size();
  if (n <= 1) return;
  const std::size_t n1 = n / 2;
  glibc_merge_sort(items.first(n1), tmp, cmp);
  glibc_merge_sort(items.subspan(n1), tmp, cmp);
  std::size_t left = 0, right = n1, out = 0;
  while (left < n1 && right < n) {
    tmp[out++] = cmp(items[left], items[right]) <= 0 ? items[left++] : items[right++];
  }
  while (left < n1)
    tmp[out++] = items[left++];
  std::copy(tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(out), items.begin());
}

template <typename T, typename Compare>
void glibc_qsort(std::vector<T>& values, const Compare& cmp) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<std::size_t> tmp(values.size());
  glibc_merge_sort(std::span(order), std::span(tmp),
                   [&](std::size_t a, std::size_t b) { return cmp(values[a], values[b]); });
  std::vector<T> sorted;
  sorted.reserve(values.size());
  for (const std::size_t i : order)
    sorted.push_back(std::move(values[i]));
  values = std::move(sorted);
}

// `int r = a - b` of two unsigned 32-bit keys, as libipvs computes it.
int wrapping_difference(uint32_t a, uint32_t b) {
  return static_cast<int>(a - b);
}

const char* protocol_label(uint16_t protocol) {
  switch (protocol) {
    case kProtoTcp:
      return "TCP";
    case kProtoUdp:
      return "UDP";
    case kProtoSctp:
      return "SCTP";
    default:
      return "?";
  }
}

// print_sched_flags: sh and mh name their two flags, every other scheduler
// shows the generic names; always in bit order. Unlike sched::sched_flag_names
// (what -b takes), ipvsadm 1.31 prints nothing for flag-3 under sh and mh, so
// "sh (flag-3)" lists as "sh ()".
std::string sched_flag_names(const ListedService& service) {
  static constexpr const char* kGeneric[] = {"flag-1", "flag-2", "flag-3"};
  static constexpr const char* kSh[] = {"sh-fallback", "sh-port", nullptr};
  static constexpr const char* kMh[] = {"mh-fallback", "mh-port", nullptr};
  const char* const* names = service.scheduler == "sh"   ? kSh
                             : service.scheduler == "mh" ? kMh
                                                         : kGeneric;
  std::string out;
  for (int bit = 0; bit < 3; ++bit) {
    if ((service.sched_flags & (1u << bit)) == 0 || names[bit] == nullptr) continue;
    if (!out.empty()) out += ',';
    out += names[bit];
  }
  return out;
}

}  // namespace

Listing parse_services_result(const json& result) {
  if (!result.is_object()) kFields.bad("result", "an object");
  Listing listing;
  listing.conn_table_size =
      static_cast<int32_t>(integer(result, "conn_table_size", "result", 0, INT32_MAX));
  const json& services = array(result, "services", "result");
  for (std::size_t i = 0; i < services.size(); ++i) {
    listing.services.push_back(parse_service(services[i], fmt::format("services[{}]", i)));
  }
  return listing;
}

int compare_services(const ListedService& a, const ListedService& b) {
  if (const int r = wrapping_difference(a.fwmark, b.fwmark)) return r;
  if (const int r = int{a.af} - int{b.af}) return r;
  if (const int r = int{a.protocol} - int{b.protocol}) return r;
  if (const int r = wrapping_difference(a.addr.host(), b.addr.host())) return r;
  return int{a.port} - int{b.port};
}

int compare_dests(const ListedDest& a, const ListedDest& b) {
  if (const int r = wrapping_difference(a.addr.host(), b.addr.host())) return r;
  return int{a.port} - int{b.port};
}

void sort_like_ipvsadm(Listing& listing) {
  glibc_qsort(listing.services, compare_services);
  for (ListedService& service : listing.services)
    glibc_qsort(service.dests, compare_dests);
}

std::string title_lines(ListFormat format) {
  switch (format) {
    case ListFormat::kStats:
      return fmt::format("{:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n  -> RemoteAddress:Port\n",
                         "Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes",
                         "OutBytes");
    case ListFormat::kRate:
      return fmt::format("{:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n  -> RemoteAddress:Port\n",
                         "Prot LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS");
    case ListFormat::kTunInfo:
      return "Prot LocalAddress:Port Scheduler Flags\n"
             "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn "
             "InActConn\n";
    case ListFormat::kThresholds:
      return fmt::format("{:<33} {:<10} {:<10} {:<10} {:<10}\n  -> RemoteAddress:Port\n",
                         "Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn",
                         "InActConn");
    case ListFormat::kPersistentConn:
      return fmt::format("{:<33} {:<9} {:<11} {:<10} {:<10}\n  -> RemoteAddress:Port\n",
                         "Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn",
                         "InActConn");
    case ListFormat::kPlain:
      break;
  }
  return "Prot LocalAddress:Port Scheduler Flags\n"
         "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
}

std::string largenum(uint64_t value, bool exact) {
  if (exact) {
    const std::string digits = fmt::format("{}", value);
    return fmt::format("{:>{}}", digits, digits.size() <= 8 ? 9 : digits.size() + 1);
  }
  if (value < 100000000ULL) return fmt::format("{:>9}", value);
  if (value < 1000000000ULL) return fmt::format("{:>8}K", value / 1000);
  if (value < 100000000000ULL) return fmt::format("{:>8}M", value / 1000000);
  if (value < 100000000000000ULL) return fmt::format("{:>8}G", value / 1000000000ULL);
  return fmt::format("{:>8}T", value / 1000000000000ULL);
}

std::string service_name(const ListedService& service, const NameResolver* names) {
  if (service.fwmark != 0) {
    // 1.31 prints the fwmark with %d: 4294967295 shows as -1 (§3).
    return fmt::format("FWM  {}", static_cast<int32_t>(service.fwmark));
  }
  return cut(fmt::format("{:<4} {}", protocol_label(service.protocol),
                         addrport_to_anyname(service.addr, service.port, service.protocol, names)),
             kServiceNameMax);
}

std::string service_line(const ListedService& service, const NameResolver* names, ListFormat format,
                         bool exact) {
  const std::string name = service_name(service, names);
  if (format == ListFormat::kStats) {
    const Counters& c = service.stats.value();
    return fmt::format("{:<33}{}{}{}{}{}\n", name, largenum(c.conns, exact),
                       largenum(c.inpkts, exact), largenum(c.outpkts, exact),
                       largenum(c.inbytes, exact), largenum(c.outbytes, exact));
  }
  if (format == ListFormat::kRate) {
    const Rates& r = service.rates.value();
    return fmt::format("{:<33}{}{}{}{}{}\n", name, largenum(r.cps, exact), largenum(r.inpps, exact),
                       largenum(r.outpps, exact), largenum(r.inbps, exact),
                       largenum(r.outbps, exact));
  }
  std::string line = fmt::format("{} {}", name, service.scheduler);
  if (service.sched_flags != 0) line += fmt::format(" ({})", sched_flag_names(service));
  if (service.persistent_timeout) {
    line += fmt::format(" persistent {}", *service.persistent_timeout);
    if (service.netmask.host() != 0xffffffff) line += " mask " + service.netmask.to_string();
    if (!service.pe_name.empty()) line += " pe " + service.pe_name;
  }
  if (service.one_packet) line += " ops";
  line += '\n';
  return line;
}

std::string dest_line(const ListedService& service, const ListedDest& dest,
                      const NameResolver* names, ListFormat format, bool exact) {
  const std::string name =
      cut(addrport_to_anyname(dest.addr, dest.port, service.protocol, names), kDestNameMax);
  // libipvs reads a real server's stats with its 32-bit reader (§4.2): all
  // but the byte counts show modulo 2^32.
  const auto low32 = [](uint64_t value) { return value & 0xffffffffULL; };
  // Left-justified columns: every line ends in InActConn's padding.
  switch (format) {
    case ListFormat::kStats: {
      const Counters& c = dest.stats.value();
      return fmt::format("  -> {:<28}{}{}{}{}{}\n", name, largenum(low32(c.conns), exact),
                         largenum(low32(c.inpkts), exact), largenum(low32(c.outpkts), exact),
                         largenum(c.inbytes, exact), largenum(c.outbytes, exact));
    }
    case ListFormat::kRate: {
      // cps, inpps and outpps as plain %8llu: never scaled, --exact or not.
      const Rates& r = dest.rates.value();
      return fmt::format("  -> {:<28} {:>8} {:>8} {:>8}{}{}\n", name, low32(r.cps), low32(r.inpps),
                         low32(r.outpps), largenum(low32(r.inbps), exact),
                         largenum(low32(r.outbps), exact));
    }
    case ListFormat::kTunInfo:
      // lbd's tunnels are IPIP: fwd_tun_info's "ipip", "n/a" for the rest.
      return fmt::format("  -> {:<28} {:<7} {:<13} {:<6} {:<10} {:<10}\n", name, dest.forward,
                         dest.forward == "Tunnel" ? "ipip" : "n/a", dest.weight, dest.active_conns,
                         dest.inactive_conns);
    case ListFormat::kThresholds:
      return fmt::format("  -> {:<28} {:<10} {:<10} {:<10} {:<10}\n", name, dest.upper_threshold,
                         dest.lower_threshold, dest.active_conns, dest.inactive_conns);
    case ListFormat::kPersistentConn:
      // The weight as %-9u: a non-negative int prints the same.
      return fmt::format("  -> {:<28} {:<9} {:<11} {:<10} {:<10}\n", name,
                         static_cast<uint32_t>(dest.weight), dest.persistent_conns,
                         dest.active_conns, dest.inactive_conns);
    case ListFormat::kPlain:
      break;
  }
  return fmt::format("  -> {:<28} {:<7} {:<6} {:<10} {:<10}\n", name, dest.forward, dest.weight,
                     dest.active_conns, dest.inactive_conns);
}

std::string format_listing(const Listing& listing, const NameResolver* names, ListFormat format,
                           bool exact, bool header) {
  std::optional<CachingResolver> cached;
  if (names != nullptr) names = &cached.emplace(*names);

  std::string out;
  if (header) {
    out += fmt::format("IP Virtual Server version 1.2.1 (size={})\n", listing.conn_table_size);
  }
  out += title_lines(format);
  for (const ListedService& service : listing.services) {
    out += service_line(service, names, format, exact);
    for (const ListedDest& dest : service.dests)
      out += dest_line(service, dest, names, format, exact);
  }
  return out;
}

namespace {

// --stats and --rate read objects older lbds do not send: say which is
// missing rather than print zeros.
void require_counters(const Listing& listing, ListFormat format) {
  if (format != ListFormat::kStats && format != ListFormat::kRate) return;
  const bool stats = format == ListFormat::kStats;
  const char* key = stats ? "stats" : "rates";
  const auto missing = [&](const auto& item) {
    return stats ? !item.stats.has_value() : !item.rates.has_value();
  };
  for (std::size_t i = 0; i < listing.services.size(); ++i) {
    const ListedService& service = listing.services[i];
    if (missing(service)) kFields.bad(fmt::format("services[{}].{}", i, key), "an object");
    for (std::size_t j = 0; j < service.dests.size(); ++j) {
      if (missing(service.dests[j])) {
        kFields.bad(fmt::format("services[{}].real_servers[{}].{}", i, j, key), "an object");
      }
    }
  }
}

bool selects(const ServiceSelector& selector, const ListedService& service) {
  if (selector.fwmark != 0 || service.fwmark != 0) return selector.fwmark == service.fwmark;
  const uint16_t protocol = selector.protocol == "udp" ? kProtoUdp : kProtoTcp;
  return protocol == service.protocol && selector.vip == service.addr &&
         selector.port == service.port;
}

}  // namespace

}  // namespace lb::ctl::ipvsadm

namespace lb::ctl {

std::string format_ipvsadm_list(const nlohmann::json& services_result, bool numeric,
                                const ipvsadm::ListOptions& options) {
  ipvsadm::Listing listing = ipvsadm::parse_services_result(services_result);
  if (options.service) {
    std::erase_if(listing.services, [&](const ipvsadm::ListedService& service) {
      return !ipvsadm::selects(*options.service, service);
    });
    if (listing.services.empty()) throw CtlError("no_service", "No such service");
  }
  ipvsadm::require_counters(listing, options.format);
  if (options.sort) ipvsadm::sort_like_ipvsadm(listing);
  return ipvsadm::format_listing(listing, numeric ? nullptr : &ipvsadm::system_resolver(),
                                 options.format, options.exact, !options.service);
}

std::string format_ipvsadm_list(const nlohmann::json& services_result, bool numeric,
                                ipvsadm::ListFormat format) {
  ipvsadm::ListOptions options;
  options.format = format;
  return format_ipvsadm_list(services_result, numeric, options);
}

}  // namespace lb::ctl
