// sh: source hashing, after net/netfilter/ipvs/ip_vs_sh.c.
//
// 256 buckets filled by ip_vs_sh_reassign: walk the list, each dest taking
// `weight` consecutive buckets (a weight-0 dest still takes one, since the
// kernel moves on when ++count >= weight), wrapping around the list until all
// 256 are filled (weights summing past 256 starve the tail of the list).
//
// Key (ip_vs_sh_hashkey): (offset + hash_32(port + ntohl(saddr), 8)) & 255,
// the client's address, plus its source port (host order) with sh-port
// (kSchedFlag2). A dest with weight 0 or overloaded is unavailable (the
// AVAILABLE flag is not consulted):
// - without sh-fallback (kSchedFlag1) an unavailable bucket dest gives no dest;
// - with sh-fallback (ip_vs_sh_get_fallback) the probe for offset = 0..255 is
//   roffset = (offset + ihash) % 256 and bucket = hashkey(roffset) =
//   (roffset + ihash) & 255: the kernel adds the original hash twice, so the
//   probe runs over buckets 2 * ihash + offset, not from ihash + 1. The first
//   available dest wins.
//
// The table depends only on the configuration: built here, then only read,
// so any number of workers may call pick().
#include <array>

#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

constexpr unsigned kTabBits = 8;  // CONFIG_IP_VS_SH_TAB_BITS
constexpr uint32_t kTabSize = uint32_t{1} << kTabBits;
constexpr uint32_t kTabMask = kTabSize - 1;

class SourceHashing final : public Scheduler {
 public:
  explicit SourceHashing(const SchedulerConfig& config)
      : dests_(config.dests),
        fallback_((config.flags & kSchedFlag1) != 0),
        with_port_((config.flags & kSchedFlag2) != 0) {
    if (dests_.empty()) return;
    size_t p = 0;
    uint32_t count = 0;
    for (uint32_t& bucket : buckets_) {
      bucket = static_cast<uint32_t>(p);
      if (++count >= dests_[p].weight) {
        p = (p + 1) % dests_.size();
        count = 0;
      }
    }
  }

  // pick() only reads (the configuration and the live counters).
  int32_t peek(const PickInput& in) noexcept override { return pick(in); }

  int32_t pick(const PickInput& in) noexcept override {
    if (dests_.empty()) return kNoDest;
    const uint32_t port = with_port_ ? packet::ntoh16(in.flow.sport) : 0;
    const uint32_t ihash = kernel::hash_32(port + packet::ntoh32(in.flow.src), kTabBits);
    const uint32_t first = buckets_[ihash];
    if (dests_[first].usable()) return static_cast<int32_t>(first);
    if (!fallback_) return kNoDest;
    for (uint32_t offset = 0; offset < kTabSize; ++offset) {
      const uint32_t roffset = (offset + ihash) % kTabSize;
      const uint32_t i = buckets_[(roffset + ihash) & kTabMask];
      if (dests_[i].usable()) return static_cast<int32_t>(i);
    }
    return kNoDest;
  }

 private:
  std::span<const Dest> dests_;
  bool fallback_;
  bool with_port_;
  std::array<uint32_t, kTabSize> buckets_{};
};

}  // namespace

std::unique_ptr<Scheduler> make_sh(const SchedulerConfig& config) {
  return std::make_unique<SourceHashing>(config);
}

}  // namespace lb::sched
