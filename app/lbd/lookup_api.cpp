#include "lookup_api.h"

#include <fmt/format.h>

#include <lb/config/edit.h>
#include <lb/conn/connection.h>
#include <lb/ctl/protocol.h>
#include <lb/packet/wire.h>
#include <lb/sched/scheduler.h>

#include "connections_api.h"

namespace lb::daemon {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& message) {
  throw ctl::CtlError(ctl::errc::kBadRequest, message);
}

packet::Ipv4Addr address_arg(const json& args, const char* key) {
  const auto it = args.find(key);
  const auto addr = it != args.end() && it->is_string()
                        ? packet::Ipv4Addr::parse(it->get<std::string>())
                        : std::nullopt;
  if (!addr) bad(fmt::format("args.{}: expected an IPv4 address (a.b.c.d)", key));
  return *addr;
}

uint16_t port_arg(const json& args, const char* key) {
  const auto it = args.find(key);
  if (it == args.end() || !it->is_number_unsigned() || it->get<uint64_t>() > 65535) {
    bad(fmt::format("args.{}: expected a port 0..65535", key));
  }
  return static_cast<uint16_t>(it->get<uint64_t>());
}

packet::FlowKeyV4 flow_arg(const json& args) {
  for (const auto& [key, value] : args.items()) {
    if (key != "protocol" && key != "client" && key != "client_port" && key != "vip" &&
        key != "port") {
      bad(
          fmt::format("lookup: unknown argument \"{}\", expected: protocol, client, "
                      "client_port, vip, port",
                      key));
    }
  }
  const auto proto = args.find("protocol");
  if (proto == args.end() || !proto->is_string() || (*proto != "tcp" && *proto != "udp")) {
    bad("args.protocol: expected \"tcp\" or \"udp\"");
  }
  packet::FlowKeyV4 key;
  key.proto = *proto == "tcp" ? packet::kIpProtoTcp : packet::kIpProtoUdp;
  key.src = address_arg(args, "client").be;
  key.sport = packet::hton16(port_arg(args, "client_port"));
  key.dst = address_arg(args, "vip").be;
  key.dport = packet::hton16(port_arg(args, "port"));
  return key;
}

json real_server(const sched::Dest& dest, const packet::FlowKeyV4& flow) {
  // A real server without a port keeps the packet's.
  const uint16_t port_be = dest.port_be != 0 ? dest.port_be : flow.dport;
  return {{"address", dest.addr.to_string()},
          {"port", packet::ntoh16(port_be)},
          {"forward", sched::to_string(dest.forward)},
          {"weight", dest.weight}};
}

}  // namespace

json lookup_json(const dataplane::Dataplane& dp, const json& args) {
  const packet::FlowKeyV4 flow = flow_arg(args);
  const auto& table = dp.connections();
  const uint64_t now = dp.now_ms();
  if (const auto found = table.lookup(flow, table.hash(flow)); found.conn != nullptr) {
    if (auto e = connection_entry(*found.conn, dp.registry(), now)) {
      return {{"decided_by", "connection"}, {"connection", std::move(*e)}};
    }
  }

  const dataplane::Snapshot& snap = dp.snapshot();
  const uint32_t mark = snap.classifier.empty() ? 0 : snap.classifier.classify(flow);
  const sched::Service* svc = mark != 0 ? snap.services.find_fwmark(mark) : nullptr;
  if (svc == nullptr) svc = snap.services.lookup(flow.proto, flow.dst, flow.dport);
  if (svc == nullptr) {
    return {{"decided_by", "none"},
            {"reason", "no service takes this flow: it is dropped (no_service)"}};
  }
  const sched::ServiceSpec& spec = svc->spec();
  json out = {{"service", config::service_label(spec)}, {"scheduler", spec.scheduler}};
  if (flow.proto == packet::kIpProtoTcp) {
    out["note"] = "a new TCP connection is scheduled at its SYN";
  }

  if (spec.persistence) {
    const packet::FlowKeyV4 tkey = conn::template_key(flow, spec);
    if (const auto t = table.lookup(tkey, table.hash(tkey)); t.conn != nullptr) {
      const uint32_t slot = t.conn->dest_slot.load(std::memory_order_acquire);
      // A template whose server left the service is not used (the kernel's
      // ip_vs_check_template): the scheduler decides again. One whose server
      // is drained (weight 0) or overloaded still is, as by the worker
      // (worker_persist.cpp) and the kernel with expire_quiescent_template 0.
      if (const sched::Dest* dest = svc->dest_by_slot(slot); dest != nullptr) {
        out["decided_by"] = "template";
        out["real_server"] = real_server(*dest, flow);
        if (auto e = connection_entry(*t.conn, dp.registry(), now)) out["template"] = std::move(*e);
        return out;
      }
    }
  }

  out["decided_by"] = "scheduler";
  const int32_t i = svc->peek(sched::PickInput{flow, table.hash(flow), now});
  if (i == sched::kUnpredictable) {
    out["reason"] = fmt::format(
        "{} decides at the connection's first packet from state that only scheduling changes "
        "(a rotation, a locality table or a random draw)",
        spec.scheduler);
  } else if (i == sched::kNoDest) {
    out["reason"] =
        "no real server is available (all weight 0 or overloaded): it is dropped "
        "(no_real_server)";
  } else {
    out["real_server"] = real_server(svc->dests()[static_cast<size_t>(i)], flow);
  }
  return out;
}

}  // namespace lb::daemon
