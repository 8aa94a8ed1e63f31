#include <lb/ctl/ipvsadm_service.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace lb::ctl::ipvsadm {

namespace {

// str_is_digit: true for "" too, which ipvsadm therefore rejects as well.
bool all_digits(const std::string& text) {
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// string_to_number(text, 0, 65535): strtol's syntax.
std::optional<uint16_t> port_number(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || errno == ERANGE || n < 0 || n > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(n);
}

// service_to_port: getservbyname for the service's protocol.
std::optional<uint16_t> port_of_service(const std::string& name, const std::string& protocol) {
  servent entry{};
  servent* found = nullptr;
  std::vector<char> buffer(4096);
  while (::getservbyname_r(name.c_str(), protocol.c_str(), &entry, buffer.data(), buffer.size(),
                           &found) == ERANGE) {
    buffer.resize(buffer.size() * 2);
  }
  if (found == nullptr) return std::nullopt;
  return ntohs(static_cast<uint16_t>(found->s_port));
}

}  // namespace

// host_to_addr: gethostbyname, IPv4 answers only.
std::optional<packet::Ipv4Addr> host_to_addr(const std::string& name) {
  hostent entry{};
  hostent* found = nullptr;
  int h_err = 0;
  std::vector<char> buffer(8192);
  while (::gethostbyname_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found, &h_err) ==
         ERANGE) {
    buffer.resize(buffer.size() * 2);
  }
  if (found == nullptr || found->h_addrtype != AF_INET ||
      found->h_length != static_cast<int>(sizeof(in_addr)) || found->h_addr_list[0] == nullptr) {
    return std::nullopt;
  }
  in_addr addr{};
  std::memcpy(&addr, found->h_addr_list[0], sizeof(addr));
  return packet::Ipv4Addr{addr.s_addr};
}

namespace {

std::variant<ServiceSelector, Failure> parse_fwmark(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long mark = std::strtoul(text.c_str(), &end, 10);
  if (*end != '\0' || end == text.c_str() || errno == ERANGE || mark == 0 || mark > UINT_MAX) {
    return Failure{2, fmt::format("invalid fwmark value `{}' specified", text)};
  }
  ServiceSelector selector;
  selector.fwmark = static_cast<uint32_t>(mark);
  return selector;
}

}  // namespace

std::optional<HostPort> parse_host_port(const std::string& value, std::string_view protocol) {
  // parse_service, step by step: it edits its buffer in place, which is
  // where its quirks come from ("[1.2.3.4]:80" loses its port).
  if (all_digits(value)) return std::nullopt;
  std::string host = value;
  std::optional<std::string> port_text;
  bool bracketed = false;
  if (host[0] == '[') {
    const std::size_t close = host.find(']', 1);
    if (close == std::string::npos || close + 1 >= host.size() || host[close + 1] != ':') {
      return std::nullopt;
    }
    port_text = host.substr(close + 2);
    host = host.substr(1, close - 1);
    bracketed = true;
  }
  HostPort found;
  in6_addr in6{};
  if (::inet_pton(AF_INET6, host.c_str(), &in6) > 0) {
    found.ipv6 = true;
  } else {
    // The port after "]:" is only kept for IPv6: for anything else ipvsadm
    // looks for a ':' again inside the brackets.
    if (bracketed) port_text.reset();
    if (const std::size_t colon = host.rfind(':'); colon != std::string::npos) {
      port_text = host.substr(colon + 1);
      host.resize(colon);
    }
    std::optional<packet::Ipv4Addr> addr;
    in_addr in{};
    if (::inet_aton(host.c_str(), &in) != 0) {
      addr = packet::Ipv4Addr{in.s_addr};
    } else {
      addr = host_to_addr(host);
    }
    if (!addr) return std::nullopt;
    found.addr = *addr;
  }
  if (port_text) {
    auto port = port_number(*port_text);
    if (!port && !protocol.empty()) port = port_of_service(*port_text, std::string(protocol));
    if (!port) return std::nullopt;
    found.port = *port;
  }
  return found;
}

std::variant<ServiceSelector, Failure> parse_service_option(const ParsedOption& option) {
  const std::string_view name = option.spec->long_name;
  const std::string value = option.value.value_or("");
  if (name == "fwmark-service") return parse_fwmark(value);
  if (name != "tcp-service" && name != "udp-service") {
    return Failure{
        2, fmt::format("lbctl: ipvsadm option '{}' is not supported: lbd serves TCP and UDP only",
                       option.spelling)};
  }
  ServiceSelector selector;
  selector.protocol = name == "tcp-service" ? "tcp" : "udp";
  const auto found = parse_host_port(value, selector.protocol);
  if (!found) return Failure{2, "illegal virtual server address[:port] specified"};
  if (found->ipv6) {
    return Failure{2, fmt::format("lbctl: IPv6 virtual services ('{} {}') are not supported",
                                  option.spelling, value)};
  }
  selector.vip = found->addr;
  selector.port = found->port.value_or(0);
  return selector;
}

}  // namespace lb::ctl::ipvsadm
