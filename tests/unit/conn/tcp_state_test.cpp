#include <catch2/catch.hpp>

#include <lb/conn/tcp_state.h>

using namespace lb::conn;
using enum TcpState;

namespace {

constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kRst = 0x04;

}  // namespace

TEST_CASE("a NAT handshake and close walk IPVS's states") {
  // Client SYN, server SYN-ACK, client ACK: SYN_RECV, then ESTABLISHED.
  TcpState s = next_tcp_state(kNone, Direction::kInput, kSyn);
  CHECK(s == kSynRecv);
  s = next_tcp_state(s, Direction::kOutput, kSyn | kAck);  // SYN with ACK: the SYN row wins
  CHECK(s == kSynRecv);
  s = next_tcp_state(s, Direction::kInput, kAck);
  CHECK(s == kEstablished);
  // Server closes first: FIN_WAIT; client's FIN+ACK: TIME_WAIT; final ACK stays.
  s = next_tcp_state(s, Direction::kOutput, kFin | kAck);
  CHECK(s == kFinWait);
  s = next_tcp_state(s, Direction::kInput, kFin | kAck);
  CHECK(s == kTimeWait);
  CHECK(next_tcp_state(s, Direction::kOutput, kAck) == kTimeWait);
}

TEST_CASE("RST wins over every other flag; no known flag means CLOSE") {
  CHECK(next_tcp_state(kEstablished, Direction::kInput, kRst | kSyn | kAck) == kClose);
  CHECK(next_tcp_state(kSynRecv, Direction::kInput, kRst) ==
        kSynRecv);  // the kernel keeps SR on input RST
  CHECK(next_tcp_state(kSynRecv, Direction::kOutput, kRst) == kClose);
  CHECK(next_tcp_state(kEstablished, Direction::kInput, 0x08 /* PSH only */) == kClose);
}

TEST_CASE("the three direction tables differ where the kernel's do") {
  // A client FIN on an established connection: CLOSE_WAIT under NAT (input),
  // FIN_WAIT when no reply is ever seen (DR/TUN, input-only).
  CHECK(next_tcp_state(kEstablished, Direction::kInput, kFin) == kCloseWait);
  CHECK(next_tcp_state(kEstablished, Direction::kInputOnly, kFin) == kFinWait);
  CHECK(next_tcp_state(kSynAck, Direction::kInputOnly, kRst) == kClose);
  CHECK(next_tcp_state(kSynAck, Direction::kInput, kRst) == kSynRecv);
  CHECK(next_tcp_state(kListen, Direction::kOutput, kAck) == kEstablished);
}

TEST_CASE("active states are those of Linux >= 4.8") {
  for (TcpState s : {kEstablished, kSynSent, kSynRecv, kSynAck})
    CHECK(is_active(s));
  for (TcpState s : {kNone, kFinWait, kTimeWait, kClose, kCloseWait, kLastAck, kListen})
    CHECK_FALSE(is_active(s));
}

TEST_CASE("state names and default timeouts are the kernel's") {
  CHECK(to_string(kEstablished) == "ESTABLISHED");
  CHECK(to_string(kSynRecv) == "SYN_RECV");
  CHECK(to_string(static_cast<TcpState>(42)) == "ERR!");
  const Timeouts t;
  CHECK(t.tcp(kEstablished) == 900000);
  CHECK(t.tcp(kSynRecv) == 60000);
  CHECK(t.tcp(kFinWait) == 120000);
  CHECK(t.tcp(kTimeWait) == 120000);
  CHECK(t.tcp(kClose) == 10000);
  CHECK(t.udp_ms == 300000);
}
