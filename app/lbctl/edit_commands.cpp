#include "edit_commands.h"

#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <lb/ctl/connections.h>

#include "check_options.h"

namespace lb::lbctl {

namespace {

using nlohmann::json;

constexpr const char* kServiceHelp =
    "The virtual service: tcp:VIP:PORT, udp:VIP:PORT or fwmark:N (e.g. tcp:198.18.1.100:80)";
constexpr const char* kRealHelp =
    "The real server: ADDRESS or ADDRESS:PORT (the service's port when left out)";

json service_selector(const std::string& text) {
  const auto service = ctl::parse_service_selector(text);
  if (!service) {
    throw UsageError(
        fmt::format("'{}' is not a service: expected tcp:VIP:PORT, udp:VIP:PORT or "
                    "fwmark:N (e.g. tcp:198.18.1.100:80, fwmark:7)",
                    text));
  }
  return service->to_json();
}

// ADDRESS[:PORT] as the `real` object's address (and port).
json real_selector(const std::string& text) {
  const std::size_t colon = text.find(':');
  const std::string address = text.substr(0, colon);
  if (!packet::Ipv4Addr::parse(address)) {
    throw UsageError(
        fmt::format("'{}' is not a real server: expected ADDRESS or ADDRESS:PORT "
                    "(e.g. 198.18.1.11:8080)",
                    text));
  }
  json real = {{"address", address}};
  if (colon != std::string::npos) {
    const std::string port = text.substr(colon + 1);
    unsigned value = 0;
    const bool digits = !port.empty() && port.size() <= 5 &&
                        port.find_first_not_of("0123456789") == std::string::npos;
    if (digits) value = static_cast<unsigned>(std::stoul(port));
    if (!digits || value > 65535) {
      throw UsageError(fmt::format("'{}': the port must be 0..65535", text));
    }
    real["port"] = value;
  }
  return real;
}

std::string describe_service(const json& selector) {
  if (selector.contains("fwmark"))
    return fmt::format("fwmark {}", selector["fwmark"].get<uint64_t>());
  return fmt::format("{} {}:{}", selector["protocol"].get<std::string>(),
                     selector["vip"].get<std::string>(), selector["port"].get<uint64_t>());
}

std::string describe_real(const json& real) {
  return real.contains("port") ? fmt::format("{}:{}", real["address"].get<std::string>(),
                                             real["port"].get<uint64_t>())
                               : real["address"].get<std::string>();
}

// Sends one edit operation; prints `done` (or lbd's result with --json).
int send_edit(const Globals& globals, const json& op, const std::string& done) {
  const auto result = call_lbd(globals, "edit", {{"ops", json::array({op})}});
  if (!result) return kExitFailed;
  if (globals.json) {
    print_json(*result);
  } else {
    std::cout << done << '\n';
  }
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailed;
}

// --- options shared by add and edit ----------------------------------------------

void service_options(CLI::App& cmd, Arguments& args, bool editing) {
  json& f = args.fields;
  cmd.add_option_function<std::string>(
         "-s,--scheduler", [&f](const std::string& v) { f["scheduler"] = v; },
         "Scheduler: rr, wrr, lc, wlc (default), lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos")
      ->type_name("SCHEDULER");
  cmd.add_option_function<std::string>(
         "-b,--sched-flags",
         [&f](const std::string& v) {
           json flags = json::array();
           for (std::size_t start = 0; start <= v.size();) {
             const std::size_t comma = std::min(v.find(',', start), v.size());
             flags.push_back(v.substr(start, comma - start));
             start = comma + 1;
           }
           f["sched_flags"] = flags;
         },
         "Scheduler flags, comma-separated (sh-port, sh-fallback, mh-port, mh-fallback, flag-N)")
      ->type_name("FLAGS");
  cmd.add_option_function<uint32_t>(
         "-p,--persistent", [&f](uint32_t v) { f["persistent"] = v; },
         editing ? "Persistence timeout in seconds; 0 makes the service not persistent"
                 : "Persistence timeout in seconds (not persistent when left out)")
      ->type_name("SECONDS");
  cmd.add_option_function<std::string>(
         "-M,--netmask", [&f](const std::string& v) { f["netmask"] = v; },
         "Persistence netmask: clients agreeing under it share a real server")
      ->type_name("MASK");
  cmd.add_option_function<bool>(
         "--one-packet", [&f](bool v) { f["one_packet"] = v; },
         "One-packet scheduling for UDP (yes/no)")
      ->type_name("yes|no");
  cmd.add_option_function<bool>(
         "--quiesce-server", [&f](bool v) { f["quiesce_server"] = v; },
         "Least-connection counts restart when a real server joins (yes/no)")
      ->type_name("yes|no");
}

void real_options(CLI::App& cmd, Arguments& args) {
  json& f = args.fields;
  cmd.add_option_function<uint32_t>(
         "-w,--weight", [&f](uint32_t v) { f["weight"] = v; }, "Weight 0..65535 (default 1)")
      ->type_name("N");
  cmd.add_option_function<std::string>(
         "-f,--forward", [&f](const std::string& v) { f["forward"] = v; },
         "Forwarding method: nat (default), dr or tunnel")
      ->type_name("METHOD");
  cmd.add_option_function<uint32_t>(
         "-x,--upper-threshold", [&f](uint32_t v) { f["upper_threshold"] = v; },
         "Connections at which the server counts as overloaded (0 = none)")
      ->type_name("N");
  cmd.add_option_function<uint32_t>(
         "-y,--lower-threshold", [&f](uint32_t v) { f["lower_threshold"] = v; },
         "Connections below which an overloaded server takes new ones again")
      ->type_name("N");
}

void add_action(CLI::App& sub, Arguments& args, const char* name, const char* summary,
                bool takes_real, const std::function<void(CLI::App&)>& options) {
  CLI::App* cmd = sub.add_subcommand(name, summary);
  cmd->callback([&args, name] { args.action = name; });
  cmd->add_option("service", args.words, kServiceHelp)
      ->required()
      ->expected(1)
      ->type_name("SERVICE");
  if (takes_real) {
    // Positionals fill `words` in order: SERVICE then REAL.
    cmd->get_option("service")->expected(2);
    // The type words also tell the completion script what each one is: a
    // real server to add is new, one to change or remove exists.
    cmd->get_option("service")->type_name(std::string_view(name) == "add" ? "SERVICE ADDRESS[:PORT]"
                                                                          : "SERVICE REAL");
    cmd->get_option("service")->description(std::string(kServiceHelp) + "; then " + kRealHelp);
  }
  if (options) options(*cmd);
}

}  // namespace

// --- service ---------------------------------------------------------------------

void declare_service(CLI::App& sub, Arguments& args) {
  sub.require_subcommand(1);
  add_action(sub, args, "add", "Add a virtual service", false, [&args](CLI::App& cmd) {
    service_options(cmd, args, false);
    declare_check_options(cmd, args.health.check, true);
    declare_service_health_options(cmd, args.health);
  });
  add_action(sub, args, "edit", "Change a virtual service's settings (the ones given)", false,
             [&args](CLI::App& cmd) {
               service_options(cmd, args, true);
               declare_check_options(cmd, args.health.check, true);
               declare_service_health_options(cmd, args.health);
             });
  add_action(sub, args, "delete", "Delete a virtual service and its real servers", false, {});
}

int run_service(const Globals& globals, const Arguments& args) {
  json service = service_selector(args.words.at(0));
  const std::string name = describe_service(service);
  if (args.action == "delete") {
    return send_edit(globals, {{"op", "delete_service"}, {"service", service}},
                     fmt::format("deleted service {}", name));
  }
  const bool add = args.action == "add";
  json fields = args.fields;
  add_service_health(args.health, add, fields);
  if (args.action == "edit" && fields.empty()) {
    throw UsageError("nothing to change: give at least one setting (e.g. -s rr)");
  }
  service.update(fields);
  return send_edit(globals, {{"op", add ? "add_service" : "edit_service"}, {"service", service}},
                   fmt::format("{} service {}", add ? "added" : "changed", name));
}

// --- real ------------------------------------------------------------------------

void declare_real(CLI::App& sub, Arguments& args) {
  sub.require_subcommand(1);
  add_action(sub, args, "add", "Add a real server to a service", true, [&args](CLI::App& cmd) {
    real_options(cmd, args);
    declare_check_options(cmd, args.health.check, false);
  });
  add_action(sub, args, "edit", "Change a real server's settings (the ones given)", true,
             [&args](CLI::App& cmd) {
               real_options(cmd, args);
               declare_check_options(cmd, args.health.check, false);
             });
  add_action(sub, args, "delete", "Remove a real server from a service", true, {});
}

int run_real(const Globals& globals, const Arguments& args) {
  const json service = service_selector(args.words.at(0));
  json real = real_selector(args.words.at(1));
  const std::string where =
      fmt::format("real server {} of service {}", describe_real(real), describe_service(service));
  if (args.action == "delete") {
    return send_edit(globals, {{"op", "delete_real"}, {"service", service}, {"real", real}},
                     "removed " + where);
  }
  const bool add = args.action == "add";
  json fields = args.fields;
  if (const auto check = check_value(args.health.check, add)) fields["check"] = *check;
  if (args.action == "edit" && fields.empty()) {
    throw UsageError("nothing to change: give at least one setting (e.g. -w 3)");
  }
  real.update(fields);
  return send_edit(globals,
                   {{"op", add ? "add_real" : "edit_real"}, {"service", service}, {"real", real}},
                   (add ? "added " : "changed ") + where);
}

// --- weight, drain, enable, disable ----------------------------------------------

void declare_weight(CLI::App& sub, Arguments& args) {
  sub.add_option("words", args.words, "SERVICE REAL WEIGHT (weight 0..65535)")
      ->required()
      ->expected(3)
      ->type_name("SERVICE REAL WEIGHT");
}

int run_weight(const Globals& globals, const Arguments& args) {
  const json service = service_selector(args.words.at(0));
  json real = real_selector(args.words.at(1));
  const std::string& text = args.words.at(2);
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789") != std::string::npos || std::stoul(text) > 65535) {
    throw UsageError(fmt::format("'{}' is not a weight: expected 0..65535", text));
  }
  real["weight"] = std::stoul(text);
  return send_edit(globals, {{"op", "edit_real"}, {"service", service}, {"real", real}},
                   fmt::format("real server {} of service {}: weight {}", describe_real(real),
                               describe_service(service), text));
}

void declare_drain(CLI::App& sub, Arguments& args) {
  sub.add_option("words", args.words, "SERVICE REAL")
      ->required()
      ->expected(2)
      ->type_name("SERVICE REAL");
}

int run_drain(const Globals& globals, const Arguments& args) {
  const json service = service_selector(args.words.at(0));
  json real = real_selector(args.words.at(1));
  real["weight"] = 0;
  return send_edit(globals, {{"op", "edit_real"}, {"service", service}, {"real", real}},
                   fmt::format("real server {} of service {}: draining (weight 0; its "
                               "connections continue, new ones go elsewhere)",
                               describe_real(real), describe_service(service)));
}

void declare_enable(CLI::App& sub, Arguments& args) {
  sub.add_option("words", args.words, "SERVICE [REAL]: a whole service, or one real server")
      ->required()
      ->expected(1, 2)
      ->type_name("SERVICE [REAL]");
}

namespace {

int set_enabled(const Globals& globals, const Arguments& args, bool enabled) {
  json service = service_selector(args.words.at(0));
  const char* state = enabled ? "enabled" : "disabled";
  if (args.words.size() == 1) {
    const std::string name = describe_service(service);
    service["enabled"] = enabled;
    return send_edit(globals, {{"op", "edit_service"}, {"service", service}},
                     fmt::format("service {} {}", name, state));
  }
  json real = real_selector(args.words.at(1));
  real["enabled"] = enabled;
  return send_edit(globals, {{"op", "edit_real"}, {"service", service}, {"real", real}},
                   fmt::format("real server {} of service {} {}", describe_real(real),
                               describe_service(service), state));
}

}  // namespace

int run_enable(const Globals& globals, const Arguments& args) {
  return set_enabled(globals, args, true);
}

int run_disable(const Globals& globals, const Arguments& args) {
  return set_enabled(globals, args, false);
}

// --- lookup, save, config ----------------------------------------------------------

void declare_lookup(CLI::App& sub, Arguments& args) {
  sub.add_option("words", args.words,
                 "tcp|udp CLIENT:PORT VIP:PORT (e.g. tcp 203.0.113.7:40000 "
                 "198.18.1.100:80)")
      ->required()
      ->expected(3)
      ->type_name("tcp|udp CLIENT:PORT VIP:PORT");
}

json lookup_request(const Arguments& args) {
  const std::string& protocol = args.words.at(0);
  if (protocol != "tcp" && protocol != "udp") {
    throw UsageError(fmt::format("'{}' is not a protocol: expected tcp or udp", protocol));
  }
  const auto endpoint = [](const std::string& text, const char* what) {
    const json e = real_selector(text);
    if (!e.contains("port")) throw UsageError(fmt::format("{} '{}' needs a port", what, text));
    return e;
  };
  const json client = endpoint(args.words.at(1), "the client");
  const json vip = endpoint(args.words.at(2), "the virtual address");
  return {{"protocol", protocol},
          {"client", client["address"]},
          {"client_port", client["port"]},
          {"vip", vip["address"]},
          {"port", vip["port"]}};
}

std::string format_lookup(const json& result) {
  const std::string by = result.at("decided_by").get<std::string>();
  std::string out;
  if (by == "connection") {
    const json& c = result.at("connection");
    return fmt::format("existing connection ({}, expires in {} s) -> {}:{} ({})\n",
                       c.at("state").get<std::string>(), c.at("expires_s").get<uint64_t>(),
                       c.at("dest_address").get<std::string>(), c.at("dest_port").get<uint64_t>(),
                       c.value("forward", std::string("nat")));
  }
  if (by == "none") return result.at("reason").get<std::string>() + "\n";
  out += fmt::format("service {} (scheduler {})\n", result.at("service").get<std::string>(),
                     result.at("scheduler").get<std::string>());
  if (result.contains("real_server")) {
    const json& r = result.at("real_server");
    out += fmt::format("{} -> {}:{} ({}, weight {})\n",
                       by == "template" ? "persistence template" : "scheduler would choose",
                       r.at("address").get<std::string>(), r.at("port").get<uint64_t>(),
                       r.at("forward").get<std::string>(), r.at("weight").get<uint64_t>());
  } else {
    out += result.at("reason").get<std::string>() + "\n";
  }
  if (result.contains("note")) out += "(" + result.at("note").get<std::string>() + ")\n";
  return out;
}

void declare_save(CLI::App& sub, Arguments& args) {
  sub.add_option("path", args.words, "Where to write (default: the file lbd was started with)")
      ->expected(0, 1)
      ->type_name("PATH");
}

json save_request(const Arguments& args) {
  if (args.words.empty()) return nullptr;
  const std::string& path = args.words.front();
  if (path.empty()) throw UsageError("PATH is empty: give a file name, or none for lbd's file");
  // lbd writes the file from its own working directory (/ under systemd):
  // a relative PATH means the operator's.
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) throw UsageError(fmt::format("'{}': {}", path, error.message()));
  return {{"path", absolute.string()}};
}

std::string format_save(const json& result) {
  return fmt::format("saved {} service(s) to {}\n", result.at("services").get<uint64_t>(),
                     result.at("path").get<std::string>());
}

namespace {

// " check http:8080" for a check shown by `config` (its own port, when it
// has one); empty for none.
std::string check_words(const json& check) {
  if (!check.is_object()) return {};
  std::string out = " check " + check.value("type", std::string("?"));
  if (check.contains("port")) out += fmt::format(":{}", check.at("port").get<uint64_t>());
  return out;
}

}  // namespace

std::string format_config(const json& result) {
  std::string out = fmt::format("{}{}\n", result.at("config_path").get<std::string>(),
                                result.at("unsaved_edits").get<bool>()
                                    ? " (live edits not saved: `lbctl save` writes them)"
                                    : "");
  for (const json& s : result.at("services")) {
    const std::string name =
        s.contains("fwmark")
            ? fmt::format("fwmark {}", s.at("fwmark").get<uint64_t>())
            : fmt::format("{} {}:{}", s.at("protocol").get<std::string>(),
                          s.at("vip").get<std::string>(), s.at("port").get<uint64_t>());
    const uint64_t persistent = s.at("persistent").get<uint64_t>();
    std::string health;
    if (const auto h = s.find("health"); h != s.end() && h->is_object()) {
      health += check_words(h->value("check", json(nullptr)));
      if (h->value("on_failure", "") == "quiesce") health += " on-failure quiesce";
    }
    if (const auto sorry = s.find("sorry_server"); sorry != s.end() && sorry->is_object()) {
      health += fmt::format(" sorry {}:{}", sorry->at("address").get<std::string>(),
                            sorry->at("port").get<uint64_t>());
    }
    out += fmt::format("{} {}{}{}{}\n", name, s.at("scheduler").get<std::string>(),
                       persistent != 0 ? fmt::format(" persistent {}", persistent) : "", health,
                       s.at("enabled").get<bool>() ? "" : " DISABLED");
    for (const json& r : s.at("real_servers")) {
      out +=
          fmt::format("  -> {}:{} {} weight {}{}{}\n", r.at("address").get<std::string>(),
                      r.at("port").get<uint64_t>(), r.at("forward").get<std::string>(),
                      r.at("weight").get<uint64_t>(), check_words(r.value("check", json(nullptr))),
                      r.at("enabled").get<bool>() ? "" : " DISABLED");
    }
  }
  return out;
}

}  // namespace lb::lbctl
