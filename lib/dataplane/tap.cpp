#include <lb/dataplane/tap.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace lb::dataplane {

namespace {

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
  }
  ~Socket() { ::close(fd_); }
  int fd() const { return fd_; }

 private:
  int fd_;
};

ifreq make_ifreq(const std::string& ifname) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  return ifr;
}

void set_addr(ifreq& ifr, uint32_t be) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = be;
  std::memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
}

void check(int rc, const std::string& ifname, const char* step) {
  if (rc < 0) {
    throw std::runtime_error(
        fmt::format("exception interface {}: cannot {}: {}", ifname, step, std::strerror(errno)));
  }
}

}  // namespace

void configure_tap(const std::string& ifname, packet::Ipv4Prefix address, uint16_t mtu) {
  Socket s;
  ifreq ifr = make_ifreq(ifname);
  set_addr(ifr, address.addr.be);
  check(ioctl(s.fd(), SIOCSIFADDR, &ifr), ifname, "set its address");

  ifr = make_ifreq(ifname);
  set_addr(ifr, packet::hton32(address.mask_host()));
  check(ioctl(s.fd(), SIOCSIFNETMASK, &ifr), ifname, "set its netmask");

  ifr = make_ifreq(ifname);
  ifr.ifr_mtu = mtu;
  check(ioctl(s.fd(), SIOCSIFMTU, &ifr), ifname, "set its MTU");

  ifr = make_ifreq(ifname);
  check(ioctl(s.fd(), SIOCGIFFLAGS, &ifr), ifname, "read its flags");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_NOARP);
  check(ioctl(s.fd(), SIOCSIFFLAGS, &ifr), ifname, "bring it up");

  // Best effort: a kernel without IPv6 has no such file, and that is fine.
  std::ofstream(fmt::format("/proc/sys/net/ipv6/conf/{}/disable_ipv6", ifname)) << "1\n";
}

}  // namespace lb::dataplane
