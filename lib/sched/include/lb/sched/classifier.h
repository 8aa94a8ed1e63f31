// The firewall-mark classifier: what iptables -t mangle ... -j MARK did for
// IPVS. Rules (protocol, destination prefix, destination port range, source
// prefix) are tried in order; the first match gives the packet its mark.
//
// Built by the control plane, immutable once published; workers classify
// only the first packet of a new flow (established flows are found by their
// connection), so a linear scan over the rules is cheap for the dozens of
// rules a site has.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <lb/packet/addr.h>
#include <lb/packet/flow_key.h>
#include <lb/sched/model.h>

namespace lb::sched {

class Classifier {
 public:
  Classifier() = default;
  explicit Classifier(std::span<const MarkRule> rules);

  // The mark of the first matching rule, or 0.
  uint32_t classify(const packet::FlowKeyV4& flow) const noexcept;
  // Whether some rule's destination covers `addr_be`: a packet there may
  // belong to a firewall-mark service.
  bool covers(uint32_t addr_be) const noexcept;
  // Rule destinations that are single addresses: lbd answers ARP and ICMP
  // echo for them as for VIPs.
  std::span<const packet::Ipv4Addr> addresses() const noexcept { return addresses_; }
  bool empty() const noexcept { return rules_.empty(); }

 private:
  struct Rule {
    uint32_t mark;
    uint8_t proto;               // 0: TCP or UDP
    uint32_t dst_net, dst_mask;  // host order
    uint32_t src_net, src_mask;
    uint16_t port_min, port_max;
  };
  std::vector<Rule> rules_;
  std::vector<std::pair<uint32_t, uint32_t>> destinations_;  // distinct (net, mask), host order
  std::vector<packet::Ipv4Addr> addresses_;
};

}  // namespace lb::sched
