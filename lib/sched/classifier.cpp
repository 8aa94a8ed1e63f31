#include <lb/sched/classifier.h>

#include <algorithm>

#include <lb/packet/wire.h>

namespace lb::sched {

Classifier::Classifier(std::span<const MarkRule> rules) {
  for (const MarkRule& r : rules) {
    Rule rule{};
    rule.mark = r.mark;
    rule.proto = r.protocol ? static_cast<uint8_t>(*r.protocol) : 0;
    rule.dst_mask = r.destination.mask_host();
    rule.dst_net = r.destination.addr.host() & rule.dst_mask;
    rule.src_mask = r.source ? r.source->mask_host() : 0;
    rule.src_net = r.source ? r.source->addr.host() & rule.src_mask : 0;
    rule.port_min = r.port_min;
    rule.port_max = r.port_max;
    rules_.push_back(rule);
    const std::pair dst{rule.dst_net, rule.dst_mask};
    if (std::find(destinations_.begin(), destinations_.end(), dst) == destinations_.end()) {
      destinations_.push_back(dst);
      if (r.destination.len == 32) addresses_.push_back(r.destination.addr);
    }
  }
}

uint32_t Classifier::classify(const packet::FlowKeyV4& flow) const noexcept {
  if (flow.proto != packet::kIpProtoTcp && flow.proto != packet::kIpProtoUdp) return 0;
  const uint32_t dst = packet::ntoh32(flow.dst);
  const uint32_t src = packet::ntoh32(flow.src);
  const uint16_t dport = packet::ntoh16(flow.dport);
  for (const Rule& r : rules_) {
    if ((r.proto == 0 || r.proto == flow.proto) && (dst & r.dst_mask) == r.dst_net &&
        (src & r.src_mask) == r.src_net && dport >= r.port_min && dport <= r.port_max) {
      return r.mark;
    }
  }
  return 0;
}

bool Classifier::covers(uint32_t addr_be) const noexcept {
  const uint32_t a = packet::ntoh32(addr_be);
  return std::any_of(destinations_.begin(), destinations_.end(),
                     [a](const auto& d) { return (a & d.second) == d.first; });
}

}  // namespace lb::sched
