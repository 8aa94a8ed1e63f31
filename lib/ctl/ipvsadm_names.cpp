#include <lb/ctl/ipvsadm_names.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <cerrno>
#include <vector>

#include <fmt/format.h>

namespace lb::ctl::ipvsadm {

namespace {

// addrport_to_anyname writes into malloc(60) with snprintf.
constexpr std::size_t kAddrPortMax = 59;

class SystemResolver final : public NameResolver {
 public:
  std::optional<std::string> host_name(packet::Ipv4Addr addr) const override {
    in_addr in{addr.be};
    hostent entry{};
    hostent* found = nullptr;
    int h_err = 0;
    std::vector<char> buffer(8192);
    while (::gethostbyaddr_r(&in, sizeof(in), AF_INET, &entry, buffer.data(), buffer.size(), &found,
                             &h_err) == ERANGE) {
      buffer.resize(buffer.size() * 2);
    }
    if (found == nullptr || found->h_name == nullptr) return std::nullopt;
    return std::string(found->h_name);
  }

  std::optional<std::string> service_name(uint16_t port, uint16_t protocol) const override {
    const char* proto = protocol == kProtoTcp    ? "tcp"
                        : protocol == kProtoUdp  ? "udp"
                        : protocol == kProtoSctp ? "sctp"
                                                 : nullptr;
    if (proto == nullptr) return std::nullopt;
    servent entry{};
    servent* found = nullptr;
    std::vector<char> buffer(4096);
    while (::getservbyport_r(htons(port), proto, &entry, buffer.data(), buffer.size(), &found) ==
           ERANGE) {
      buffer.resize(buffer.size() * 2);
    }
    if (found == nullptr || found->s_name == nullptr) return std::nullopt;
    return std::string(found->s_name);
  }
};

}  // namespace

const NameResolver& system_resolver() {
  static const SystemResolver resolver;
  return resolver;
}

std::optional<std::string> CachingResolver::host_name(packet::Ipv4Addr addr) const {
  auto [it, fresh] = hosts_.try_emplace(addr.be);
  if (fresh) it->second = inner_.host_name(addr);
  return it->second;
}

std::optional<std::string> CachingResolver::service_name(uint16_t port, uint16_t protocol) const {
  auto [it, fresh] = services_.try_emplace(uint32_t{protocol} << 16 | port);
  if (fresh) it->second = inner_.service_name(port, protocol);
  return it->second;
}

std::string addrport_to_anyname(packet::Ipv4Addr addr, uint16_t port, uint16_t protocol,
                                const NameResolver* names) {
  if (names == nullptr) return fmt::format("{}:{}", addr.to_string(), port);
  const auto host = names->host_name(addr);
  // port_to_service looks names up for these protocols only.
  const bool named_protocol =
      protocol == kProtoTcp || protocol == kProtoUdp || protocol == kProtoSctp;
  const auto service = named_protocol ? names->service_name(port, protocol) : std::nullopt;
  std::string text = fmt::format("{}:{}", host ? *host : addr.to_string(),
                                 service ? *service : std::to_string(port));
  if (text.size() > kAddrPortMax) text.resize(kAddrPortMax);
  return text;
}

}  // namespace lb::ctl::ipvsadm
