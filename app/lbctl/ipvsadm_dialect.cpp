#include "ipvsadm_dialect.h"

#include <iostream>
#include <variant>

#include <fmt/format.h>

#include <lb/ctl/ipvsadm_cmdline.h>
#include <lb/ctl/ipvsadm_list.h>

namespace lb::lbctl {

namespace {

using ctl::ipvsadm::CommandLine;
using ctl::ipvsadm::Failure;
using ctl::ipvsadm::ListFormat;
using ctl::ipvsadm::Opt;

// What the `-L` listing honours today. --exact only changes the
// --stats/--rate numbers, so the formats served are already exact; --sort is
// a no-op in ipvsadm itself.
bool supported_list_option(const ctl::ipvsadm::ParsedOption& option) {
  if (!option.spec->sets) return option.spec->long_name == "sort";
  switch (*option.spec->sets) {
    case Opt::kNumeric:
    case Opt::kExact:
    case Opt::kThresholds:
    case Opt::kPersistentConn:
      return true;
    default:
      return false;
  }
}

// print_title's precedence: --thresholds before --persistent-conn.
ListFormat list_format(const CommandLine& line) {
  if (line.has(Opt::kThresholds)) return ListFormat::kThresholds;
  if (line.has(Opt::kPersistentConn)) return ListFormat::kPersistentConn;
  return ListFormat::kPlain;
}

int list(const Globals& globals, bool numeric, ListFormat format = ListFormat::kPlain) {
  const auto result = call_lbd(globals, "services");
  if (!result) return kExitFailed;
  if (globals.json) {
    print_json(*result);
    return kExitOk;
  }
  try {
    std::cout << ctl::format_ipvsadm_list(*result, numeric, format);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("lbctl: {}\n", e.what());
    return kExitFailed;
  }
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailed;
}

}  // namespace

int run_ipvsadm_dialect(const std::vector<std::string>& argv, const Globals& globals) {
  // `ipvsadm` alone lists with names resolved (ipvsadm.c main).
  if (argv.size() <= 1) return list(globals, /*numeric=*/false);

  const auto parsed = ctl::ipvsadm::parse_command_line(argv);
  if (const auto* failure = std::get_if<Failure>(&parsed)) {
    std::cerr << failure->message << '\n';
    return failure->status;
  }
  const auto& line = std::get<CommandLine>(parsed);
  if (line.command != ctl::ipvsadm::Command::kList) {
    std::cerr << fmt::format("lbctl: ipvsadm command '{}' is not supported yet\n",
                             line.command_spelling);
    return kExitUsage;
  }
  for (const auto& option : line.options) {
    if (!supported_list_option(option)) {
      std::cerr << fmt::format("lbctl: ipvsadm option '{}' is not supported yet\n",
                               option.spelling);
      return kExitUsage;
    }
  }
  return list(globals, line.has(Opt::kNumeric), list_format(line));
}

}  // namespace lb::lbctl
