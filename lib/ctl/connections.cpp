#include <lb/ctl/connections.h>

#include <charconv>

#include <fmt/format.h>

#include <lb/ctl/protocol.h>

namespace lb::ctl {

namespace {

// Decimal digits only, within [min, max].
std::optional<uint64_t> number(std::string_view text, uint64_t min, uint64_t max) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

[[noreturn]] void bad(std::string_view what) {
  throw CtlError(errc::kBadReply, fmt::format("lbd's connections result: {}", what));
}

}  // namespace

nlohmann::json ServiceSelector::to_json() const {
  if (fwmark != 0) return {{"fwmark", fwmark}};
  return {{"protocol", protocol}, {"vip", vip.to_string()}, {"port", port}};
}

std::optional<ServiceSelector> parse_service_selector(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view kind = text.substr(0, colon);
  const std::string_view rest = text.substr(colon + 1);
  ServiceSelector selector;
  if (kind == "fwmark") {
    const auto mark = number(rest, 1, UINT32_MAX);
    if (!mark) return std::nullopt;
    selector.fwmark = static_cast<uint32_t>(*mark);
    return selector;
  }
  if (kind != "tcp" && kind != "udp") return std::nullopt;
  const std::size_t port_colon = rest.rfind(':');
  if (port_colon == std::string_view::npos) return std::nullopt;
  const auto vip = packet::Ipv4Addr::parse(rest.substr(0, port_colon));
  const auto port = number(rest.substr(port_colon + 1), 0, 65535);
  if (!vip || !port) return std::nullopt;
  selector.protocol = std::string(kind);
  selector.vip = *vip;
  selector.port = static_cast<uint16_t>(*port);
  return selector;
}

nlohmann::json connections_args(uint64_t cursor, const std::optional<ServiceSelector>& service,
                                uint32_t limit) {
  nlohmann::json args = {{"cursor", cursor}, {"limit", limit}};
  if (service) args["service"] = service->to_json();
  return args;
}

void walk_connections(ControlClient& client, const std::optional<ServiceSelector>& service,
                      const std::function<bool(const nlohmann::json& entries)>& on_page,
                      uint32_t limit) {
  uint64_t cursor = 0;
  for (;;) {
    const nlohmann::json page =
        client.call("connections", connections_args(cursor, service, limit));
    if (!page.is_object()) bad("result: expected an object");
    const auto entries = page.find("connections");
    if (entries == page.end() || !entries->is_array()) bad("connections: expected an array");
    const auto next = page.find("next_cursor");
    if (next == page.end() || !(next->is_null() || next->is_number_unsigned() ||
                                (next->is_number_integer() && next->get<int64_t>() >= 0))) {
      bad("next_cursor: expected a non-negative integer or null");
    }
    if (!next->is_null() && next->get<uint64_t>() == cursor && entries->empty()) {
      bad(fmt::format("next_cursor: {} again after an empty page (no progress)", cursor));
    }
    if (!on_page(*entries) || next->is_null()) return;
    cursor = next->get<uint64_t>();
  }
}

}  // namespace lb::ctl
