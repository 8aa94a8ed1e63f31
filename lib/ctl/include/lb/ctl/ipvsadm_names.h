// How ipvsadm 1.31 names an address and port: addrport_to_anyname (ipvsadm.c,
// reference/ipvsadm-formats.md §3), shared by the `-L` and `-L -c` listings.
//
// With -n: "a.b.c.d:port". Without: the host name from gethostbyaddr (else
// the address) and the service name from getservbyport for TCP, UDP and SCTP
// (else the number): "www.example.com:http". The resolver is injectable so
// that tests need no DNS.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <lb/packet/addr.h>

namespace lb::ctl::ipvsadm {

// The kernel's numbers, which ipvsadm passes around (and its comparators
// subtract). 0 is what ipvsadm's print_conn uses for any other protocol
// ("IP" firewall-mark templates): no service names.
inline constexpr uint16_t kAfInet = 2;
inline constexpr uint16_t kProtoTcp = 6;
inline constexpr uint16_t kProtoUdp = 17;
inline constexpr uint16_t kProtoSctp = 132;

// Where ipvsadm resolves names (without -n). nullopt = print the number.
class NameResolver {
 public:
  virtual ~NameResolver() = default;
  virtual std::optional<std::string> host_name(packet::Ipv4Addr addr) const = 0;
  virtual std::optional<std::string> service_name(uint16_t port, uint16_t protocol) const = 0;
};

// gethostbyaddr() and getservbyport(port, "tcp"/"udp"/"sctp"), as ipvsadm.
const NameResolver& system_resolver();

// One listing asks about the same VIPs and ports many times (a connection
// listing, millions of times); ipvsadm does every lookup again, which changes
// nothing but the time it takes. Not thread-safe.
class CachingResolver final : public NameResolver {
 public:
  explicit CachingResolver(const NameResolver& inner) : inner_(inner) {}
  std::optional<std::string> host_name(packet::Ipv4Addr addr) const override;
  std::optional<std::string> service_name(uint16_t port, uint16_t protocol) const override;

 private:
  const NameResolver& inner_;
  mutable std::map<uint32_t, std::optional<std::string>> hosts_;
  mutable std::map<uint32_t, std::optional<std::string>> services_;
};

// addrport_to_anyname for IPv4; `names` null means numeric (-n). Cut to the
// 59 characters of ipvsadm's malloc(60) + snprintf.
std::string addrport_to_anyname(packet::Ipv4Addr addr, uint16_t port, uint16_t protocol,
                                const NameResolver* names);

}  // namespace lb::ctl::ipvsadm
