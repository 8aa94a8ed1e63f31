#include <lb/ctl/ipvsadm_list.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <cerrno>
#include <cstdint>
#include <map>
#include <numeric>
#include <span>

#include <fmt/format.h>

#include <lb/ctl/protocol.h>
#include <lb/sched/model.h>

namespace lb::ctl::ipvsadm {

namespace {

using nlohmann::json;

// ipvsadm.c cuts names into fixed buffers: addrport_to_anyname writes at most
// 59 characters (malloc(60) + snprintf), an IPv4 service name is cut at 33
// (svc_name[33] = '\0') and a real-server name at 28 (dname[28] = '\0').
constexpr std::size_t kAddrPortMax = 59;
constexpr std::size_t kServiceNameMax = 33;
constexpr std::size_t kDestNameMax = 28;

std::string cut(std::string text, std::size_t max) {
  if (text.size() > max) text.resize(max);
  return text;
}

// ---- parsing the `services` result -------------------------------------

[[noreturn]] void bad(const std::string& where, std::string_view expected) {
  throw CtlError(errc::kBadReply,
                 fmt::format("lbd's services result: {}: expected {}", where, expected));
}

const json& member(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) bad(fmt::format("{}.{}", where, key), "a value, found none");
  return *it;
}

int64_t integer(const json& object, const char* key, const std::string& where, int64_t min,
                int64_t max) {
  const json& value = member(object, key, where);
  const bool in_range =
      value.is_number_unsigned()
          ? value.get<uint64_t>() <= static_cast<uint64_t>(max)
          : value.is_number_integer() && value.get<int64_t>() >= min && value.get<int64_t>() <= max;
  if (!in_range)
    bad(fmt::format("{}.{}", where, key), fmt::format("an integer in {}..{}", min, max));
  return value.get<int64_t>();
}

// Counters are printed as the 32-bit values ipvsadm reads from netlink: a
// larger count shows modulo 2^32, as it would under IPVS.
uint32_t counter(const json& object, const char* key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<int64_t>() >= 0)) {
    bad(fmt::format("{}.{}", where, key), "a non-negative integer");
  }
  return static_cast<uint32_t>(value.get<uint64_t>());
}

const std::string& text(const json& object, const char* key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_string()) bad(fmt::format("{}.{}", where, key), "a string");
  return value.get_ref<const std::string&>();
}

packet::Ipv4Addr address(const json& object, const char* key, const std::string& where) {
  const auto addr = packet::Ipv4Addr::parse(text(object, key, where));
  if (!addr) bad(fmt::format("{}.{}", where, key), "an IPv4 address");
  return *addr;
}

uint16_t protocol_number(const json& object, const std::string& where) {
  const std::string& name = text(object, "protocol", where);
  if (name == "tcp") return kProtoTcp;
  if (name == "udp") return kProtoUdp;
  if (name == "sctp") return kProtoSctp;
  bad(where + ".protocol", "\"tcp\", \"udp\" or \"sctp\"");
}

std::string forward_name(const json& object, const std::string& where) {
  const std::string& name = text(object, "forward", where);
  if (const auto method = sched::parse_forward_method(name)) {
    return std::string(sched::ipvsadm_name(*method));
  }
  if (name == "local") return "Local";
  bad(where + ".forward", "\"nat\", \"dr\" or \"tunnel\"");
}

const json& array(const json& object, const char* key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_array()) bad(fmt::format("{}.{}", where, key), "an array");
  return value;
}

bool boolean(const json& object, const char* key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_boolean()) bad(fmt::format("{}.{}", where, key), "true or false");
  return value.get<bool>();
}

ListedDest parse_dest(const json& entry, const std::string& where) {
  if (!entry.is_object()) bad(where, "an object");
  ListedDest dest;
  dest.addr = address(entry, "address", where);
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
      bad(fmt::format("{}.sched_flags[{}]", where, i),
          fmt::format("a scheduler flag of \"{}\" (sh-*: sh only, mh-*: mh only, flag-1..3)",
                      scheduler));
    }
    bits |= bit;
  }
  return bits;
}

ListedService parse_service(const json& entry, const std::string& where) {
  if (!entry.is_object()) bad(where, "an object");
  ListedService service;
  if (entry.contains("fwmark")) {
    service.fwmark = static_cast<uint32_t>(integer(entry, "fwmark", where, 1, UINT32_MAX));
    service.protocol = 0;
  } else {
    service.protocol = protocol_number(entry, where);
    service.addr = address(entry, "vip", where);
    service.port = static_cast<uint16_t>(integer(entry, "port", where, 0, 65535));
  }
  service.scheduler = text(entry, "scheduler", where);
  service.sched_flags = sched_flag_bits(entry, service.scheduler, where);
  if (entry.contains("persistent")) {
    service.persistent_timeout =
        static_cast<uint32_t>(integer(entry, "persistent", where, 0, UINT32_MAX));
    service.netmask = address(entry, "netmask", where);
  }
  service.one_packet = boolean(entry, "one_packet", where);
  const json& dests = array(entry, "real_servers", where);
  for (std::size_t i = 0; i < dests.size(); ++i) {
    service.dests.push_back(parse_dest(dests[i], fmt::format("{}.real_servers[{}]", where, i)));
  }
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

// ---- names ----------------------------------------------------------------

class SystemResolver final : public NameResolver {
 public:
  std::optional<std::string> host_name(packet::Ipv4Addr addr) const override {
    in_addr in{addr.be};
    hostent entry{};
    hostent* found = nullptr;
    int h_err = 0;
    std::vector<char> buffer(8192);
    while (::gethostbyaddr_r(&in, sizeof(in), AF_INET, &entry, buffer.data(), buffer.size(), &found,
                             &h_err) == ERANGE) {
      buffer.resize(buffer.size() * 2);
    }
    if (found == nullptr || found->h_name == nullptr) return std::nullopt;
    return std::string(found->h_name);
  }

  std::optional<std::string> service_name(uint16_t port, uint16_t protocol) const override {
    const char* proto = protocol == kProtoTcp    ? "tcp"
                        : protocol == kProtoUdp  ? "udp"
                        : protocol == kProtoSctp ? "sctp"
                                                 : nullptr;
    if (proto == nullptr) return std::nullopt;
    servent entry{};
    servent* found = nullptr;
    std::vector<char> buffer(4096);
    while (::getservbyport_r(htons(port), proto, &entry, buffer.data(), buffer.size(), &found) ==
           ERANGE) {
      buffer.resize(buffer.size() * 2);
    }
    if (found == nullptr || found->s_name == nullptr) return std::nullopt;
    return std::string(found->s_name);
  }
};

// One listing asks about the same VIPs and ports many times; ipvsadm does
// every lookup again, which changes nothing but the time it takes.
class CachingResolver final : public NameResolver {
 public:
  explicit CachingResolver(const NameResolver& inner) : inner_(inner) {}
  std::optional<std::string> host_name(packet::Ipv4Addr addr) const override {
    auto [it, fresh] = hosts_.try_emplace(addr.be);
    if (fresh) it->second = inner_.host_name(addr);
    return it->second;
  }
  std::optional<std::string> service_name(uint16_t port, uint16_t protocol) const override {
    auto [it, fresh] = services_.try_emplace(uint32_t{protocol} << 16 | port);
    if (fresh) it->second = inner_.service_name(port, protocol);
    return it->second;
  }

 private:
  const NameResolver& inner_;
  mutable std::map<uint32_t, std::optional<std::string>> hosts_;
  mutable std::map<uint32_t, std::optional<std::string>> services_;
};

// addrport_to_anyname: "%s:%u" with -n, else "name-or-address:service-or-port".
std::string addr_port(packet::Ipv4Addr addr, uint16_t port, uint16_t protocol,
                      const NameResolver* names) {
  if (names == nullptr) return fmt::format("{}:{}", addr.to_string(), port);
  const auto host = names->host_name(addr);
  const auto service = names->service_name(port, protocol);
  return cut(fmt::format("{}:{}", host ? *host : addr.to_string(),
                         service ? *service : std::to_string(port)),
             kAddrPortMax);
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
  if (!result.is_object()) bad("result", "an object");
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

const NameResolver& system_resolver() {
  static const SystemResolver resolver;
  return resolver;
}

std::string title_lines(ListFormat format) {
  switch (format) {
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

std::string service_line(const ListedService& service, const NameResolver* names) {
  std::string name;
  if (service.fwmark != 0) {
    // 1.31 prints the fwmark with %d: 4294967295 shows as -1 (§3).
    name = fmt::format("FWM  {}", static_cast<int32_t>(service.fwmark));
  } else {
    name = cut(fmt::format("{:<4} {}", protocol_label(service.protocol),
                           addr_port(service.addr, service.port, service.protocol, names)),
               kServiceNameMax);
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
                      const NameResolver* names, ListFormat format) {
  const std::string name =
      cut(addr_port(dest.addr, dest.port, service.protocol, names), kDestNameMax);
  // Left-justified columns: every line ends in InActConn's padding.
  switch (format) {
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

std::string format_listing(const Listing& listing, const NameResolver* names, ListFormat format) {
  std::optional<CachingResolver> cached;
  if (names != nullptr) names = &cached.emplace(*names);

  std::string out =
      fmt::format("IP Virtual Server version 1.2.1 (size={})\n", listing.conn_table_size);
  out += title_lines(format);
  for (const ListedService& service : listing.services) {
    out += service_line(service, names);
    for (const ListedDest& dest : service.dests)
      out += dest_line(service, dest, names, format);
  }
  return out;
}

}  // namespace lb::ctl::ipvsadm

namespace lb::ctl {

std::string format_ipvsadm_list(const nlohmann::json& services_result, bool numeric,
                                ipvsadm::ListFormat format) {
  ipvsadm::Listing listing = ipvsadm::parse_services_result(services_result);
  ipvsadm::sort_like_ipvsadm(listing);
  return ipvsadm::format_listing(listing, numeric ? nullptr : &ipvsadm::system_resolver(), format);
}

}  // namespace lb::ctl
