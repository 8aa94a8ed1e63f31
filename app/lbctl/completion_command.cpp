#include "completion_command.h"

#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <lb/ctl/connections.h>

#include "completion_script.h"

namespace lb::lbctl {

namespace {

using nlohmann::json;

// The script asks while the operator waits at a prompt: a wedged lbd must
// not hold the shell for lbctl's usual timeout.
constexpr std::chrono::milliseconds kQueryTimeout{2000};

std::string service_word(const json& service) {
  if (service.contains("fwmark"))
    return fmt::format("fwmark:{}", service.at("fwmark").get<uint64_t>());
  return fmt::format("{}:{}:{}", service.at("protocol").get<std::string>(),
                     service.at("vip").get<std::string>(), service.at("port").get<uint64_t>());
}

// lbd's `config` rather than `services`: disabled services are there too,
// and `lbctl enable` needs them.
std::optional<json> running_services(const Globals& globals) {
  Globals quick = globals;
  quick.timeout = kQueryTimeout;
  auto result = call_lbd(quick, "config");
  if (!result) return std::nullopt;
  return result->at("services");
}

int print_services(const Globals& globals) {
  const auto services = running_services(globals);
  if (!services) return kExitFailed;
  for (const json& service : *services)
    std::cout << service_word(service) << '\n';
  return kExitOk;
}

int print_reals(const Globals& globals, const std::string& text) {
  const auto selector = ctl::parse_service_selector(text);
  if (!selector) {
    throw UsageError(
        fmt::format("'{}' is not a service: expected tcp:VIP:PORT, udp:VIP:PORT or "
                    "fwmark:N (e.g. tcp:198.18.1.100:80, fwmark:7)",
                    text));
  }
  const auto services = running_services(globals);
  if (!services) return kExitFailed;
  const std::string wanted = service_word(selector->to_json());
  for (const json& service : *services) {
    if (service_word(service) != wanted) continue;
    for (const json& real : service.at("real_servers")) {
      std::cout << fmt::format("{}:{}\n", real.at("address").get<std::string>(),
                               real.at("port").get<uint64_t>());
    }
    return kExitOk;
  }
  std::cerr << fmt::format("lbctl: completion: lbd has no service {}\n", text);
  return kExitFailed;
}

}  // namespace

void declare_completion(CLI::App& sub, Arguments& args) {
  sub.require_subcommand(1);
  sub.add_subcommand("bash", "Print the bash completion script: source <(lbctl completion bash)")
      ->callback([&args] { args.action = "bash"; });
  sub.add_subcommand("services", "Print the running lbd's services, one a line (tcp:VIP:PORT ...)")
      ->callback([&args] { args.action = "services"; });
  CLI::App* reals = sub.add_subcommand(
      "reals", "Print a service's real servers on the running lbd, one a line (ADDRESS:PORT)");
  reals->callback([&args] { args.action = "reals"; });
  reals->add_option("service", args.words, "The service: tcp:VIP:PORT, udp:VIP:PORT or fwmark:N")
      ->required()
      ->expected(1)
      ->type_name("SERVICE");
}

int run_completion(const Globals& globals, const Arguments& args) {
  try {
    if (args.action == "services") return print_services(globals);
    if (args.action == "reals") return print_reals(globals, args.words.at(0));
  } catch (const json::exception& e) {
    std::cerr << fmt::format("lbctl: completion: cannot read lbd's 'config' result: {}\n",
                             e.what());
    return kExitFailed;
  }
  // The tree is built afresh, exactly as lbctl parses with it.
  CLI::App app;
  Globals unused_globals;
  Arguments unused_args;
  declare_own_dialect(app, unused_globals, unused_args);
  try {
    std::cout << bash_completion_script(app);
  } catch (const CompletionTableError& e) {
    std::cerr << fmt::format("lbctl: completion: {}\n", e.what());
    return kExitFailed;
  }
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailed;
}

}  // namespace lb::lbctl
