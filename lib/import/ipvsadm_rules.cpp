// ipvsadm rule files (`ipvsadm -S -n` / ipvsadm-save output,
// /etc/sysconfig/ipvsadm) -> lbd services.
//
// The file means what `grep -v '^#' FILE | ipvsadm -R` makes of it, as the
// init scripts load it: every line is an ipvsadm command line without the
// program name. So the translation is the ipvsadm dialect's own
// (lb/ctl/ipvsadm_rules.h, ipvsadm_edit.h: the same checks, defaults and
// messages as `lbctl -R`), and each line's edit operation is applied in order
// to an empty configuration with lb::config::apply_edits, as lbd applies
// them. What ipvsadm would refuse, and what lbd cannot do (IPv6, --pe, GUE and
// GRE tunnels), is an error at its line. Lines that change no configuration
// (-L, -Z, -S, sync daemons) are warnings; --set's timeouts carry over.
//
// Unlike ipvsadm, host names are not looked up: the result would depend on
// the resolver at import time. Port names are (/etc/services, as ipvsadm).
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include <lb/config/edit.h>
#include <lb/ctl/ipvsadm_edit.h>
#include <lb/ctl/ipvsadm_rules.h>
#include <lb/ctl/ipvsadm_service.h>
#include <lb/ctl/ipvsadm_timeout.h>
#include <lb/import/formats.h>

#include "values.h"

namespace lb::import {

namespace {

using ctl::ipvsadm::Command;
using ctl::ipvsadm::Failure;
using ctl::ipvsadm::Opt;
using ctl::ipvsadm::Translation;
using detail::Report;

constexpr std::string_view kProgram = "ipvsadm";

// The line as ipvsadm read it: its words, the program name and every
// "ipvsadm" word left out.
std::string command_text(const ctl::ipvsadm::RuleLine& line) {
  std::string out;
  for (size_t i = 1; i < line.argv.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += line.argv[i];
  }
  return out;
}

bool all_digits(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

// The host part of a -t/-u/-r value when ipvsadm would look it up as a name
// (parse_service's steps, as ctl::ipvsadm::parse_host_port takes them);
// nullopt for addresses and for values ipvsadm refuses before any lookup.
std::optional<std::string> host_name_in(const std::string& value) {
  if (all_digits(value)) return std::nullopt;
  std::string host = value;
  if (host[0] == '[') {
    const size_t close = host.find(']', 1);
    if (close == std::string::npos || close + 1 >= host.size() || host[close + 1] != ':') {
      return std::nullopt;
    }
    host = host.substr(1, close - 1);
  }
  in6_addr in6{};
  if (::inet_pton(AF_INET6, host.c_str(), &in6) > 0) return std::nullopt;
  if (const size_t colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  in_addr in{};
  if (::inet_aton(host.c_str(), &in) != 0) return std::nullopt;
  return host;
}

// A name where ipvsadm would call gethostbyname: -t/-u and -r hosts, and a
// -M mask that is not an address.
std::optional<Failure> host_name_check(const ctl::ipvsadm::CommandLine& line) {
  const ctl::ipvsadm::ParsedOption& option = line.options.back();
  if (!option.spec->sets || !option.value) return std::nullopt;
  const Opt opt = *option.spec->sets;
  const std::string& value = *option.value;
  std::optional<std::string> name;
  if ((opt == Opt::kService && option.spec->long_name != "fwmark-service") || opt == Opt::kServer) {
    name = host_name_in(value);
  } else if (opt == Opt::kNetmask) {
    in_addr in{};
    if (::inet_aton(value.c_str(), &in) == 0) name = value;
  }
  if (!name) return std::nullopt;
  return Failure{2, fmt::format("{} {}: \"{}\" is a host name; ipvsadm -R would look it up, "
                                "lbctl import does not: write the address (ipvsadm -S -n saves "
                                "addresses)",
                                option.spelling, value, *name)};
}

// ipvsadm's message for a line, as an import diagnostic: lbctl's own
// messages lose their "lbctl: " prefix, and "Try ..." says which word is not
// a command.
std::string failure_text(const ctl::ipvsadm::RuleLine& line, const Failure& failure) {
  std::string_view message = failure.message;
  while (message.ends_with('\n'))
    message.remove_suffix(1);
  if (message.starts_with("lbctl: ")) message.remove_prefix(7);
  if (message.starts_with("Try `")) {
    return fmt::format(
        "\"{}\" is not an ipvsadm command (-A, -E, -D, -C, -a, -e, -d, --set): "
        "ipvsadm -R stops here with \"{}\"{}",
        line.argv[1], message,
        line.argv[1].starts_with('#')
            ? " (only lines starting with '#' are comments, as the init scripts "
              "strip them with grep -v '^#')"
            : "");
  }
  return std::string(message);
}

// An edit the configuration refused, in ipvsadm's words where the kernel has
// them ("Service already exists") with lbd's naming the service or server.
std::string refusal_text(Command command, const config::EditError& error) {
  const Failure failure = ctl::ipvsadm::edit_failure(command, error.code, error.message);
  if (failure.message.starts_with("lbctl: ")) return error.message;
  return fmt::format("{} ({})", failure.message, error.message);
}

// Where each service of the result, and each of its real servers, came from.
struct Origins {
  struct Service {
    int line = 0;  // its -A
    std::vector<std::string> comments;
  };
  std::map<std::string, Service> services;  // by config::service_label
  std::map<std::string, int> reals;         // "label real addr:port" -> its last -a/-e

  static std::string real_key(const std::string& service, packet::Ipv4Addr addr, uint16_t port) {
    return fmt::format("{} real {}:{}", service, addr.to_string(), port);
  }
};

sched::ServiceSpec selector_spec(const ctl::ServiceSelector& selector) {
  sched::ServiceSpec spec;
  spec.fwmark = selector.fwmark;
  spec.protocol = selector.protocol == "udp" ? sched::Protocol::kUdp : sched::Protocol::kTcp;
  spec.vip = selector.vip;
  spec.port = selector.port;
  return spec;
}

class RulesImport {
 public:
  explicit RulesImport(Imported& out) : out_(out), report_(out) {}

  void line(const ctl::ipvsadm::RuleLine& line) {
    const int number = static_cast<int>(line.number);
    // Names first, looking none up. The translation reads the options as
    // ipvsadm does, never further than this parse, and so meets no name.
    std::optional<Failure> name;
    ctl::ipvsadm::ValueChecks find_names;
    find_names.option = [&](const ctl::ipvsadm::CommandLine& parsed) {
      name = host_name_check(parsed);
      return name;
    };
    ctl::ipvsadm::parse_command_line(line.argv, {}, find_names);
    if (name) {
      report_.error(number, name->message);
      return;
    }
    const auto translated = ctl::ipvsadm::translate_command_line(line.argv);
    if (const auto* failure = std::get_if<Failure>(&translated)) {
      report_.error(number, failure_text(line, *failure));
      return;
    }
    const Translation& translation = std::get<Translation>(translated);
    const Command command = translation.line.command;
    const std::string& spelling = translation.line.command_spelling;
    switch (command) {
      case Command::kAdd:
      case Command::kEdit:
      case Command::kDelete:
      case Command::kFlush:
      case Command::kAddServer:
      case Command::kEditServer:
      case Command::kDeleteServer:
        return edit(line, translation);
      case Command::kSetTimeout:
        return set_timeouts(translation.line.values);
      case Command::kList:
      case Command::kSave:
        report_.warn(number, fmt::format("{}: a listing, which changes no configuration; ignored",
                                         spelling));
        return;
      case Command::kZero:
        report_.warn(number, fmt::format("{}: zeroes counters, which are not configuration; "
                                         "ignored (lbctl -Z does it on a running lbd)",
                                         spelling));
        return;
      case Command::kStartDaemon:
        report_.warn(number, fmt::format("{}: lbd has no connection sync daemon; not carried over",
                                         spelling));
        return;
      case Command::kStopDaemon:
        report_.warn(number, fmt::format("{}: lbd has no connection sync daemon to stop; ignored",
                                         spelling));
        return;
      case Command::kHelp:
      case Command::kVersion:
        report_.warn(number,
                     fmt::format("{}: prints ipvsadm's {}, which changes no configuration; ignored",
                                 spelling, command == Command::kHelp ? "help" : "version"));
        return;
      case Command::kRestore:
        // restore_table refuses to nest.
        report_.error(number, fmt::format("{} inside a rule file: ipvsadm -R stops here with "
                                          "\"Try `ipvsadm -h' or 'ipvsadm --help' for more "
                                          "information.\"",
                                          spelling));
        return;
    }
  }

  void finish() {
    std::vector<std::string> hints;
    std::vector<uint32_t> marks;
    for (sched::ServiceSpec& service : config_.services) {
      const std::string label = config::service_label(service);
      const auto origin = origins_.services.find(label);
      const int line = origin == origins_.services.end() ? 0 : origin->second.line;
      if (service.fwmark != 0) {
        marks.push_back(service.fwmark);
        report_.warn(line, fmt::format("-f {}: a firewall-mark service; lbd classifies packets "
                                       "itself and the iptables rule that marked them is not in "
                                       "the rule file: add a firewall_marks rule for mark {}",
                                       service.fwmark, service.fwmark));
        drop_kept_ports(service, label);
      } else {
        const std::string hint = fmt::format("VIP {}", service.vip.to_string());
        if (std::none_of(hints.begin(), hints.end(),
                         [&](const std::string& h) { return h.starts_with(hint + " "); })) {
          hints.push_back(fmt::format("{} (line {})", hint, line));
        }
      }
      out_.service_comments.push_back(origin == origins_.services.end() ? std::vector<std::string>{}
                                                                        : origin->second.comments);
    }
    out_.services = std::move(config_.services);
    if (timeouts_set_) out_.timeouts = timeouts_;
    detail::finish_header(out_, hints, marks, "ipvsadm rule");
    detail::sort_by_line(out_);
  }

 private:
  void edit(const ctl::ipvsadm::RuleLine& line, const Translation& translation) {
    const int number = static_cast<int>(line.number);
    const Command command = translation.line.command;
    const ctl::ipvsadm::CommandEntry& entry = translation.entry;
    const size_t services_before = config_.services.size();
    if (auto error = config::apply_edits(config_, nlohmann::json::array({translation.op}))) {
      report_.error(number, refusal_text(command, *error));
      return;
    }
    if (command == Command::kFlush) {
      if (services_before > 0) {
        report_.warn(number, fmt::format("{}: removes the {} service{} defined above it; only "
                                         "the services after it are in the YAML",
                                         translation.line.command_spelling, services_before,
                                         services_before == 1 ? "" : "s"));
      }
      origins_.services.clear();
      return;
    }
    const std::string label = config::service_label(selector_spec(*entry.service));
    const std::string comment = fmt::format("ipvsadm {} (line {})", command_text(line), number);
    switch (command) {
      case Command::kAdd:
        origins_.services[label] = Origins::Service{number, {comment}};
        return;
      case Command::kEdit:
        origins_.services[label].comments.push_back(comment);
        return;
      case Command::kDelete:
        origins_.services.erase(label);
        return;
      case Command::kAddServer:
      case Command::kEditServer:
        origins_.reals[Origins::real_key(label, entry.real->addr, entry.real->port)] = number;
        warn_forced_port(number, translation);
        return;
      default:
        return;
    }
  }

  // ipvsadm gives a -g or -i server of an address service the service's
  // port, whatever -r said: the YAML has what the kernel table had.
  void warn_forced_port(int number, const Translation& translation) {
    const ctl::ipvsadm::CommandEntry& entry = translation.entry;
    if (entry.service->fwmark != 0 || entry.forward == sched::ForwardMethod::kNat) return;
    for (const auto& option : translation.line.options) {
      if (option.spec->sets != Opt::kServer || !option.value) continue;
      const auto given = ctl::ipvsadm::parse_host_port(*option.value, entry.service->protocol);
      if (given && given->port && *given->port != entry.real->port) {
        report_.warn(number,
                     fmt::format("-r {}: with {} forwarding ipvsadm gives the real server the "
                                 "service's port {} (only -m translates ports); port {} is not "
                                 "carried over",
                                 *option.value, sched::to_string(entry.forward), entry.real->port,
                                 *given->port));
      }
    }
  }

  // A firewall-mark service's -g and -i servers receive each packet's own
  // port: ipvsadm stores a port given with -r, which nothing uses, and lbd
  // takes none (0).
  void drop_kept_ports(sched::ServiceSpec& service, const std::string& label) {
    std::vector<sched::RealServerSpec> reals = std::move(service.real_servers);
    service.real_servers.clear();
    for (sched::RealServerSpec& real : reals) {
      const auto found = origins_.reals.find(Origins::real_key(label, real.addr, real.port));
      const int line = found == origins_.reals.end() ? 0 : found->second;
      if (real.forward != sched::ForwardMethod::kNat && real.port != 0) {
        report_.warn(line, fmt::format("-r {}:{}: a {} real server of a firewall-mark service "
                                       "receives each packet's own port, whatever port ipvsadm "
                                       "stored; port {} is not carried over",
                                       real.addr.to_string(), real.port,
                                       sched::to_string(real.forward), real.port));
        real.port = 0;
      }
      detail::add_real_server(report_, line, service, real);
    }
  }

  void set_timeouts(const std::vector<std::string>& values) {
    // 0 leaves a timeout as it is; the rest replace lbd's defaults.
    for (size_t i = 0; i < values.size() && i < ctl::ipvsadm::kSetTimeoutNames.size(); ++i) {
      const auto seconds = ctl::ipvsadm::parse_timeout(values[i]);
      if (!seconds || *seconds == 0) continue;
      const auto name = std::find(conn::kTimeoutNames.begin(), conn::kTimeoutNames.end(),
                                  ctl::ipvsadm::kSetTimeoutNames[i]);
      timeouts_.by_index(static_cast<size_t>(name - conn::kTimeoutNames.begin())) = *seconds * 1000;
      timeouts_set_ = true;
    }
  }

  Imported& out_;
  Report report_;
  config::Config config_;
  Origins origins_;
  conn::Timeouts timeouts_;
  bool timeouts_set_ = false;
};

size_t comment_lines(std::string_view text) {
  size_t count = text.starts_with('#') ? 1 : 0;
  for (size_t at = text.find("\n#"); at != std::string_view::npos; at = text.find("\n#", at + 1))
    ++count;
  return count;
}

ctl::ipvsadm::RulesOptions init_script_options() {
  ctl::ipvsadm::RulesOptions options;
  options.program = std::string(kProgram);
  options.skip_comment_lines = true;
  return options;
}

}  // namespace

Imported import_ipvsadm_rules(std::string_view text) {
  Imported out;
  RulesImport rules(out);
  for (const auto& line : ctl::ipvsadm::read_rules(text, init_script_options()))
    rules.line(line);
  rules.finish();
  if (const size_t skipped = comment_lines(text); skipped > 0) {
    out.header.insert(out.header.begin(),
                      fmt::format("{} line{} starting with '#' skipped, as the init scripts skip "
                                  "them (grep -v '^#') before ipvsadm -R.",
                                  skipped, skipped == 1 ? "" : "s"));
  }
  return out;
}

bool looks_like_ipvsadm_rules(std::string_view text) {
  bool adds = false;
  for (const auto& line : ctl::ipvsadm::read_rules(text, init_script_options())) {
    const std::string& first = line.argv[1];
    if (!first.starts_with('-')) return false;
    // -A, -a, also combined with the next option (-At), or the long names.
    if (first == "--add-service" || first == "--add-server" ||
        (first.size() >= 2 && (first[1] == 'A' || first[1] == 'a'))) {
      adds = true;
    }
  }
  return adds;
}

}  // namespace lb::import
