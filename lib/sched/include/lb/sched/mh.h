// mh: Maglev hashing as net/netfilter/ipvs/ip_vs_mh.c computes it, exposed so
// tests (and lbctl) can see the lookup table the scheduler indexes.
//
// Pure functions, control thread (build_table allocates).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <lb/sched/dest.h>
#include <lb/sched/siphash.h>

namespace lb::sched::mh {

// IP_VS_MH_TAB_SIZE with the default CONFIG_IP_VS_MH_TAB_INDEX 12: primes[4]
// (ip_vs_mh.c:50-59), and IP_VS_MH_TAB_BITS = 12 / 2.
inline constexpr uint32_t kTableSize = 4093;
inline constexpr int kTableBits = 6;

// generate_hash_secret (ip_vs_mh.c:70-78): fixed, not random.
inline constexpr kernel::SipKey kKey1{2654435761u, 2654435761u};
inline constexpr kernel::SipKey kKey2{2654446892u, 2654446892u};

// ip_vs_mh_hashkey (ip_vs_mh.c:89-102): hsiphash of the u32
// v = offset + port + addr (host order, mod 2^32).
constexpr uint32_t hashkey(uint32_t addr_host, uint16_t port_host, kernel::SipKey key,
                           uint32_t offset) noexcept {
  return kernel::hsiphash_u32(offset + port_host + addr_host, key);
}

// The lookup table: for each of the kTableSize slots, the index in `dests`
// (kernel order, newest first) of the real server owning it, or -1 for every
// slot when no real server has last_weight > 0. Throws std::invalid_argument
// with more than kTableSize real servers (the kernel refuses them, -EINVAL).
std::vector<int32_t> build_table(std::span<const Dest> dests);

}  // namespace lb::sched::mh
