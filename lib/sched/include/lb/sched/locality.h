// The lblc/lblcr locality caches: their kernel constants, and a read-only
// view of a scheduler's cache for tests and lbctl.
//
// The view functions allocate: control thread only, never on the hot path.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <lb/packet/addr.h>
#include <lb/sched/scheduler.h>

namespace lb::sched::locality {

// ip_vs_lblc.c / ip_vs_lblcr.c (identical constants, :55-81 and :368).
inline constexpr int kTableBits = 10;                   // CONFIG_IP_VS_LBLC_TAB_BITS
inline constexpr uint32_t kBuckets = 1u << kTableBits;  // 1024
inline constexpr int32_t kMaxSize = static_cast<int32_t>(kBuckets) * 16;  // tbl->max_size
// 6.12.105+ ("bound LBLCR and LBLC cache growth"): no new entry once the
// table holds max_size * 3 / 2 entries.
inline constexpr int32_t kEntryLimit = kMaxSize * 3 / 2;        // 24576
inline constexpr uint64_t kCheckIntervalMs = 60 * 1000;         // CHECK_EXPIRE_INTERVAL
inline constexpr uint64_t kEntryTimeoutMs = 6 * 60 * 1000;      // ENTRY_TIMEOUT
inline constexpr uint64_t kExpirationMs = 24 * 60 * 60 * 1000;  // DEFAULT_EXPIRATION (sysctl)
inline constexpr int kCountForFullExpiration = 30;              // COUNT_FOR_FULL_EXPIRATION

// lbd's bounds where the kernel has linked lists (see lblc.cpp, lblcr.cpp):
// a bucket holds at most kWays entries, an lblcr set at most kSetBound members.
inline constexpr uint32_t kWays = 64;
inline constexpr uint32_t kSetBound = 8;

struct Entry {
  // The cached real servers by registry slot (Dest::id): lblc's one server,
  // or lblcr's set, newest member first.
  std::vector<uint32_t> dest_ids;
  uint64_t lastuse_ms = 0;
  uint64_t lastmod_ms = 0;  // lblcr: when the set last changed
};

// The number of entries in the cache, or nullopt when `s` is neither lblc nor
// lblcr.
std::optional<uint32_t> entries(const Scheduler& s) noexcept;
// The entry for destination address `dst`, or nullopt when there is none (or
// `s` is neither lblc nor lblcr).
std::optional<Entry> lookup(const Scheduler& s, packet::Ipv4Addr dst);

}  // namespace lb::sched::locality
