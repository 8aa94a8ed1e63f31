#include <lb/sched/model.h>

namespace lb::sched {

std::string_view to_string(Protocol p) noexcept {
  return p == Protocol::kTcp ? "tcp" : "udp";
}

std::string_view to_string(ForwardMethod f) noexcept {
  switch (f) {
    case ForwardMethod::kNat:
      return "nat";
    case ForwardMethod::kDirectRoute:
      return "dr";
    case ForwardMethod::kTunnel:
      return "tunnel";
  }
  return "?";
}

std::string_view ipvsadm_name(ForwardMethod f) noexcept {
  switch (f) {
    case ForwardMethod::kNat:
      return "Masq";
    case ForwardMethod::kDirectRoute:
      return "Route";
    case ForwardMethod::kTunnel:
      return "Tunnel";
  }
  return "?";
}

std::vector<std::string_view> sched_flag_names(std::string_view scheduler, uint8_t flags) {
  // print_sched_flags (ipvsadm.c): sh and mh name their first two flags, in
  // this fixed order, and print nothing for the third; every other scheduler
  // prints flag-1..3.
  std::vector<std::string_view> names;
  if (scheduler == "sh" || scheduler == "mh") {
    const bool sh = scheduler == "sh";
    if (flags & kSchedFlag1) names.push_back(sh ? "sh-fallback" : "mh-fallback");
    if (flags & kSchedFlag2) names.push_back(sh ? "sh-port" : "mh-port");
  } else {
    if (flags & kSchedFlag1) names.push_back("flag-1");
    if (flags & kSchedFlag2) names.push_back("flag-2");
    if (flags & kSchedFlag3) names.push_back("flag-3");
  }
  return names;
}

uint8_t parse_sched_flag(std::string_view scheduler, std::string_view name) noexcept {
  if (name == "flag-1") return kSchedFlag1;
  if (name == "flag-2") return kSchedFlag2;
  if (name == "flag-3") return kSchedFlag3;
  if (scheduler == "sh" && name == "sh-fallback") return kSchedFlag1;
  if (scheduler == "sh" && name == "sh-port") return kSchedFlag2;
  if (scheduler == "mh" && name == "mh-fallback") return kSchedFlag1;
  if (scheduler == "mh" && name == "mh-port") return kSchedFlag2;
  return 0;
}

std::optional<Protocol> parse_protocol(std::string_view text) noexcept {
  if (text == "tcp") return Protocol::kTcp;
  if (text == "udp") return Protocol::kUdp;
  return std::nullopt;
}

std::optional<ForwardMethod> parse_forward_method(std::string_view text) noexcept {
  if (text == "nat" || text == "masq") return ForwardMethod::kNat;
  if (text == "dr" || text == "route") return ForwardMethod::kDirectRoute;
  if (text == "tunnel" || text == "ipip") return ForwardMethod::kTunnel;
  return std::nullopt;
}

}  // namespace lb::sched
