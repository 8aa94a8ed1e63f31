#include "connection_pages.h"

#include <iostream>

namespace lb::lbctl {

namespace {

// The pieces of print_json's form of {"connections": [e1, e2, ...]}: the
// array's elements sit two levels deep, four blanks in.
constexpr std::string_view kJsonOpen = "{\n  \"connections\": [";

std::string json_element(const nlohmann::json& entry, bool first) {
  std::string text = entry.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out = first ? "\n    " : ",\n    ";
  out.reserve(out.size() + text.size() + text.size() / 8);
  for (const char c : text) {
    out += c;
    // JSON text holds no raw newline inside strings: each one is a line break.
    if (c == '\n') out += "    ";
  }
  return out;
}

}  // namespace

int print_connections(const Globals& globals, const std::optional<ctl::ServiceSelector>& service,
                      const ConnectionsView& view) {
  bool started = false;
  bool any = false;
  const bool ok = with_lbd(globals, "connections", [&](ctl::ControlClient& client) {
    ctl::walk_connections(client, service, [&](const nlohmann::json& entries) {
      std::string out;
      if (!started) out = globals.json ? std::string(kJsonOpen) : view.header();
      started = true;
      if (globals.json) {
        for (const nlohmann::json& entry : entries) {
          out += json_element(entry, !any);
          any = true;
        }
      } else {
        out += view.page(entries);
      }
      std::cout << out << std::flush;
      return static_cast<bool>(std::cout);
    });
  });
  if (!ok || !std::cout) return kExitFailed;
  if (globals.json) {
    std::cout << (any ? "\n  ]\n}\n" : "]\n}\n");
  } else if (view.footer) {
    std::cout << view.footer();
  }
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailed;
}

}  // namespace lb::lbctl
