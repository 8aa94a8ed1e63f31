#include "connections_api.h"

#include <optional>

#include <fmt/format.h>

#include <lb/conn/connection.h>
#include <lb/ctl/protocol.h>
#include <lb/packet/wire.h>

namespace lb::daemon {

namespace {

using nlohmann::json;

constexpr uint64_t kDefaultLimit = 1000;
constexpr uint64_t kMaxLimit = 10000;
// Pool slots one request examines at most: a few milliseconds of the
// control thread, whatever the table's size.
constexpr uint32_t kSlotsPerPage = 1u << 18;

[[noreturn]] void bad(const std::string& message) {
  throw ctl::CtlError(ctl::errc::kBadRequest, message);
}

uint64_t unsigned_arg(const json& args, const char* key, uint64_t fallback, uint64_t min,
                      uint64_t max) {
  const auto it = args.find(key);
  if (it == args.end()) return fallback;
  if (!it->is_number_unsigned() || it->get<uint64_t>() < min || it->get<uint64_t>() > max)
    bad(fmt::format("args.{}: expected an integer {}..{}, got {}", key, min, max, it->dump()));
  return it->get<uint64_t>();
}

// The service a listing is limited to, as the DestIdentity of its real
// servers names it (protocol 0 and the mark for firewall-mark services).
struct ServiceFilter {
  uint8_t protocol;
  uint32_t vip_host;
  uint16_t vport;
};

std::optional<ServiceFilter> service_filter(const json& args) {
  const auto it = args.find("service");
  if (it == args.end()) return std::nullopt;
  const json& s = *it;
  if (!s.is_object()) bad("args.service: expected an object");
  if (s.contains("fwmark")) {
    const auto mark = unsigned_arg(s, "fwmark", 0, 1, 0xffffffff);
    return ServiceFilter{0, static_cast<uint32_t>(mark), 0};
  }
  const auto proto = s.find("protocol");
  if (proto == s.end() || !proto->is_string() || (*proto != "tcp" && *proto != "udp")) {
    bad("args.service.protocol: expected \"tcp\" or \"udp\"");
  }
  const auto vip = s.find("vip");
  const auto addr = vip != s.end() && vip->is_string()
                        ? packet::Ipv4Addr::parse(vip->get<std::string>())
                        : std::nullopt;
  if (!addr) bad("args.service.vip: expected an IPv4 address");
  const auto port = unsigned_arg(s, "port", 0, 0, 65535);
  return ServiceFilter{*proto == "tcp" ? packet::kIpProtoTcp : packet::kIpProtoUdp, addr->host(),
                       static_cast<uint16_t>(port)};
}

std::string protocol_name(uint8_t proto) {
  if (proto == packet::kIpProtoTcp) return "TCP";
  if (proto == packet::kIpProtoUdp) return "UDP";
  return "IP";  // a firewall-mark template (IPPROTO_IP), as ipvsadm prints it
}

}  // namespace

std::optional<json> connection_entry(const conn::Connection& c, const sched::DestRegistry& registry,
                                     uint64_t now_ms) {
  const uint8_t st = c.state.load(std::memory_order_acquire);
  if (!conn::Connection::is_flow_state(st) && st != conn::kStateTemplate) return std::nullopt;
  const uint32_t slot = c.dest_slot.load(std::memory_order_acquire);
  if (slot >= registry.used()) return std::nullopt;
  const sched::DestIdentity& dest = registry.identity(slot);
  const bool tmpl = st == conn::kStateTemplate;
  const uint64_t expires = c.expires_ms.load(std::memory_order_relaxed);
  json e = {
      {"protocol", protocol_name(c.client.proto)},
      {"template", tmpl},
      {"state", tmpl ? (c.assured.load(std::memory_order_relaxed) ? "ASSURED" : "NONE")
                     : std::string(conn::state_name(st))},
      {"expires_s", expires > now_ms ? (expires - now_ms) / 1000 : 0},
      {"client_address", packet::Ipv4Addr{c.client.src}.to_string()},
      {"client_port", packet::ntoh16(c.client.sport)},
      {"virtual_address", packet::Ipv4Addr{c.client.dst}.to_string()},
      {"virtual_port", packet::ntoh16(c.client.dport)},
  };
  if (tmpl) {
    // Port-0, FTP and firewall-mark templates (virtual port 0) hold no
    // port, as the kernel's.
    e["dest_address"] = packet::Ipv4Addr::from_host(dest.rip_host).to_string();
    e["dest_port"] = c.client.dport == 0 ? 0 : dest.rport;
  } else {
    e["dest_address"] = packet::Ipv4Addr{c.rs_addr_be}.to_string();
    e["dest_port"] = packet::ntoh16(c.rs_port_be);
    e["forward"] = sched::to_string(c.forward);
  }
  return e;
}

json connections_json(const dataplane::Dataplane& dp, const json& args) {
  const auto& table = dp.connections();
  const auto cursor = unsigned_arg(args, "cursor", 0, 0, table.capacity());
  const auto limit = unsigned_arg(args, "limit", kDefaultLimit, 1, kMaxLimit);
  const auto filter = service_filter(args);
  const auto& registry = dp.registry();
  const uint64_t now = dp.now_ms();

  json entries = json::array();
  const uint32_t next =
      table.scan(static_cast<uint32_t>(cursor), kSlotsPerPage, [&](const conn::Connection& c) {
        if (entries.size() == limit) return false;
        if (filter) {
          const uint32_t slot = c.dest_slot.load(std::memory_order_acquire);
          if (slot >= registry.used()) return true;
          const sched::DestIdentity& d = registry.identity(slot);
          if (d.protocol != filter->protocol || d.vip_host != filter->vip_host ||
              d.vport != filter->vport) {
            return true;
          }
        }
        if (auto e = connection_entry(c, registry, now)) entries.push_back(std::move(*e));
        return true;
      });
  return {{"connections", std::move(entries)},
          {"next_cursor", next >= table.capacity() ? json(nullptr) : json(next)}};
}

}  // namespace lb::daemon
