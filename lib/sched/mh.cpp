// mh: Maglev consistent hashing, after net/netfilter/ipvs/ip_vs_mh.c.
//
// The table (4093 slots) is built in the constructor from each real server's
// last_weight (the latest non-zero weight), so a server set to weight 0 keeps
// its slots and lookups landing there fail, or fall back with mh-fallback;
// a server added with weight 0 takes no slot. Each server's preference list
// is offset = h(key1) % 4093, skip = h(key2) % 4092 + 1; population claims
// slots in rounds over the list, each server taking `turns` slots per round,
// turns = (last_weight / gcd) >> rshift (at least 1), rshift keeping
// max/gcd within IP_VS_MH_TAB_BITS bits (ip_vs_mh.c:122-231, 322-370).
//
// Lookup: slot h(key1, client address, port) % 4093, port = the client's
// source port with mh-port (kSchedFlag2), else 0. A slot whose server has
// weight 0 or is over its connection threshold gives no server, or with
// mh-fallback (kSchedFlag1) the first usable server of the re-hashes with
// offsets ihash, ihash+1, ... (ip_vs_mh.c:236-285).
//
// The table is immutable after construction: any number of workers read it.
#include <lb/sched/mh.h>

#include <algorithm>
#include <bit>
#include <numeric>
#include <stdexcept>

#include <lb/packet/addr.h>
#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace mh {

namespace {

struct DestSetup {
  uint32_t offset;
  uint32_t skip;
  uint32_t perm;
  uint32_t turns;
};

// fls(): position of the highest set bit, 1-based; 0 for 0.
int fls(uint32_t v) {
  return v == 0 ? 0 : 32 - std::countl_zero(v);
}

}  // namespace

std::vector<int32_t> build_table(std::span<const Dest> dests) {
  if (dests.size() > kTableSize) {
    throw std::invalid_argument("mh: more than 4093 real servers in one service");
  }
  std::vector<int32_t> table(kTableSize, kNoDest);

  // ip_vs_mh_gcd_weight / ip_vs_mh_shift_weight.
  uint32_t gcd = 0;
  uint32_t max_weight = 0;
  for (const Dest& d : dests) {
    if (d.last_weight > 0) gcd = gcd > 0 ? std::gcd(d.last_weight, gcd) : d.last_weight;
    max_weight = std::max(max_weight, d.last_weight);
  }
  if (gcd < 1) return table;  // ip_vs_mh_reset: an empty table
  const int rshift = std::max(fls(max_weight / gcd) - kTableBits, 0);

  // ip_vs_mh_permutate.
  std::vector<DestSetup> setup;
  setup.reserve(dests.size());
  for (const Dest& d : dests) {
    const uint32_t addr = d.addr.host();
    const uint16_t port = packet::ntoh16(d.port_be);
    const uint32_t offset = hashkey(addr, port, kKey1, 0) % kTableSize;
    const uint32_t skip = hashkey(addr, port, kKey2, 0) % (kTableSize - 1) + 1;
    const uint32_t turns = (d.last_weight / gcd) >> rshift;
    setup.push_back({offset, skip, offset, turns != 0 ? turns : (d.last_weight != 0 ? 1u : 0u)});
  }

  // ip_vs_mh_populate: rounds over the list until every slot is taken.
  std::vector<bool> taken(kTableSize, false);
  uint32_t n = 0;
  uint32_t dt_count = 0;
  while (n < kTableSize) {
    for (size_t i = 0; i < dests.size();) {
      DestSetup& ds = setup[i];
      if (ds.turns < 1) {
        ++i;
        continue;
      }
      uint32_t c = ds.perm;
      while (taken[c]) {
        ds.perm += ds.skip;
        if (ds.perm >= kTableSize) ds.perm -= kTableSize;
        c = ds.perm;
      }
      taken[c] = true;
      table[c] = static_cast<int32_t>(i);
      if (++n == kTableSize) return table;
      if (++dt_count >= ds.turns) {
        dt_count = 0;
        ++i;
      }
    }
  }
  return table;
}

}  // namespace mh

namespace {

class MaglevHashing final : public Scheduler {
 public:
  explicit MaglevHashing(const SchedulerConfig& config)
      : dests_(config.dests),
        table_(mh::build_table(config.dests)),
        fallback_((config.flags & kSchedFlag1) != 0),
        use_port_((config.flags & kSchedFlag2) != 0) {}

  // pick() only reads (the configuration and the live counters).
  int32_t peek(const PickInput& in) noexcept override { return pick(in); }

  int32_t pick(const PickInput& in) noexcept override {
    const uint32_t addr = packet::ntoh32(in.flow.src);
    const uint16_t port = use_port_ ? client_port(in.flow) : 0;
    const uint32_t ihash = mh::hashkey(addr, port, mh::kKey1, 0) % mh::kTableSize;
    const int32_t first = table_[ihash];
    if (first == kNoDest) return kNoDest;  // empty table
    if (usable(first)) return first;
    if (!fallback_) return kNoDest;
    for (uint32_t offset = 0; offset < mh::kTableSize; ++offset) {
      const uint32_t roffset = (offset + ihash) % mh::kTableSize;
      const int32_t i = table_[mh::hashkey(addr, port, mh::kKey1, roffset) % mh::kTableSize];
      if (i == kNoDest) break;
      if (usable(i)) return i;
    }
    return kNoDest;
  }

 private:
  // ip_vs_mh_get_port: the source port of TCP, UDP and SCTP packets, else 0.
  static uint16_t client_port(const packet::FlowKeyV4& flow) noexcept {
    constexpr uint8_t kTcp = 6, kUdp = 17, kSctp = 132;
    if (flow.proto != kTcp && flow.proto != kUdp && flow.proto != kSctp) return 0;
    return packet::ntoh16(flow.sport);
  }

  // !is_unavailable (ip_vs_mh.c:81-86): weight > 0 and not overloaded.
  bool usable(int32_t i) const noexcept { return dests_[static_cast<size_t>(i)].usable(); }

  std::span<const Dest> dests_;
  std::vector<int32_t> table_;
  bool fallback_;
  bool use_port_;
};

}  // namespace

std::unique_ptr<Scheduler> make_mh(const SchedulerConfig& config) {
  return std::make_unique<MaglevHashing>(config);
}

}  // namespace lb::sched
