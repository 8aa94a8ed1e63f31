// TrafficBook: the control plane's view of traffic per real server, per
// service and in total, built from the data plane's raw counters.
//
// The data plane counts per real-server slot (DestRegistry) and never
// resets: workers are each counter's only writer. Everything ipvsadm adds on
// top is kept here, on the control thread:
// - zeroing (`ipvsadm -Z`): a baseline subtracted from the raw counts;
// - service counters: the sum of every slot the service ever had, so a real
//   server's traffic stays in its service's count after it is removed, as in
//   the kernel (svc->stats is counted separately from dest->stats); a service
//   created afresh starts at 0;
// - rates: one RateEstimator per slot, service and the total, sampled every
//   kSamplePeriodMs.
//
// Not thread-safe: control thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <tuple>
#include <vector>

#include <lb/stats/estimator.h>
#include <lb/stats/traffic.h>

namespace lb::stats {

// A virtual service as DestRegistry identities name it: protocol 0 and
// vip = the mark for firewall-mark services.
struct ServiceKey {
  uint8_t protocol = 0;
  uint32_t vip_host = 0;
  uint16_t vport = 0;
  friend auto operator<=>(const ServiceKey&, const ServiceKey&) = default;
};

class TrafficBook {
 public:
  // Raw counts of slot `slot` (summed over workers), and which service a
  // slot belongs to; `slots()` says how many slots exist so far.
  struct Source {
    std::function<uint32_t()> slots;
    std::function<Traffic(uint32_t slot)> raw;
    std::function<ServiceKey(uint32_t slot)> service_of;
  };

  explicit TrafficBook(Source source) : source_(std::move(source)) {}

  // The services configured now: new ones start at zero (with fresh
  // estimators), gone ones are forgotten. Call after each publication.
  void set_services(std::span<const ServiceKey> live);

  // Every kSamplePeriodMs (the caller keeps the period).
  void sample();

  // `ipvsadm -Z`: every counter and rate, or one service's and its real
  // servers'.
  void zero_all();
  void zero_service(const ServiceKey& key);

  Traffic dest(uint32_t slot) const;
  Rates dest_rates(uint32_t slot) const;
  // Counts of a service set_services() named (zero for others).
  Traffic service(const ServiceKey& key) const;
  // Every configured service's counts, in one pass over the slots.
  std::map<ServiceKey, Traffic> services() const;
  Rates service_rates(const ServiceKey& key) const;
  Traffic total() const;
  Rates total_rates() const { return total_.est.rates(); }

 private:
  struct Entry {
    Traffic baseline;
    RateEstimator est;
    bool fresh = false;  // added by set_services(), baseline not yet taken
  };
  // Slots seen so far get their entries (raw counts of a new slot are 0).
  void grow();
  // Raw sums per configured service (every slot it ever had), one pass.
  std::map<ServiceKey, Traffic> raw_by_service() const;
  Traffic raw_total() const;

  Source source_;
  std::vector<Entry> slots_;
  std::map<ServiceKey, Entry> services_;
  Entry total_;
};

}  // namespace lb::stats
