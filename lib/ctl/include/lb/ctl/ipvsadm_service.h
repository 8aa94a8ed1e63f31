// ipvsadm 1.31's reading of a virtual-service option value: -t/-u
// host[:port] (parse_service) and -f mark (parse_fwmark), with ipvsadm's
// error texts (reference/ipvsadm-formats.md §8).
//
// Host and port names are looked up as ipvsadm looks them up
// (gethostbyname, getservbyname), so `-t localhost:http` works as it does
// there.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <lb/ctl/connections.h>
#include <lb/ctl/ipvsadm_cmdline.h>

namespace lb::ctl::ipvsadm {

// `option` is a parsed -t/--tcp-service, -u/--udp-service or
// -f/--fwmark-service. Failures (status 2): "illegal virtual server
// address[:port] specified", "invalid fwmark value `X' specified"; and,
// since lbd serves neither, lbctl's own "... not supported" for IPv6
// addresses and --sctp-service.
std::variant<ServiceSelector, Failure> parse_service_option(const ParsedOption& option);

// What parse_service reads from host[:port] (-t, -u and -r values).
struct HostPort {
  packet::Ipv4Addr addr;  // when !ipv6
  bool ipv6 = false;      // an IPv6 literal (lbd serves none)
  std::optional<uint16_t> port;
};

// nullopt where ipvsadm's parse_service finds no address (its "illegal ...
// address[:port] specified"). Port names are looked up for `protocol`
// ("tcp", "udp"); with "" (ipvsadm's protocol 0, e.g. -r read before -t)
// only numbers are ports.
// host_to_addr: gethostbyname's first IPv4 address.
std::optional<packet::Ipv4Addr> host_to_addr(const std::string& name);

std::optional<HostPort> parse_host_port(const std::string& text, std::string_view protocol);

}  // namespace lb::ctl::ipvsadm
