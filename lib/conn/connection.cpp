#include <lb/conn/connection.h>

namespace lb::conn {

std::string_view state_name(uint8_t state) noexcept {
  if (state == kStateUdp) return "UDP";
  if (state == kStateIcmp) return "ICMP";
  if (state < kTcpStateCount) return to_string(static_cast<TcpState>(state));
  return "ERR!";
}

}  // namespace lb::conn
