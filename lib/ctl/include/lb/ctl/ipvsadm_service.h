// ipvsadm 1.31's reading of a virtual-service option value: -t/-u
// host[:port] (parse_service) and -f mark (parse_fwmark), with ipvsadm's
// error texts (reference/ipvsadm-formats.md §8).
//
// Host and port names are looked up as ipvsadm looks them up
// (gethostbyname, getservbyname), so `-t localhost:http` works as it does
// there.
#pragma once

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

}  // namespace lb::ctl::ipvsadm
