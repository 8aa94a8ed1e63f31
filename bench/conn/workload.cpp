#include "workload.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include <rte_lcore.h>

#include "bench_util.h"

namespace lb::bench {

namespace {

using dataplane::ConnTable;
using packet::FlowKeyV4;

const packet::Ipv4Addr kVip = packet::Ipv4Addr::from_octets(198, 18, 1, 100);

// The murmur3 finaliser: a bijection on 32 bits, so connection numbers map
// to distinct, well-spread clients.
constexpr uint32_t spread(uint32_t h) noexcept {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

// Client `n`: its 32 spread bits become a 10/8 source address and one of 256
// source ports, so no client key equals another's, or any reply key (whose
// source is the real server, in 198.18/15).
FlowKeyV4 client_key(uint32_t n) {
  const uint32_t v = spread(n);
  FlowKeyV4 k;
  k.src = packet::Ipv4Addr::from_host(0x0a000000u | (v & 0x00ffffffu)).be;
  k.dst = kVip.be;
  k.sport = packet::hton16(static_cast<uint16_t>(1024 + (v >> 24)));
  k.dport = packet::hton16(80);
  k.proto = packet::kIpProtoUdp;
  return k;
}

conn::Connection* create(Lbd& l, const FlowKeyV4& k, uint64_t now) {
  static const conn::Timeouts timeouts;
  dataplane::Drop why = dataplane::Drop::conn_table_full;
  ConnTable& t = *l.table;
  conn::Connection* c =
      t.create(k, t.hash(k), l.dests->nat, l.dests->nat.port_be, 0, 0, now, timeouts, why);
  if (c == nullptr) {
    throw std::runtime_error(
        fmt::format("connection refused with {} of {} in use ({})", t.stats().in_use, t.capacity(),
                    why == dataplane::Drop::conn_conflict ? "reply-key conflict" : "table full"));
  }
  return c;
}

}  // namespace

Workload make_workload(uint32_t capacity, uint64_t misses, std::mt19937_64& rng) {
  Workload w;
  w.capacity = capacity;
  w.client.resize(capacity);
  w.reply.resize(capacity);
  // reply_key() itself, so these are exactly the keys the table inserts.
  const Dests d;
  conn::Connection c;
  c.rs_addr_be = d.nat.addr.be;
  c.rs_port_be = d.nat.port_be;
  for (uint32_t n = 0; n < capacity; ++n) {
    w.client[n] = client_key(n);
    c.client = w.client[n];
    w.reply[n] = c.reply_key();
  }
  const uint64_t keys = 2 * uint64_t{capacity};
  w.hit_id.resize(keys);
  std::iota(w.hit_id.begin(), w.hit_id.end(), 0u);
  std::shuffle(w.hit_id.begin(), w.hit_id.end(), rng);
  w.hit.resize(keys);
  w.stay.reserve(keys / 2);
  for (size_t j = 0; j < keys; ++j) {
    const uint32_t id = w.hit_id[j];
    w.hit[j] = (id & 1) ? w.reply[id >> 1] : w.client[id >> 1];
    if ((id >> 1) & 1) w.stay.push_back(w.hit[j]);
  }
  w.miss.resize(misses);
  for (uint64_t j = 0; j < misses; ++j)
    w.miss[j] = client_key(static_cast<uint32_t>(capacity + j));
  return w;
}

Dests::Dests()
    : nat{.id = 0,
          .addr = packet::Ipv4Addr::from_octets(198, 18, 2, 11),
          .port_be = packet::hton16(8080),
          .weight = 1,
          .last_weight = 1,
          .forward = sched::ForwardMethod::kNat,
          .counters = &counters} {
  counters.in_service = true;
}

Lbd::Lbd(const std::string& name, uint32_t capacity, rte_rcu_qsbr* qsbr)
    : dests(std::make_unique<Dests>()),
      table(std::make_unique<ConnTable>(name, capacity, static_cast<int>(rte_socket_id()), qsbr,
                                        &dests->counters)) {}

Fill timed_fill(Lbd& l, const Workload& w, std::vector<uint32_t>& index) {
  const uint32_t n90 = w.capacity / 10 * 9;
  ConnTable& t = *l.table;
  const auto t0 = Clock::now();
  for (uint32_t n = 0; n < n90; ++n)
    index[n] = t.index_of(*create(l, w.client[n], created_at(n)));
  const auto t90 = Clock::now();
  for (uint32_t n = n90; n < w.capacity; ++n)
    index[n] = t.index_of(*create(l, w.client[n], created_at(n)));
  const auto t1 = Clock::now();
  return {seconds(t0, t1) * 1e9 / w.capacity, seconds(t90, t1) * 1e9 / (w.capacity - n90)};
}

void refill(Lbd& l, const Workload& w, bool even_only) {
  for (uint32_t n = 0; n < w.capacity; n += even_only ? 2 : 1)
    create(l, w.client[n], created_at(n));
}

void verify_all(Lbd& l, const Workload& w, const std::vector<uint32_t>& index) {
  ConnTable& t = *l.table;
  if (t.stats().in_use != w.capacity) {
    throw std::runtime_error(
        fmt::format("{} connections in use after inserting {}", t.stats().in_use, w.capacity));
  }
  for (uint32_t n = 0; n < w.capacity; ++n) {
    const auto c = t.lookup(w.client[n], t.hash(w.client[n]));
    const auto r = t.lookup(w.reply[n], t.hash(w.reply[n]));
    if (c.conn != &t.at(index[n]) || c.reply || r.conn != &t.at(index[n]) || !r.reply) {
      throw std::runtime_error(
          fmt::format("connection {} of {}: an inserted key was not found", n, w.capacity));
    }
  }
}

}  // namespace lb::bench
