#include <lb/conn/connection.h>

namespace lb::conn {

std::string_view state_name(uint8_t state) noexcept {
  if (state == kStateUdp) return "UDP";
  if (state == kStateIcmp) return "ICMP";
  if (state == kStateTemplate) return "NONE";  // the kernel prints templates as NONE or ASSURED
  if (state == kStateFragment) return "FRAGMENT";
  if (state < kTcpStateCount) return to_string(static_cast<TcpState>(state));
  return "ERR!";
}

packet::FlowKeyV4 template_key(const packet::FlowKeyV4& flow,
                               const sched::ServiceSpec& service) noexcept {
  packet::FlowKeyV4 k;
  const uint32_t mask = service.persistence ? service.persistence->netmask.be : 0xffffffffu;
  k.src = flow.src & mask;
  k.pad[0] = kTemplateKeyTag;
  if (service.fwmark != 0) {
    k.proto = 0;  // IPPROTO_IP: one template for every protocol the mark covers
    k.dst = packet::hton32(service.fwmark);
    return k;
  }
  k.proto = flow.proto;
  k.dst = flow.dst;
  k.dport = service.port == 0 || service.port == 21 ? 0 : flow.dport;
  return k;
}

}  // namespace lb::conn
