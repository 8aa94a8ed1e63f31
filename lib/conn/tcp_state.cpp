#include <lb/conn/tcp_state.h>

namespace lb::conn {

namespace {

using enum TcpState;
constexpr TcpState sNO = kNone, sES = kEstablished, sSS = kSynSent, sSR = kSynRecv, sFW = kFinWait,
                   sTW = kTimeWait, sCL = kClose, sCW = kCloseWait, sLA = kLastAck, sLI = kListen,
                   sSA = kSynAck;

using Row = std::array<TcpState, kTcpStateCount>;
// Rows per flag class in the kernel's order: syn, fin, ack, rst
// (tcp_state_idx picks RST first, then SYN, FIN, ACK). Columns are the
// current state, sNO..sSA.
struct Table {
  Row syn, fin, ack, rst;
};

// tcp_states[] of ip_vs_proto_tcp.c, verbatim.
constexpr Table kInput = {
    //    sNO  sES  sSS  sSR  sFW  sTW  sCL  sCW  sLA  sLI  sSA
    /*syn*/ {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},
    /*fin*/ {sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW},
    /*ack*/ {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
    /*rst*/ {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR},
};
constexpr Table kOutput = {
    /*syn*/ {sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR},
    /*fin*/ {sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW},
    /*ack*/ {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES},
    /*rst*/ {sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL},
};
constexpr Table kInputOnly = {
    /*syn*/ {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},
    /*fin*/ {sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW},
    /*ack*/ {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
    /*rst*/ {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL},
};

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;

}  // namespace

TcpState next_tcp_state(TcpState current, Direction dir, uint8_t flags) noexcept {
  const Table& t = dir == Direction::kInput    ? kInput
                   : dir == Direction::kOutput ? kOutput
                                               : kInputOnly;
  const auto col = static_cast<size_t>(current);
  if (col >= kTcpStateCount) return kClose;
  if (flags & kRst) return t.rst[col];
  if (flags & kSyn) return t.syn[col];
  if (flags & kFin) return t.fin[col];
  if (flags & kAck) return t.ack[col];
  return kClose;
}

std::string_view to_string(TcpState s) noexcept {
  static constexpr std::array<std::string_view, kTcpStateCount> kNames = {
      "NONE",  "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT",
      "CLOSE", "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "SYNACK"};
  const auto i = static_cast<size_t>(s);
  return i < kTcpStateCount ? kNames[i] : "ERR!";
}

}  // namespace lb::conn
