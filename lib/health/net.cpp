#include "net.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

namespace lb::health::detail {

namespace {

sockaddr_in to_sockaddr(packet::Ipv4Addr addr, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = addr.be;
  sa.sin_port = packet::hton16(port);
  return sa;
}

}  // namespace

Opened open_socket(int type, const Endpoint& endpoint) {
  Opened out;
  Fd fd(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    out.error = sys_error("socket", errno);
    return out;
  }
  if (endpoint.source) {
    const sockaddr_in src = to_sockaddr(*endpoint.source, 0);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0) {
      out.error = sys_error(fmt::format("bind {}", endpoint.source->to_string()).c_str(), errno);
      return out;
    }
  }
  const sockaddr_in dst = to_sockaddr(endpoint.addr, endpoint.port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&dst), sizeof dst) == 0) {
    out.connected = true;
  } else if (errno != EINPROGRESS) {
    out.error = sys_error("connect", errno);
    return out;
  }
  out.fd = std::move(fd);
  return out;
}

std::string connect_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  return err == 0 ? std::string() : sys_error("connect", err);
}

}  // namespace lb::health::detail
