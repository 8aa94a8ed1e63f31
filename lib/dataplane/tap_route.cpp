// Source routing through an exception TAP: what lets the appliance's own
// traffic from a port's address (health checks of real servers behind a
// router) reach destinations off the port's subnet through its gateway,
// without touching the kernel's main table (the appliance's management
// interface keeps its default route).
//
// Three netlink messages: a default route via the gateway on the TAP in a
// table of lbd's own, and two rules for packets from the port's address:
// first the main table without its default routes (suppress_prefixlength 0,
// as wg-quick does), so on-link destinations and other ports' subnets keep
// their routes, then lbd's table. The route goes away with the TAP when lbd
// stops; the rules stay (the table then empty, they change nothing) and are
// found again at the next start.
#include <lb/dataplane/tap.h>

#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace lb::dataplane {

namespace {

// A netlink request: header, the family's fixed part, then attributes.
class Request {
 public:
  Request(uint16_t type, const void* fixed, size_t fixed_len) {
    header().nlmsg_type = type;
    header().nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    header().nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(fixed_len));
    std::memcpy(NLMSG_DATA(&header()), fixed, fixed_len);
  }
  void attr(uint16_t type, const void* data, size_t len) {
    auto* a = reinterpret_cast<rtattr*>(buf_.data() + NLMSG_ALIGN(header().nlmsg_len));
    a->rta_type = type;
    a->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    std::memcpy(RTA_DATA(a), data, len);
    header().nlmsg_len =
        static_cast<uint32_t>(NLMSG_ALIGN(header().nlmsg_len) + RTA_ALIGN(a->rta_len));
  }
  void attr32(uint16_t type, uint32_t value) { attr(type, &value, sizeof value); }
  const nlmsghdr& message() const { return *reinterpret_cast<const nlmsghdr*>(buf_.data()); }

 private:
  nlmsghdr& header() { return *reinterpret_cast<nlmsghdr*>(buf_.data()); }
  alignas(nlmsghdr) std::array<uint8_t, 256> buf_{};
};

// Sends `request` and returns the kernel's errno for it (0: done).
int transact(const Request& request) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return errno;
  int err = 0;
  if (::send(fd, &request.message(), request.message().nlmsg_len, 0) < 0) {
    err = errno;
  } else {
    alignas(nlmsghdr) std::array<uint8_t, 1024> reply{};
    const ssize_t n = ::recv(fd, reply.data(), reply.size(), 0);
    const auto* h = reinterpret_cast<const nlmsghdr*>(reply.data());
    if (n < 0) {
      err = errno;
    } else if (NLMSG_OK(h, static_cast<uint32_t>(n)) && h->nlmsg_type == NLMSG_ERROR) {
      err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
    }
  }
  ::close(fd);
  return err;
}

}  // namespace

void route_through_tap(const std::string& ifname, packet::Ipv4Addr source, packet::Ipv4Addr gateway,
                       uint32_t table) {
  const unsigned ifindex = if_nametoindex(ifname.c_str());
  if (ifindex == 0) {
    throw std::runtime_error(
        fmt::format("exception interface {}: not found: {}", ifname, std::strerror(errno)));
  }
  rtmsg route{};
  route.rtm_family = AF_INET;
  route.rtm_table = RT_TABLE_UNSPEC;  // RTA_TABLE below: tables above 255
  route.rtm_protocol = RTPROT_STATIC;
  route.rtm_scope = RT_SCOPE_UNIVERSE;
  route.rtm_type = RTN_UNICAST;
  Request add_route(RTM_NEWROUTE, &route, sizeof route);
  add_route.attr32(RTA_TABLE, table);
  add_route.attr32(RTA_GATEWAY, gateway.be);
  add_route.attr32(RTA_OIF, ifindex);
  if (const int err = transact(add_route); err != 0 && err != EEXIST) {
    throw std::runtime_error(
        fmt::format("exception interface {}: cannot add the route via {} in table {}: {}", ifname,
                    gateway.to_string(), table, std::strerror(err)));
  }
  const auto add_rule = [&](uint32_t lookup, uint32_t priority, bool suppress_default) {
    fib_rule_hdr rule{};
    rule.family = AF_INET;
    rule.src_len = 32;
    rule.action = FR_ACT_TO_TBL;
    Request request(RTM_NEWRULE, &rule, sizeof rule);
    request.attr(FRA_SRC, &source.be, sizeof source.be);
    request.attr32(FRA_TABLE, lookup);
    request.attr32(FRA_PRIORITY, priority);
    if (suppress_default) request.attr32(FRA_SUPPRESS_PREFIXLEN, 0);
    if (const int err = transact(request); err != 0 && err != EEXIST) {
      throw std::runtime_error(
          fmt::format("exception interface {}: cannot add the rule from {} to table {}: {}", ifname,
                      source.to_string(), lookup, std::strerror(err)));
    }
  };
  add_rule(RT_TABLE_MAIN, table, true);
  add_rule(table, table + 1, false);
}

}  // namespace lb::dataplane
