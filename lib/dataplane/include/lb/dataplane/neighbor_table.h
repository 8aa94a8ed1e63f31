// The neighbor (ARP) table: next hop IPv4 address -> MAC, shared by all
// workers and the control thread.
//
// Workers both read it (every forwarded packet) and write it (learning from
// ARP, claiming the right to send a request), so it is lock-free:
// - a slot is claimed once by CAS on its address (0 = empty) and never freed,
//   so readers can walk probe chains without a grace period;
// - MAC and state share one 64-bit atomic, so a reader sees either the old or
//   the new binding, never half of each;
// - who sends the next ARP request is decided by CAS on `requested_ms`, so one
//   request goes out per retry interval however many workers want the hop.
// Stale bindings are refreshed by unicast ARP before they expire while in use,
// as Linux's "probe on use" does.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include <lb/packet/addr.h>

namespace lb::dataplane {

enum class NeighState : uint8_t {
  kIncomplete = 1,  // requested, no answer yet
  kReachable = 2,   // answered within reachable_ms
  kFailed = 3,      // retries exhausted; packets to it are dropped until the next retry
  kStatic = 4,      // configured; never expires
};

struct NeighborParams {
  uint32_t reachable_ms = 300000;
  uint32_t retry_ms = 1000;
  uint32_t retries = 3;
};

class NeighborTable {
 public:
  // What a worker should do with a packet for a next hop.
  struct Resolution {
    enum Kind : uint8_t {
      kSend,         // mac is valid
      kHold,         // resolving: hold the packet
      kUnreachable,  // failed: drop (neighbor_unreachable)
      kFull,         // no slot: drop (neighbor_table_full)
    } kind;
    packet::MacAddr mac;
    // Set when the caller must send an ARP request now (it won the claim):
    // broadcast when resolving, unicast to `mac` when refreshing a binding.
    bool send_request = false;
    bool unicast_request = false;
  };

  NeighborTable(uint32_t size_pow2, NeighborParams params);

  Resolution resolve(packet::Ipv4Addr ip, uint64_t now_ms) noexcept;

  // An ARP packet told us ip is at mac. Updates an existing entry (unless
  // static); creates one only when `create` (the ARP was addressed to us).
  // Returns true when an entry was created or updated.
  bool learn(packet::Ipv4Addr ip, packet::MacAddr mac, uint64_t now_ms, bool create) noexcept;

  void add_static(packet::Ipv4Addr ip, packet::MacAddr mac) noexcept;

  // Control-side inspection.
  struct Entry {
    packet::Ipv4Addr ip;
    packet::MacAddr mac;
    NeighState state;
    uint64_t confirmed_ms;
  };
  template <class F>
  void for_each(F&& f) const {
    for (uint32_t i = 0; i <= mask_; ++i) {
      const Slot& s = slots_[i];
      const uint32_t ip = s.ip.load(std::memory_order_acquire);
      if (ip == 0) continue;
      const uint64_t ms = s.mac_state.load(std::memory_order_acquire);
      f(Entry{packet::Ipv4Addr{ip}, unpack_mac(ms), static_cast<NeighState>(ms >> 56),
              s.confirmed_ms.load(std::memory_order_relaxed)});
    }
  }

 private:
  struct alignas(64) Slot {
    std::atomic<uint32_t> ip{0};
    std::atomic<uint32_t> tries{0};
    std::atomic<uint64_t> mac_state{0};  // MAC in the low 48 bits, NeighState in the top byte
    std::atomic<uint64_t> confirmed_ms{0};
    std::atomic<uint64_t> requested_ms{0};
  };

  static uint64_t pack(packet::MacAddr mac, NeighState st) noexcept;
  static packet::MacAddr unpack_mac(uint64_t v) noexcept;
  Slot* find(uint32_t ip_be) noexcept;
  Slot* find_or_insert(uint32_t ip_be) noexcept;
  // Claims the right to send the next request: true for exactly one caller per interval.
  bool claim_request(Slot& s, uint64_t now_ms, uint64_t interval_ms) noexcept;

  std::unique_ptr<Slot[]> slots_;
  uint32_t mask_;
  NeighborParams params_;
};

}  // namespace lb::dataplane
