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
