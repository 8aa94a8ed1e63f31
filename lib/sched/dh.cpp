// dh: destination hashing, after net/netfilter/ipvs/ip_vs_dh.c.
//
// 256 buckets; bucket i holds list element i mod n (round robin over the
// list, weights ignored; ip_vs_dh_reassign). The key is the packet's
// destination address: bucket = hash_32(ntohl(daddr), 8). The bucket's dest is
// returned only if its weight is > 0 and it is not overloaded; otherwise no
// dest, with no fallback. (The kernel also tests the AVAILABLE flag, which
// only a deleted dest lacks, and deleted dests are not in a snapshot's list.)
//
// The table depends only on the configuration: built here, then only read,
// so any number of workers may call pick().
#include <array>

#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

constexpr unsigned kTabBits = 8;  // CONFIG_IP_VS_DH_TAB_BITS
constexpr size_t kTabSize = size_t{1} << kTabBits;

class DestinationHashing final : public Scheduler {
 public:
  explicit DestinationHashing(const SchedulerConfig& config) : dests_(config.dests) {
    for (size_t i = 0; i < kTabSize && !dests_.empty(); ++i)
      buckets_[i] = static_cast<uint32_t>(i % dests_.size());
  }

  // pick() only reads (the configuration and the live counters).
  int32_t peek(const PickInput& in) noexcept override { return pick(in); }

  int32_t pick(const PickInput& in) noexcept override {
    if (dests_.empty()) return kNoDest;
    const uint32_t bucket = kernel::hash_32(packet::ntoh32(in.flow.dst), kTabBits);
    const uint32_t i = buckets_[bucket];
    return dests_[i].usable() ? static_cast<int32_t>(i) : kNoDest;
  }

 private:
  std::span<const Dest> dests_;
  std::array<uint32_t, kTabSize> buckets_{};
};

}  // namespace

std::unique_ptr<Scheduler> make_dh(const SchedulerConfig& config) {
  return std::make_unique<DestinationHashing>(config);
}

}  // namespace lb::sched
