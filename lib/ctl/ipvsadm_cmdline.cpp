#include <fmt/format.h>

#include <array>
#include <utility>

#include <lb/ctl/ipvsadm_cmdline.h>
#include <lb/ctl/ipvsadm_timeout.h>

namespace lb::ctl::ipvsadm {

namespace {

constexpr std::array<std::string_view, 14> kCommandNames = {
    "add-service", "edit-service",  "delete-service", "flush", "list",
    "add-server",  "delete-server", "edit-server",    "set",   "start-daemon",
    "stop-daemon", "restore",       "save",           "zero",
};

constexpr std::array<std::string_view, kOptCount> kOptionNames = {
    "numeric",
    "connection",
    "service-address",
    "scheduler",
    "persistent",
    "netmask",
    "real-server",
    "forwarding-method",
    "weight",
    "u-threshold",
    "l-threshold",
    "mcast-interface",
    "timeout",
    "daemon",
    "stats",
    "rate",
    "thresholds",
    "persistent-conn",
    "nosort",
    "syncid",
    "exact",
    "ops",
    "pe",
    "sched-flags",
    "mcast-group",
    "mcast-port",
    "mcast-ttl",
    "sync-maxlen",
    "tun-info",
    "tun-type",
    "tun-port",
    "tun-nocsum",
    "tun-csum",
    "tun-remcsum",
};

// commands_v_options (ipvsadm.c:270-295): per command, per option:
// '+' compulsory, 'x' illegal, '1' at most one of the '1's, ' ' optional.
//                       -n -c svc -s -p -M -r fwd -w -x -y mc tot dmn st rt thr pc srt sid ex ops
//                       pe b grp port ttl size tinf type tprt nocs csum remc
constexpr std::array<std::string_view, 14> kLegal = {
    "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",  // add-service
    "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",  // edit-service
    "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // delete-service
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // flush
    " 11xxxxxxxxx11       xxxxxxx xxxxx",  // list
    "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",  // add-server
    "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx",  // delete-server
    "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",  // edit-server
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // set
    "xxxxxxxxxxx xxxxxxx xxxx    xxxxxx",  // start-daemon
    "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx",  // stop-daemon
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // restore
    " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // save
    "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // zero
};

using A = ArgKind;
using C = Command;
using O = Opt;

// popt's options_table in parse_options (ipvsadm.c), same order. Help texts
// follow ipvsadm's usage.
const std::array kOptions = {
    OptionSpec{"add-service", 'A', A::kNone, C::kAdd, {}, "", "add virtual service with options"},
    OptionSpec{
        "edit-service", 'E', A::kNone, C::kEdit, {}, "", "edit virtual service with options"},
    OptionSpec{"delete-service", 'D', A::kNone, C::kDelete, {}, "", "delete virtual service"},
    OptionSpec{"clear", 'C', A::kNone, C::kFlush, {}, "", "clear the whole table"},
    OptionSpec{"list", 'L', A::kNone, C::kList, {}, "", "list the table"},
    OptionSpec{"list", 'l', A::kNone, C::kList, {}, "", "list the table"},
    OptionSpec{
        "zero", 'Z', A::kNone, C::kZero, {}, "", "zero counters in a service or all services"},
    OptionSpec{"add-server", 'a', A::kNone, C::kAddServer, {}, "", "add real server with options"},
    OptionSpec{
        "edit-server", 'e', A::kNone, C::kEditServer, {}, "", "edit real server with options"},
    OptionSpec{"delete-server", 'd', A::kNone, C::kDeleteServer, {}, "", "delete real server"},
    OptionSpec{"set", '\0', A::kNone, C::kSetTimeout, {}, "", "set connection timeout values"},
    OptionSpec{"help", 'h', A::kNone, C::kHelp, {}, "", "display this help message"},
    OptionSpec{"version", 'v', A::kNone, C::kVersion, {}, "", "display the version"},
    OptionSpec{"restore", 'R', A::kNone, C::kRestore, {}, "", "restore rules from stdin"},
    OptionSpec{"save", 'S', A::kNone, C::kSave, {}, "", "save rules to stdout"},
    OptionSpec{"start-daemon",
               '\0',
               A::kRequired,
               C::kStartDaemon,
               {},
               "master|backup",
               "start connection sync daemon"},
    OptionSpec{"stop-daemon",
               '\0',
               A::kRequired,
               C::kStopDaemon,
               {},
               "master|backup",
               "stop connection sync daemon"},
    OptionSpec{"tcp-service",
               't',
               A::kRequired,
               {},
               O::kService,
               "service-address",
               "service-address is host[:port]"},
    OptionSpec{"udp-service",
               'u',
               A::kRequired,
               {},
               O::kService,
               "service-address",
               "service-address is host[:port]"},
    OptionSpec{"sctp-service",
               '\0',
               A::kRequired,
               {},
               O::kService,
               "service-address",
               "service-address is host[:port]"},
    OptionSpec{"fwmark-service",
               'f',
               A::kRequired,
               {},
               O::kService,
               "fwmark",
               "fwmark is an integer greater than zero"},
    OptionSpec{"scheduler",
               's',
               A::kRequired,
               {},
               O::kScheduler,
               "scheduler",
               "one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh"},
    OptionSpec{
        "persistent", 'p', A::kOptional, {}, O::kPersistent, "timeout", "persistent service"},
    OptionSpec{
        "netmask", 'M', A::kRequired, {}, O::kNetmask, "netmask", "persistent granularity mask"},
    OptionSpec{"real-server",
               'r',
               A::kRequired,
               {},
               O::kServer,
               "server-address",
               "server-address is host (and port)"},
    OptionSpec{"masquerading", 'm', A::kNone, {}, O::kForward, "", "masquerading (NAT)"},
    OptionSpec{"ipip", 'i', A::kNone, {}, O::kForward, "", "ipip encapsulation (tunneling)"},
    OptionSpec{
        "gatewaying", 'g', A::kNone, {}, O::kForward, "", "gatewaying (direct routing) (default)"},
    OptionSpec{"weight", 'w', A::kRequired, {}, O::kWeight, "weight", "capacity of real server"},
    OptionSpec{"u-threshold",
               'x',
               A::kRequired,
               {},
               O::kUThreshold,
               "uthreshold",
               "upper threshold of connections"},
    OptionSpec{"l-threshold",
               'y',
               A::kRequired,
               {},
               O::kLThreshold,
               "lthreshold",
               "lower threshold of connections"},
    OptionSpec{
        "numeric", 'n', A::kNone, {}, O::kNumeric, "", "numeric output of addresses and ports"},
    OptionSpec{
        "connection", 'c', A::kNone, {}, O::kConnection, "", "output of current IPVS connections"},
    OptionSpec{"mcast-interface",
               '\0',
               A::kRequired,
               {},
               O::kMcastInterface,
               "interface",
               "multicast interface for connection sync"},
    OptionSpec{"syncid",
               '\0',
               A::kRequired,
               {},
               O::kSyncId,
               "sid",
               "syncid for connection sync (default=255)"},
    OptionSpec{
        "timeout", '\0', A::kNone, {}, O::kTimeout, "", "output of timeout (tcp tcpfin udp)"},
    OptionSpec{"daemon", '\0', A::kNone, {}, O::kDaemon, "", "output of daemon information"},
    OptionSpec{"stats", '\0', A::kNone, {}, O::kStats, "", "output of statistics information"},
    OptionSpec{"rate", '\0', A::kNone, {}, O::kRate, "", "output of rate information"},
    OptionSpec{
        "thresholds", '\0', A::kNone, {}, O::kThresholds, "", "output of thresholds information"},
    OptionSpec{"persistent-conn",
               '\0',
               A::kNone,
               {},
               O::kPersistentConn,
               "",
               "output of persistent connection info"},
    OptionSpec{"nosort",
               '\0',
               A::kNone,
               {},
               O::kNoSort,
               "",
               "disable sorting output of service/server entries"},
    OptionSpec{"sort", '\0', A::kNone, {}, {}, "", "does nothing, for backwards compatibility"},
    OptionSpec{"exact", 'X', A::kNone, {}, O::kExact, "", "expand numbers (display exact values)"},
    OptionSpec{"ipv6", '6', A::kNone, {}, {}, "", "fwmark entry uses IPv6"},
    OptionSpec{"ops", 'o', A::kNone, {}, O::kOnePacket, "", "one-packet scheduling"},
    OptionSpec{"pe",
               '\0',
               A::kRequired,
               {},
               O::kPersistenceEngine,
               "engine",
               "alternate persistence engine"},
    OptionSpec{"sched-flags",
               'b',
               A::kRequired,
               {},
               O::kSchedFlags,
               "flags",
               "scheduler flags (comma-separated)"},
    OptionSpec{"mcast-group",
               '\0',
               A::kRequired,
               {},
               O::kMcastGroup,
               "address",
               "IPv4/IPv6 group (default=224.0.0.81)"},
    OptionSpec{
        "mcast-port", '\0', A::kRequired, {}, O::kMcastPort, "port", "UDP port (default=8848)"},
    OptionSpec{
        "mcast-ttl", '\0', A::kRequired, {}, O::kMcastTtl, "ttl", "Multicast TTL (default=1)"},
    OptionSpec{"sync-maxlen",
               '\0',
               A::kRequired,
               {},
               O::kSyncMaxlen,
               "length",
               "Max sync message length (default=1472)"},
    OptionSpec{"tun-info", '\0', A::kNone, {}, O::kTunInfo, "", "output of tunnel information"},
    OptionSpec{"tun-type", '\0', A::kRequired, {}, O::kTunType, "type", "one of ipip|gue|gre"},
    OptionSpec{"tun-port", '\0', A::kRequired, {}, O::kTunPort, "port", "tunnel destination port"},
    OptionSpec{"tun-nocsum",
               '\0',
               A::kNone,
               {},
               O::kTunNocsum,
               "",
               "tunnel encapsulation without checksum"},
    OptionSpec{
        "tun-csum", '\0', A::kNone, {}, O::kTunCsum, "", "tunnel encapsulation with checksum"},
    OptionSpec{"tun-remcsum",
               '\0',
               A::kNone,
               {},
               O::kTunRemcsum,
               "",
               "tunnel encapsulation with remote checksum"},
};

const OptionSpec* find_long(std::string_view name) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.long_name == name) return &spec;
  }
  return nullptr;
}

const OptionSpec* find_short(char name) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.short_name == name) return &spec;
  }
  return nullptr;
}

// poptGetNextOpt as ipvsadm uses it (upstream popt 1.19, no aliases): words
// not starting with '-' (and "-" itself) are set aside as arguments, "--"
// makes every later word an argument, "--name[=value]" is a long option,
// "-abc" a cluster of short options whose rest (after an optional '=') is
// the argument of the first one that takes one. An optional argument is
// taken from the next word only if that word does not start with '-'. A
// "=value" on an option without argument is ignored.
class Popt {
 public:
  enum class Error { kNone, kMissingArgument, kUnknownOption };
  struct Event {
    const OptionSpec* spec = nullptr;  // null: end of options, or an error
    Error error = Error::kNone;
    std::string spelling;
    std::optional<std::string> value;
  };

  explicit Popt(std::span<const std::string> argv) : argv_(argv) {}

  Event next();
  // poptBadOption(POPT_BADOPTION_NOALIAS): the last word consumed.
  const std::string& last_word() const { return argv_[next_ - 1]; }
  std::vector<std::string>& leftovers() { return leftovers_; }

 private:
  std::span<const std::string> argv_;
  std::size_t next_ = 1;
  std::string cluster_;  // short options still to read from the current word
  bool rest_are_arguments_ = false;
  std::vector<std::string> leftovers_;
};

Popt::Event Popt::next() {
  Event event;
  std::optional<std::string> long_value;
  while (event.spec == nullptr) {
    if (cluster_.empty()) {
      if (next_ == argv_.size()) return event;  // end of options
      const std::string& word = argv_[next_++];
      if (rest_are_arguments_ || word.empty() || word[0] != '-' || word == "-") {
        leftovers_.push_back(word);
        continue;
      }
      if (word == "--") {
        rest_are_arguments_ = true;
        continue;
      }
      if (word[1] == '-') {
        std::string_view name = std::string_view(word).substr(2);
        if (const std::size_t eq = name.find('='); eq != std::string_view::npos) {
          long_value = std::string(name.substr(eq + 1));
          name = name.substr(0, eq);
        }
        event.spec = find_long(name);
        event.spelling = "--" + std::string(name);
        if (event.spec == nullptr) {
          event.error = Error::kUnknownOption;
          return event;
        }
        break;
      }
      cluster_ = word.substr(1);  // no single-dash long options in ipvsadm's table
    }
    const char name = cluster_[0];
    cluster_.erase(0, 1);
    if (!cluster_.empty() && cluster_[0] == '=') cluster_.erase(0, 1);
    event.spec = find_short(name);
    event.spelling = std::string{'-', name};
    if (event.spec == nullptr) {
      cluster_.clear();
      event.error = Error::kUnknownOption;
      return event;
    }
  }

  if (event.spec->arg == ArgKind::kNone) return event;
  if (long_value) {
    event.value = std::move(long_value);
  } else if (!cluster_.empty()) {
    event.value = std::exchange(cluster_, std::string());
  } else if (next_ == argv_.size()) {
    if (event.spec->arg == ArgKind::kRequired) {
      event.spec = nullptr;
      event.error = Error::kMissingArgument;
    }
  } else if (event.spec->arg == ArgKind::kRequired || argv_[next_][0] != '-') {
    event.value = argv_[next_++];
  }
  return event;
}

Failure try_help(const std::string& program) {
  return {255, fmt::format("Try `{0} -h' or '{0} --help' for more information.", program)};
}

// generic_opt_check (ipvsadm.c): the first offending option in table order.
std::optional<Failure> check_legality(Command command, uint64_t bits) {
  const auto row = static_cast<std::size_t>(command);
  if (row >= kLegal.size()) return std::nullopt;
  const std::string_view legal = kLegal[row];
  std::optional<std::size_t> first_exclusive;
  for (std::size_t j = 0; j < kOptCount; ++j) {
    const bool given = (bits >> j) & 1;
    const auto opt = option_name(static_cast<Opt>(j));
    if (!given) {
      if (legal[j] == '+') {
        return Failure{2, fmt::format("You need to supply the '{}' option for the '{}' command",
                                      opt, command_name(command))};
      }
      continue;
    }
    if (legal[j] == 'x') {
      return Failure{
          2, fmt::format("Illegal '{}' option with the '{}' command", opt, command_name(command))};
    }
    if (legal[j] == '1') {
      if (!first_exclusive) {
        first_exclusive = j;
        continue;
      }
      return Failure{2, fmt::format("The option '{}' conflicts with the '{}' option in the '{}' "
                                    "command",
                                    opt, option_name(static_cast<Opt>(*first_exclusive)),
                                    command_name(command))};
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view command_name(Command command) {
  const auto i = static_cast<std::size_t>(command);
  if (i < kCommandNames.size()) return kCommandNames[i];
  return command == Command::kHelp ? "help" : "version";
}

std::string_view option_name(Opt opt) {
  return kOptionNames[static_cast<std::size_t>(opt)];
}

std::span<const OptionSpec> option_table() {
  return kOptions;
}

std::variant<CommandLine, Failure> parse_command_line(std::span<const std::string> argv,
                                                      const Extensions& extensions,
                                                      const ValueChecks& checks) {
  const std::string program = argv.empty() ? std::string("ipvsadm") : argv[0];
  if (argv.empty()) return try_help(program);
  Popt popt(argv);

  // The first option must be the command.
  Popt::Event first = popt.next();
  if (first.spec == nullptr || !first.spec->command) return try_help(program);
  CommandLine line;
  line.command = *first.spec->command;
  line.command_spelling = first.spelling;
  if (line.command == Command::kHelp || line.command == Command::kVersion) return line;
  if (line.command == Command::kStartDaemon || line.command == Command::kStopDaemon) {
    const std::string& state = first.value.value_or("");
    if (state != "master" && state != "backup") {
      return Failure{2, line.command == Command::kStartDaemon
                            ? "illegal start-daemon parameter specified"
                            : "illegal start_daemon specified"};
    }
    line.values.push_back(state);
  }

  bool have_fwmark = false;
  Popt::Event event;
  while ((event = popt.next()).spec != nullptr) {
    const OptionSpec& spec = *event.spec;
    if (spec.command) {
      return Failure{2, fmt::format("invalid option `{}'", popt.last_word())};
    }
    if (spec.short_name == '6') {
      // ipvsadm's format already ends in "\n", and fail() adds another.
      // Recorded (it sets no legality bit) so that the command can refuse
      // an IPv6 firewall-mark service instead of making an IPv4 one.
      if (!have_fwmark) return Failure{2, "-6 used before -f\n"};
    }
    if (spec.sets) {
      if (line.has(*spec.sets)) {
        return Failure{2, fmt::format("multiple '{}' options specified", option_name(*spec.sets))};
      }
      line.option_bits |= uint64_t{1} << static_cast<unsigned>(*spec.sets);
    }
    if (spec.short_name == 'f') have_fwmark = true;
    line.options.push_back({event.spec, std::move(event.spelling), std::move(event.value)});
    if (checks.option) {
      if (auto failure = checks.option(line)) return *failure;
    }
  }
  if (event.error != Popt::Error::kNone) {
    return Failure{255,
                   fmt::format("{}: {}", popt.last_word(),
                               event.error == Popt::Error::kMissingArgument ? "missing argument"
                                                                            : "unknown option"),
                   /*exits=*/false};
  }

  std::vector<std::string>& arguments = popt.leftovers();
  std::size_t used = 0;
  if (line.command == Command::kSetTimeout) {
    if (arguments.size() < 3) return Failure{2, "--set option requires 3 timeout values"};
    line.values.assign(arguments.begin(), arguments.begin() + 3);
    used = 3;
    // parse_timeout runs here in ipvsadm, before the check for extra words.
    for (const std::string& value : line.values) {
      if (!parse_timeout(value)) {
        return Failure{2, fmt::format("invalid timeout value `{}' specified", value)};
      }
    }
  }
  if (arguments.size() > used) {
    return Failure{2, fmt::format("unexpected argument {}", arguments[used])};
  }
  if (checks.options_done) {
    if (auto failure = checks.options_done(line)) return *failure;
  }

  uint64_t checked_bits = line.option_bits;
  if (extensions.connections_of_service && line.command == Command::kList &&
      line.has(Opt::kConnection) && !line.has(Opt::kTimeout) && !line.has(Opt::kDaemon)) {
    // The service narrows -c instead of competing with it. With --timeout or
    // --daemon as well the line stays wrong, and says so in ipvsadm's words.
    checked_bits &= ~(uint64_t{1} << static_cast<unsigned>(Opt::kService));
  }
  if (auto failure = check_legality(line.command, checked_bits)) return *failure;
  if (line.command == Command::kList) {
    const bool source =
        line.has(Opt::kConnection) || line.has(Opt::kTimeout) || line.has(Opt::kDaemon);
    const bool stats_format =
        line.has(Opt::kStats) || line.has(Opt::kRate) || line.has(Opt::kThresholds);
    const bool timeout_or_daemon = line.has(Opt::kTimeout) || line.has(Opt::kDaemon);
    if ((source && stats_format) || (timeout_or_daemon && line.has(Opt::kPersistentConn))) {
      return Failure{2, "options conflicts in the list command"};
    }
  }
  return line;
}

}  // namespace lb::ctl::ipvsadm
