#include <lb/ctl/ipvsadm_edit.h>

#include <arpa/inet.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include <lb/ctl/ipvsadm_service.h>
#include <lb/ctl/ipvsadm_timeout.h>

namespace lb::ctl::ipvsadm {

namespace {

using nlohmann::json;
using sched::ForwardMethod;

// string_to_number: strtol's syntax (leading blanks, a sign), nothing after
// the digits, within [min, max].
std::optional<long> string_to_number(const std::string& text, long min, long max) {
  char* end = nullptr;
  errno = 0;
  const long number = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || end == text.c_str() || errno == ERANGE) return std::nullopt;
  if (number < min || number > max) return std::nullopt;
  return number;
}

Failure fail(std::string message) {
  return Failure{2, std::move(message)};
}

Failure unsupported(std::string message) {
  return Failure{2, "lbctl: " + std::move(message)};
}

// parse_sched_flags, run once every option is read (-b may precede -s).
std::variant<uint8_t, Failure> parse_sched_flags(const std::string& scheduler,
                                                 const std::string& text) {
  const std::string sched = scheduler.empty() ? "wlc" : scheduler;
  uint8_t flags = 0;
  std::size_t start = 0;
  bool any = false;
  // strtok: empty pieces between commas are skipped.
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string flag = text.substr(start, comma - start);
    start = comma + 1;
    if (flag.empty()) continue;
    any = true;
    const bool generic = flag == "flag-1" || flag == "flag-2" || flag == "flag-3";
    const bool sh = flag == "sh-fallback" || flag == "sh-port";
    const bool mh = flag == "mh-fallback" || flag == "mh-port";
    if (!generic && !sh && !mh) return fail(fmt::format("invalid scheduler flag `{}'", flag));
    if ((sh && sched != "sh") || (mh && sched != "mh")) {
      return fail(fmt::format("incompatible scheduler flag `{}'", flag));
    }
    // The bit under the scheduler the flag belongs to: sh-port and
    // mh-port are both SCHED2.
    flags |= sched::parse_sched_flag(sh ? "sh" : mh ? "mh" : sched, flag);
  }
  // ipvsadm's strtok loop reads a NULL first token ("-b ,") and crashes;
  // lbctl calls it what it is.
  if (!any) return fail(fmt::format("invalid scheduler flag `{}'", text));
  return flags;
}

// parse_options' switch: one option's value into the entry, in the order
// given (so `-r host` takes the port of a -t read before it, as in ipvsadm).
class EntryReader {
 public:
  std::optional<Failure> take(const ParsedOption& option) {
    const std::string value = option.value.value_or("");
    if (option.spec->short_name == '6') {
      return unsupported("IPv6 firewall-mark services (-6) are not supported");
    }
    if (!option.spec->sets) return std::nullopt;  // --sort
    switch (*option.spec->sets) {
      case Opt::kService: {
        auto parsed = parse_service_option(option);
        if (auto* failure = std::get_if<Failure>(&parsed)) return *failure;
        entry_.service = std::get<ServiceSelector>(parsed);
        // parse_fwmark leaves the protocol at TCP, whose port names -r
        // then resolves.
        names_protocol_ = entry_.service->fwmark != 0 ? "tcp" : entry_.service->protocol;
        return std::nullopt;
      }
      case Opt::kScheduler:
        entry_.scheduler = value;
        return std::nullopt;
      case Opt::kPersistent: {
        if (!option.value) {
          entry_.persistent = kDefaultPersistence;
          return std::nullopt;
        }
        const auto timeout = string_to_number(value, 1, kMaxTimeout);
        if (!timeout) return fail(fmt::format("invalid timeout value `{}' specified", value));
        entry_.persistent = static_cast<uint32_t>(*timeout);
        return std::nullopt;
      }
      case Opt::kNetmask: {
        in_addr in{};
        std::optional<packet::Ipv4Addr> mask;
        if (::inet_aton(value.c_str(), &in) != 0) {
          mask = packet::Ipv4Addr{in.s_addr};
        } else {
          mask = host_to_addr(value);
        }
        if (!mask) return fail("illegal virtual server persistent mask specified");
        entry_.netmask = *mask;
        return std::nullopt;
      }
      case Opt::kServer: {
        const auto found = parse_host_port(value, names_protocol_);
        if (!found) return fail("illegal real server address[:port] specified");
        // "copy vport to dport if not specified": the service's port as
        // read so far.
        const uint16_t service_port =
            entry_.service && entry_.service->fwmark == 0 ? entry_.service->port : 0;
        entry_.real =
            CommandEntry::Real{found->addr, found->port.value_or(service_port), found->ipv6};
        return std::nullopt;
      }
      case Opt::kForward:
        entry_.forward = option.spec->short_name == 'm'   ? ForwardMethod::kNat
                         : option.spec->short_name == 'i' ? ForwardMethod::kTunnel
                                                          : ForwardMethod::kDirectRoute;
        return std::nullopt;
      case Opt::kWeight: {
        const auto weight = string_to_number(value, 0, 65535);
        if (!weight) return fail("illegal weight specified");
        entry_.weight = static_cast<uint32_t>(*weight);
        return std::nullopt;
      }
      case Opt::kUThreshold: {
        const auto threshold = string_to_number(value, 0, INT_MAX);
        if (!threshold) return fail("illegal u_threshold specified");
        entry_.upper_threshold = static_cast<uint32_t>(*threshold);
        return std::nullopt;
      }
      case Opt::kLThreshold: {
        const auto threshold = string_to_number(value, 0, INT_MAX);
        if (!threshold) return fail("illegal l_threshold specified");
        entry_.lower_threshold = static_cast<uint32_t>(*threshold);
        return std::nullopt;
      }
      case Opt::kOnePacket:
        entry_.one_packet = true;
        return std::nullopt;
      case Opt::kPersistenceEngine:
        entry_.persistence_engine = value;
        return std::nullopt;
      case Opt::kSchedFlags:
        // snprintf into sched_flags_arg[128].
        sched_flags_text_ = value.substr(0, 127);
        return std::nullopt;
      case Opt::kSyncId:
        if (!string_to_number(value, 0, 255)) return fail("illegal syncid specified");
        return std::nullopt;
      case Opt::kMcastGroup: {
        if (value.find(':') != std::string::npos) {
          in6_addr in6{};
          if (::inet_pton(AF_INET6, value.c_str(), &in6) <= 0 || in6.s6_addr[0] != 0xff) {
            return fail(fmt::format("invalid IPv6 mcast-group `{}'", value));
          }
        } else {
          in_addr in{};
          if (::inet_pton(AF_INET, value.c_str(), &in) <= 0 || (ntohl(in.s_addr) >> 28) != 0xe) {
            return fail(fmt::format("invalid IPv4 mcast-group `{}'", value));
          }
        }
        return std::nullopt;
      }
      case Opt::kMcastPort:
        if (!string_to_number(value, 1, 65535)) return fail("illegal mcast-port specified");
        return std::nullopt;
      case Opt::kMcastTtl:
        if (!string_to_number(value, 1, 255)) return fail("illegal mcast-ttl specified");
        return std::nullopt;
      case Opt::kSyncMaxlen:
        if (!string_to_number(value, 1, 65535 - 20 - 8)) {
          return fail("illegal sync-maxlen specified");
        }
        return std::nullopt;
      case Opt::kTunType:
        if (value != "ipip" && value != "gue" && value != "gre") {
          return fail("illegal tunnel type specified");
        }
        entry_.tunnel_type = value;
        return std::nullopt;
      case Opt::kTunPort:
        if (!string_to_number(value, 1, 65535)) return fail("illegal tunnel port specified");
        return std::nullopt;
      default:
        return std::nullopt;  // flags without a value
    }
  }

  // parse_options' tail: the scheduler flags under the final scheduler.
  std::optional<Failure> finish_options() {
    if (sched_flags_text_.empty()) return std::nullopt;
    auto flags = parse_sched_flags(entry_.scheduler, sched_flags_text_);
    if (auto* failure = std::get_if<Failure>(&flags)) return *failure;
    entry_.sched_flags = std::get<uint8_t>(flags);
    return std::nullopt;
  }

  CommandEntry& entry() { return entry_; }

 private:
  CommandEntry entry_;
  std::string names_protocol_;  // ce->svc.protocol: none until -t/-u/-f
  std::string sched_flags_text_;
};

// tunnel_types_v_options: per tunnel type, --tun-port, --tun-nocsum,
// --tun-csum, --tun-remcsum: '+' compulsory, 'x' illegal, '1' one of.
std::optional<Failure> tunnel_opt_check(const CommandLine& line, const std::string& type) {
  static constexpr Opt kTunOpts[] = {Opt::kTunPort, Opt::kTunNocsum, Opt::kTunCsum,
                                     Opt::kTunRemcsum};
  const std::string_view legal = type == "gue" ? "+111" : type == "gre" ? "x11x" : "xxxx";
  std::optional<Opt> first_exclusive;
  for (std::size_t j = 0; j < 4; ++j) {
    const Opt opt = kTunOpts[j];
    if (!line.has(opt)) {
      if (legal[j] == '+') {
        return fail(fmt::format("You need to supply the '{}' option for the '{}' tunnel type",
                                option_name(opt), type));
      }
      continue;
    }
    if (legal[j] == 'x') {
      return fail(
          fmt::format("Illegal '{}' option with the '{}' tunnel type", option_name(opt), type));
    }
    if (legal[j] == '1') {
      if (!first_exclusive) {
        first_exclusive = opt;
        continue;
      }
      return fail(
          fmt::format("The option '{}' conflicts with the '{}' option in the '{}' tunnel "
                      "type",
                      option_name(opt), option_name(*first_exclusive), type));
    }
  }
  return std::nullopt;
}

// process_options, between generic_opt_check and the kernel call.
std::optional<Failure> check_command(const CommandLine& line, CommandEntry& entry) {
  const Command command = line.command;
  if (command == Command::kAdd || command == Command::kEdit) {
    const ServiceSelector& service = *entry.service;
    if (service.fwmark == 0 && service.port == 0 && !entry.persistent) {
      return fail("Zero port specified for non-persistent service");
    }
    if (entry.one_packet && service.fwmark == 0 && service.protocol != "udp") {
      return fail("One-Packet Scheduling is only for UDP virtual services");
    }
    if (entry.scheduler.empty()) entry.scheduler = "wlc";
    if (entry.persistence_engine) {
      return unsupported(
          fmt::format("ipvsadm option '--pe {}' is not supported: lbd has no persistence engines",
                      *entry.persistence_engine));
    }
  }
  if (command == Command::kAddServer || command == Command::kEditServer) {
    const bool tunnel = entry.forward == ForwardMethod::kTunnel;
    // -g and -i cannot change the port: the real server answers on the
    // service's port.
    if (entry.service->fwmark == 0 && entry.forward != ForwardMethod::kNat) {
      entry.real->port = entry.service->port;
    }
    if (entry.real->ipv6 && !tunnel) {
      return fail("Different address family is allowed only for tunneling servers");
    }
    const bool tunnel_options = line.has(Opt::kTunType) || line.has(Opt::kTunPort) ||
                                line.has(Opt::kTunNocsum) || line.has(Opt::kTunCsum) ||
                                line.has(Opt::kTunRemcsum);
    if (tunnel_options && !tunnel) return fail("Tunnel options conflict with forward method");
    if (auto failure = tunnel_opt_check(line, entry.tunnel_type.value_or("ipip"))) return failure;
    if (entry.real->ipv6) return unsupported("IPv6 real servers are not supported");
    if (entry.tunnel_type && *entry.tunnel_type != "ipip") {
      return unsupported(
          fmt::format("ipvsadm option '--tun-type {}' is not supported: lbd tunnels with IPIP only",
                      *entry.tunnel_type));
    }
    // The kernel's check (ip_vs_add_dest/ip_vs_edit_dest: -ERANGE), which
    // ipvsadm reports with strerror.
    if (entry.lower_threshold > entry.upper_threshold) {
      return Failure{255, "Numerical result out of range", /*exits=*/false};
    }
  }
  return std::nullopt;
}

json service_definition(const CommandEntry& entry) {
  json service = entry.service->to_json();
  service["scheduler"] = entry.scheduler;
  json flags = json::array();
  for (const std::string_view name : sched::sched_flag_names(entry.scheduler, entry.sched_flags)) {
    flags.push_back(name);
  }
  service["sched_flags"] = std::move(flags);
  // -E without -p makes the service non-persistent: always say which.
  service["persistent"] = entry.persistent.value_or(0);
  if (entry.persistent) service["netmask"] = entry.netmask.to_string();
  service["one_packet"] = entry.one_packet;
  return service;
}

json real_definition(const CommandEntry& entry) {
  return {{"address", entry.real->addr.to_string()},    {"port", entry.real->port},
          {"forward", sched::to_string(entry.forward)}, {"weight", entry.weight},
          {"upper_threshold", entry.upper_threshold},   {"lower_threshold", entry.lower_threshold}};
}

json edit_op(Command command, const CommandEntry& entry) {
  switch (command) {
    case Command::kAdd:
      return {{"op", "add_service"}, {"service", service_definition(entry)}};
    case Command::kEdit:
      return {{"op", "edit_service"}, {"service", service_definition(entry)}};
    case Command::kDelete:
      return {{"op", "delete_service"}, {"service", entry.service->to_json()}};
    case Command::kFlush:
      return {{"op", "clear"}};
    case Command::kAddServer:
      return {{"op", "add_real"},
              {"service", entry.service->to_json()},
              {"real", real_definition(entry)}};
    case Command::kEditServer:
      return {{"op", "edit_real"},
              {"service", entry.service->to_json()},
              {"real", real_definition(entry)}};
    case Command::kDeleteServer:
      return {{"op", "delete_real"},
              {"service", entry.service->to_json()},
              {"real", {{"address", entry.real->addr.to_string()}, {"port", entry.real->port}}}};
    default:
      return nullptr;
  }
}

}  // namespace

std::variant<Translation, Failure> translate_command_line(std::span<const std::string> argv,
                                                          const Extensions& extensions) {
  EntryReader reader;
  const ValueChecks checks{
      .option = [&](const CommandLine& line) { return reader.take(line.options.back()); },
      .options_done = [&](const CommandLine&) { return reader.finish_options(); },
  };
  auto parsed = parse_command_line(argv, extensions, checks);
  if (auto* failure = std::get_if<Failure>(&parsed)) return std::move(*failure);
  Translation translation{std::get<CommandLine>(std::move(parsed)), std::move(reader.entry()),
                          nullptr};
  if (auto failure = check_command(translation.line, translation.entry)) return *failure;
  translation.op = edit_op(translation.line.command, translation.entry);
  return translation;
}

json zero_args(const CommandEntry& entry) {
  if (!entry.service) return json::object();
  return {{"service", entry.service->to_json()}};
}

Failure edit_failure(Command command, std::string_view code, std::string_view message) {
  const bool real_command = command == Command::kAddServer || command == Command::kEditServer ||
                            command == Command::kDeleteServer;
  std::string text;
  if (code == "service_exists" && command == Command::kAdd) {
    text = "Service already exists";
  } else if (code == "no_scheduler" && (command == Command::kAdd || command == Command::kEdit)) {
    text = "Scheduler or persistence engine not found";
  } else if (code == "no_service") {
    text = real_command ? "Service not defined" : "No such service";
  } else if (code == "real_exists" && command == Command::kAddServer) {
    text = "Destination already exists";
  } else if (code == "no_real" && real_command) {
    text = "No such destination";
  } else {
    // "op N: " counts ops in one request, which means nothing to whoever
    // typed the command line.
    if (message.starts_with("op ")) {
      const std::size_t colon = message.find(": ");
      if (colon != std::string_view::npos &&
          message.substr(3, colon - 3).find_first_not_of("0123456789") == std::string_view::npos) {
        message.remove_prefix(colon + 2);
      }
    }
    text = fmt::format("lbctl: lbd refused the change: {} ({})", message, code);
  }
  return Failure{255, std::move(text), /*exits=*/false};
}

}  // namespace lb::ctl::ipvsadm
