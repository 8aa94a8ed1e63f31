// ipvsadm 1.31's command-line syntax: its popt option table, its rules for
// which options go with which command, and its exact error texts and exit
// statuses (reference: ipvsadm-formats.md §1 and §8; ipvsadm.c
// parse_options, generic_opt_check, process_options; popt's
// poptGetNextOpt).
//
// This module only reads the syntax; what each command does is up to the
// caller (lbctl's ipvsadm dialect). Option *values* (addresses, weights...)
// are kept as text for the command that uses them to validate; --set's three
// timeouts are checked here, where ipvsadm checks them (before it looks for
// extra words).
//
// The option table is the single source for parsing, for help and for shell
// completion.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lb::ctl::ipvsadm {

// In ipvsadm's CMD_* order (the rows of its option-legality table), then the
// two commands that act at once.
enum class Command : uint8_t {
  kAdd,
  kEdit,
  kDelete,
  kFlush,
  kList,
  kAddServer,
  kDeleteServer,
  kEditServer,
  kSetTimeout,
  kStartDaemon,
  kStopDaemon,
  kRestore,
  kSave,
  kZero,
  kHelp,
  kVersion,
};

// ipvsadm's OPTC_* order (the columns of the legality table).
enum class Opt : uint8_t {
  kNumeric,
  kConnection,
  kService,
  kScheduler,
  kPersistent,
  kNetmask,
  kServer,
  kForward,
  kWeight,
  kUThreshold,
  kLThreshold,
  kMcastInterface,
  kTimeout,
  kDaemon,
  kStats,
  kRate,
  kThresholds,
  kPersistentConn,
  kNoSort,
  kSyncId,
  kExact,
  kOnePacket,
  kPersistenceEngine,
  kSchedFlags,
  kMcastGroup,
  kMcastPort,
  kMcastTtl,
  kSyncMaxlen,
  kTunInfo,
  kTunType,
  kTunPort,
  kTunNocsum,
  kTunCsum,
  kTunRemcsum,
};
inline constexpr std::size_t kOptCount = 34;

// The names ipvsadm uses in its messages: "list", "add-service", ...
std::string_view command_name(Command command);
// "numeric", "service-address", ...
std::string_view option_name(Opt opt);

enum class ArgKind : uint8_t { kNone, kRequired, kOptional };

struct OptionSpec {
  std::string_view long_name;  // without "--"
  char short_name = '\0';      // '\0': long form only
  ArgKind arg = ArgKind::kNone;
  std::optional<Command> command;  // set for the options that name a command
  std::optional<Opt> sets;         // the option it records after the command
  std::string_view arg_name;       // "service-address", for help and completion
  std::string_view help;
};

// popt's table, in ipvsadm's order (the first match wins, as in popt).
std::span<const OptionSpec> option_table();

struct ParsedOption {
  const OptionSpec* spec = nullptr;
  std::string spelling;              // as given: "-n", "--numeric"
  std::optional<std::string> value;  // the option's argument, unvalidated
};

struct CommandLine {
  Command command = Command::kList;
  std::string command_spelling;       // "-L", "--list", "-h"
  std::vector<ParsedOption> options;  // after the command, in order
  std::vector<std::string> values;    // --set's three timeouts (valid), or the daemon state
  uint64_t option_bits = 0;           // 1 << Opt for every recorded option

  bool has(Opt opt) const noexcept { return (option_bits >> static_cast<unsigned>(opt)) & 1; }
};

// What ipvsadm prints to stderr before exiting with `status` (2 for its own
// fail() checks, 255 for popt errors and "Try ..."). `message` excludes the
// final newline ipvsadm adds.
struct Failure {
  int status = 2;
  std::string message;
  // false for popt's errors, after which ipvsadm's process_options returns
  // -1 instead of exiting: `-R` then goes on with the next line. fail() and
  // "Try ..." exit, ending a restore.
  bool exits = true;
};

// lbd's additions to ipvsadm's syntax. Each one only gives a meaning to a
// command line that ipvsadm 1.31 rejects, so every command line ipvsadm
// accepts still means the same; all off = ipvsadm exactly.
struct Extensions {
  // `-L -c -t|-u|-f SERVICE`: the connections of that service. ipvsadm's
  // legality table makes -c and a service exclusive ("The option
  // 'service-address' conflicts with the 'connection' option ...").
  bool connections_of_service = false;
};

// ipvsadm reads each option's value as popt hands it over, and finishes
// parse_options with the scheduler flags, all before it checks which options
// go with the command: `-D -t VIP:80 -w x` says "illegal weight specified".
// A caller that validates values plugs in here to keep that order.
struct ValueChecks {
  // After each option after the command is recorded (line.options.back()).
  std::function<std::optional<Failure>(const CommandLine& line)> option;
  // After the last option, the --set values and the "unexpected argument"
  // check; before the legality table.
  std::function<std::optional<Failure>(const CommandLine& line)> options_done;
};

// argv[0] is the program name (used in "Try `%s -h' ..."). A command line
// with no arguments at all is ipvsadm's `-L` without `-n`: callers handle that
// before calling (ipvsadm does too). -h and -v act at once in ipvsadm, so the
// rest of their command line is not parsed.
std::variant<CommandLine, Failure> parse_command_line(std::span<const std::string> argv,
                                                      const Extensions& extensions = {},
                                                      const ValueChecks& checks = {});

}  // namespace lb::ctl::ipvsadm
