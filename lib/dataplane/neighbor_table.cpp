#include <lb/dataplane/neighbor_table.h>

#include <cstring>

namespace lb::dataplane {

namespace {

// Probes before a lookup gives up: bounds the time a worker can spend here
// when the table is nearly full (the table is sized at twice its expected use).
constexpr uint32_t kMaxProbes = 32;

}  // namespace

NeighborTable::NeighborTable(uint32_t size_pow2, NeighborParams params)
    : slots_(std::make_unique<Slot[]>(size_pow2)), mask_(size_pow2 - 1), params_(params) {}

uint64_t NeighborTable::pack(packet::MacAddr mac, NeighState st) noexcept {
  uint64_t v = 0;
  std::memcpy(&v, mac.bytes.data(), 6);
  return v | (uint64_t{static_cast<uint8_t>(st)} << 56);
}

packet::MacAddr NeighborTable::unpack_mac(uint64_t v) noexcept {
  packet::MacAddr mac;
  std::memcpy(mac.bytes.data(), &v, 6);
  return mac;
}

NeighborTable::Slot* NeighborTable::find(uint32_t ip_be) noexcept {
  uint32_t i = (ip_be * 0x9E3779B1u) & mask_;
  for (uint32_t n = 0; n < kMaxProbes && n <= mask_; ++n, i = (i + 1) & mask_) {
    const uint32_t cur = slots_[i].ip.load(std::memory_order_acquire);
    if (cur == ip_be) return &slots_[i];
    if (cur == 0) return nullptr;
  }
  return nullptr;
}

NeighborTable::Slot* NeighborTable::find_or_insert(uint32_t ip_be) noexcept {
  uint32_t i = (ip_be * 0x9E3779B1u) & mask_;
  for (uint32_t n = 0; n < kMaxProbes && n <= mask_; ++n, i = (i + 1) & mask_) {
    uint32_t cur = slots_[i].ip.load(std::memory_order_acquire);
    if (cur == 0 && slots_[i].ip.compare_exchange_strong(cur, ip_be, std::memory_order_acq_rel)) {
      return &slots_[i];  // mac_state is 0 until the first answer: read as incomplete
    }
    if (cur == ip_be) return &slots_[i];
  }
  return nullptr;
}

bool NeighborTable::claim_request(Slot& s, uint64_t now_ms, uint64_t interval_ms) noexcept {
  // Stored as now + 1 so that 0 means "never requested" even at time 0.
  uint64_t last = s.requested_ms.load(std::memory_order_relaxed);
  if (last != 0 && now_ms + 1 - last < interval_ms) return false;
  return s.requested_ms.compare_exchange_strong(last, now_ms + 1, std::memory_order_relaxed);
}

NeighborTable::Resolution NeighborTable::resolve(packet::Ipv4Addr ip, uint64_t now_ms) noexcept {
  Slot* s = find_or_insert(ip.be);
  if (s == nullptr) return {Resolution::kFull, {}};
  const uint64_t ms = s->mac_state.load(std::memory_order_acquire);
  const auto state = static_cast<NeighState>(ms >> 56);

  if (state == NeighState::kStatic) return {Resolution::kSend, unpack_mac(ms)};
  if (state == NeighState::kReachable) {
    Resolution r{Resolution::kSend, unpack_mac(ms)};
    const uint64_t age = now_ms - s->confirmed_ms.load(std::memory_order_relaxed);
    if (age < params_.reachable_ms * 3 / 4) return r;
    // Getting old: keep forwarding with the known MAC while asking it again,
    // so a live next hop never makes traffic wait.
    if (claim_request(*s, now_ms, params_.retry_ms)) {
      if (age >= params_.reachable_ms &&
          s->tries.fetch_add(1, std::memory_order_relaxed) >= params_.retries) {
        s->mac_state.store(pack({}, NeighState::kFailed), std::memory_order_release);
        return {Resolution::kUnreachable, {}};
      }
      r.send_request = true;
      r.unicast_request = true;
    }
    return r;
  }
  if (state == NeighState::kFailed) {
    // Try again after a retry interval, as a new resolution.
    if (!claim_request(*s, now_ms, params_.retry_ms)) return {Resolution::kUnreachable, {}};
    s->tries.store(1, std::memory_order_relaxed);
    s->mac_state.store(pack({}, NeighState::kIncomplete), std::memory_order_release);
    return {Resolution::kHold, {}, true, false};
  }
  // Incomplete (or just inserted).
  Resolution r{Resolution::kHold, {}};
  if (claim_request(*s, now_ms, params_.retry_ms)) {
    if (s->tries.fetch_add(1, std::memory_order_relaxed) >= params_.retries) {
      s->mac_state.store(pack({}, NeighState::kFailed), std::memory_order_release);
      return {Resolution::kUnreachable, {}};
    }
    r.send_request = true;
  }
  return r;
}

bool NeighborTable::learn(packet::Ipv4Addr ip, packet::MacAddr mac, uint64_t now_ms,
                          bool create) noexcept {
  if (ip.is_zero() || mac.is_multicast() || mac.is_zero()) return false;
  Slot* s = create ? find_or_insert(ip.be) : find(ip.be);
  if (s == nullptr) return false;
  const auto state = static_cast<NeighState>(s->mac_state.load(std::memory_order_acquire) >> 56);
  if (state == NeighState::kStatic) return false;
  s->confirmed_ms.store(now_ms, std::memory_order_relaxed);
  s->tries.store(0, std::memory_order_relaxed);
  s->mac_state.store(pack(mac, NeighState::kReachable), std::memory_order_release);
  return true;
}

void NeighborTable::add_static(packet::Ipv4Addr ip, packet::MacAddr mac) noexcept {
  if (Slot* s = find_or_insert(ip.be)) {
    s->mac_state.store(pack(mac, NeighState::kStatic), std::memory_order_release);
  }
}

}  // namespace lb::dataplane
