// lbd-gen: the benchmark's traffic generator, on DPDK.
//
//   lbd-gen [EAL options] -- --tx-port 0 --rx-port 1 --dst-mac MAC --method nat
//       --real 198.18.2.11,198.18.2.12 --real-port 8080 --flows 10000 --size 64
//       --duration 5 [--rate PPS] [--kind udp|syn|ack] [--warmup-flows]
//       [--queues N] [--hold]
//
// Sends the clients' packets (traffic.h) on the tx port toward lbd and
// receives what lbd forwarded on the rx port, where every frame is checked
// (verify.h) and, when stamped, timed. One lcore does both: on this 2-core
// machine lbd's worker has the other. At the end it prints one JSON object:
// packets and bytes sent and received, rates, faults by name, frames per real
// server, latency percentiles (ns), and what the tx port itself received.
// With --wait-go it prints {"phase": "ready"} before measuring and waits
// for a line on stdin, so a harness can read lbd's own counters while
// nothing is in flight (and after the report, for the interval's deltas).
//
// With --hold it keeps draining both ports after the report until SIGINT or
// SIGTERM: DPDK 22.11's memif crashes the survivor when its peer disconnects
// while it polls, so the harness stops lbd and the generator together.
//
// Latency is the generator's TSC at receive minus the TSC stamped at
// transmit: one clock, no synchronisation, includes both ports' rings.
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <lb/gen/latency.h>
#include <lb/gen/traffic.h>
#include <lb/gen/verify.h>

namespace {

using lb::gen::Fault;
using nlohmann::json;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

constexpr uint16_t kBurst = 32;
constexpr uint16_t kRing = 1024;

struct Options {
  uint16_t tx_port = 0, rx_port = 1;
  std::string dst_mac;
  std::string method = "nat";
  std::vector<std::string> reals;
  uint16_t real_port = 0;
  std::string kind = "udp";
  uint32_t flows = 1000;
  uint32_t clients = 256;
  std::string size = "64";
  double duration_s = 5;
  double rate_pps = 0;  // 0: as fast as the port takes them
  std::string vip = "198.18.1.100";
  uint16_t vport = 80;
  bool warmup_flows = false;
  double warmup_rate_pps = 1e6;  // slow enough that lbd makes every flow's connection
  uint16_t queues = 1;           // per port: one per lbd worker, flows spread over them
  bool hold = false;
  bool wait_go = false;
  uint64_t count = 0;  // stop after this many measured frames (0: by --duration only)
  uint32_t mbufs = 16383;
};

void start_port(uint16_t port, uint16_t queues, rte_mempool* pool) {
  rte_eth_conf conf{};
  if (int rc = rte_eth_dev_configure(port, queues, queues, &conf); rc != 0) {
    throw std::runtime_error(fmt::format("port {}: configure: {}", port, rte_strerror(-rc)));
  }
  const int socket = rte_eth_dev_socket_id(port);
  const auto socket_id = static_cast<unsigned>(socket < 0 ? 0 : socket);
  for (uint16_t q = 0; q < queues; ++q) {
    if (int rc = rte_eth_rx_queue_setup(port, q, kRing, socket_id, nullptr, pool); rc != 0) {
      throw std::runtime_error(fmt::format("port {}: rx queue {}: {}", port, q, rte_strerror(-rc)));
    }
    if (int rc = rte_eth_tx_queue_setup(port, q, kRing, socket_id, nullptr); rc != 0) {
      throw std::runtime_error(fmt::format("port {}: tx queue {}: {}", port, q, rte_strerror(-rc)));
    }
  }
  if (int rc = rte_eth_dev_start(port); rc != 0) {
    throw std::runtime_error(fmt::format("port {}: start: {}", port, rte_strerror(-rc)));
  }
}

// Until both links are up (a memif peer connects) or 30 s.
void wait_links(std::initializer_list<uint16_t> ports) {
  const uint64_t deadline = rte_get_tsc_cycles() + 30 * rte_get_tsc_hz();
  for (uint16_t port : ports) {
    rte_eth_link link{};
    while (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == 0) {
      if (rte_get_tsc_cycles() > deadline || g_stop) {
        throw std::runtime_error(fmt::format("port {}: link down after 30 s", port));
      }
      rte_delay_ms(10);
    }
  }
}

lb::gen::Kind parse_kind(const std::string& text) {
  if (text == "udp") return lb::gen::Kind::kUdp;
  if (text == "syn") return lb::gen::Kind::kTcpSyn;
  if (text == "ack") return lb::gen::Kind::kTcpAck;
  throw CLI::ValidationError("--kind", "expected udp, syn or ack, got " + text);
}

lb::gen::Method parse_method(const std::string& text) {
  if (text == "nat") return lb::gen::Method::kNat;
  if (text == "dr") return lb::gen::Method::kDirectRoute;
  if (text == "tun") return lb::gen::Method::kTunnel;
  if (text == "unchanged") return lb::gen::Method::kUnchanged;
  throw CLI::ValidationError("--method", "expected nat, dr, tun or unchanged, got " + text);
}

lb::packet::Ipv4Addr address(const std::string& text, const char* what) {
  const auto addr = lb::packet::Ipv4Addr::parse(text);
  if (!addr) throw CLI::ValidationError(what, "expected an IPv4 address, got " + text);
  return *addr;
}

struct Counters {
  uint64_t tx_packets = 0, tx_bytes = 0;
  uint64_t rx_packets = 0, rx_bytes = 0;
  uint64_t tx_ring_full = 0;  // frames the forwarder's ring did not take
  uint64_t tx_port_rx = 0;    // what lbd sent back toward the clients (ARP, ICMP)
  std::array<uint64_t, static_cast<size_t>(Fault::kCount)> faults{};
  std::vector<uint64_t> per_real;
  lb::gen::LatencyHistogram latency;
};

// What to do with the frames a full ring did not take.
enum class FullRing : uint8_t {
  // Offer them again (same flows, in order): the forwarder's own pace, every
  // flow offered once per cycle (SYN: every SYN a new flow). One queue only,
  // or a slow queue stalls the flows of every other.
  kWait,
  // Lose and count them, as a NIC's RX ring drops when its poller is
  // behind: for several queues.
  kDrop,
};

// Offers up to n frames of consecutive flows in one burst; returns how many
// count as offered (taken, or lost with kDrop). Flow f always leaves on
// queue (f / kBurst) % queues, as a NIC's RSS keeps a flow on one queue: a
// burst never crosses a block of kBurst flows.
uint16_t send_burst(uint16_t port, uint16_t queues, FullRing full, rte_mempool* pool,
                    const lb::gen::TrafficSpec& spec, lb::gen::SizeMix& sizes, uint32_t& next_flow,
                    uint32_t& seq, uint16_t n, Counters& c) {
  n = static_cast<uint16_t>(
      std::min<uint32_t>({n, kBurst - next_flow % kBurst, spec.flows - next_flow}));
  const auto queue = static_cast<uint16_t>((next_flow / kBurst) % queues);
  std::array<rte_mbuf*, kBurst> burst;
  if (rte_pktmbuf_alloc_bulk(pool, burst.data(), n) != 0) return 0;
  const uint64_t now = rte_rdtsc();
  const uint32_t first_flow = next_flow;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = burst[i];
    const std::span<uint8_t> room{rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m)};
    const size_t len = lb::gen::write_frame(room, spec, first_flow + i, seq++, now, sizes.next());
    m->data_len = static_cast<uint16_t>(len);
    m->pkt_len = static_cast<uint32_t>(len);
  }
  const uint16_t sent = rte_eth_tx_burst(port, queue, burst.data(), n);
  for (uint16_t i = 0; i < sent; ++i) {
    c.tx_bytes += burst[i]->pkt_len + lb::gen::kFcsBytes;
  }
  c.tx_packets += sent;
  if (sent < n) rte_pktmbuf_free_bulk(burst.data() + sent, n - sent);
  uint16_t offered = n;
  if (full == FullRing::kWait) {
    seq -= n - sent;
    offered = sent;
  } else {
    c.tx_ring_full += n - sent;
  }
  next_flow = first_flow + offered == spec.flows ? 0 : first_flow + offered;
  return offered;
}

// Receives one burst from every queue of `port`; counts and checks the
// frames only when `count`.
uint32_t receive(uint16_t port, uint16_t queues, const lb::gen::Expectation& expect,
                 double ns_per_tsc, bool count, Counters& c) {
  std::array<rte_mbuf*, kBurst> burst;
  uint32_t received = 0;
  for (uint16_t q = 0; q < queues; ++q) {
    const uint16_t n = rte_eth_rx_burst(port, q, burst.data(), kBurst);
    const uint64_t now = rte_rdtsc();
    for (uint16_t i = 0; i < n && count; ++i) {
      rte_mbuf* m = burst[i];
      const std::span<const uint8_t> frame{rte_pktmbuf_mtod(m, const uint8_t*), m->data_len};
      const auto r = lb::gen::verify_frame(frame, expect);
      ++c.faults[static_cast<size_t>(r.fault)];
      ++c.rx_packets;
      c.rx_bytes += m->pkt_len + lb::gen::kFcsBytes;
      if (r.fault == Fault::none && r.real_server < c.per_real.size()) ++c.per_real[r.real_server];
      if (r.stamped && r.fault == Fault::none && now > r.tx_tsc) {
        c.latency.record(static_cast<uint64_t>(static_cast<double>(now - r.tx_tsc) * ns_per_tsc));
      }
    }
    rte_pktmbuf_free_bulk(burst.data(), n);
    received += n;
  }
  return received;
}

// Paces transmission at `pps` (0: open throttle): how many frames are due.
class Pacer {
 public:
  Pacer(double pps, uint64_t start)
      : tsc_per_packet_(pps > 0 ? static_cast<double>(rte_get_tsc_hz()) / pps : 0),
        due_at_(static_cast<double>(start)) {}
  uint16_t due(uint64_t now) const noexcept {
    if (tsc_per_packet_ == 0) return kBurst;
    const double n = (static_cast<double>(now) - due_at_) / tsc_per_packet_;
    return static_cast<uint16_t>(std::clamp(n, 0.0, static_cast<double>(kBurst)));
  }
  void sent(uint16_t n) noexcept { due_at_ += n * tsc_per_packet_; }

 private:
  double tsc_per_packet_;
  double due_at_;  // the TSC the next frame is due at
};

json report(const Options& o, const Counters& c, double seconds) {
  json faults = json::object();
  for (size_t i = 1; i < c.faults.size(); ++i) {
    faults[lb::gen::fault_name(static_cast<Fault>(i))] = c.faults[i];
  }
  const auto rate = [&](uint64_t v) { return seconds > 0 ? static_cast<double>(v) / seconds : 0; };
  return {{"method", o.method},
          {"kind", o.kind},
          {"flows", o.flows},
          {"size", o.size},
          {"seconds", seconds},
          {"tx_packets", c.tx_packets},
          {"tx_ring_full", c.tx_ring_full},
          {"tx_bytes", c.tx_bytes},
          {"rx_packets", c.rx_packets},
          {"rx_bytes", c.rx_bytes},
          {"rx_ok", c.faults[0]},
          {"tx_pps", rate(c.tx_packets)},
          {"rx_pps", rate(c.rx_packets)},
          {"rx_gbps", rate(c.rx_bytes) * 8 / 1e9},
          {"faults", faults},
          {"per_real_server", c.per_real},
          {"tx_port_received", c.tx_port_rx},
          {"queues", o.queues},
          {"latency_ns",
           {{"samples", c.latency.count()},
            {"min", c.latency.min()},
            {"p50", c.latency.percentile(50)},
            {"p99", c.latency.percentile(99)},
            {"p99.9", c.latency.percentile(99.9)},
            {"max", c.latency.max()}}}};
}

int run(const Options& o) {
  lb::gen::TrafficSpec spec;
  spec.kind = parse_kind(o.kind);
  spec.flows = std::max<uint32_t>(o.flows, 1);
  spec.clients = std::max<uint32_t>(o.clients, 1);
  spec.vip = address(o.vip, "--vip");
  spec.vport = o.vport;
  if (spec.flows > lb::gen::max_flows(spec)) {
    throw CLI::ValidationError("--flows", fmt::format("at most {} with --clients {}",
                                                      lb::gen::max_flows(spec), spec.clients));
  }
  const auto mac = lb::packet::MacAddr::parse(o.dst_mac);
  if (!mac) throw CLI::ValidationError("--dst-mac", "expected lbd's port MAC, got " + o.dst_mac);
  spec.dst_mac = *mac;
  lb::gen::Expectation expect;
  expect.method = parse_method(o.method);
  expect.sent = spec;
  for (const auto& r : o.reals)
    expect.real_servers.push_back(address(r, "--real"));
  expect.real_port = o.real_port;
  auto sizes = o.size == "imix" ? lb::gen::SizeMix::imix()
                                : lb::gen::SizeMix::fixed(static_cast<uint16_t>(std::stoi(o.size)));

  rte_mempool* pool = rte_pktmbuf_pool_create(
      "gen_mbufs", o.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
  if (pool == nullptr)
    throw std::runtime_error("mbuf pool: " + std::string(rte_strerror(rte_errno)));
  for (uint16_t port : {o.tx_port, o.rx_port}) {
    if (!rte_eth_dev_is_valid_port(port)) {
      throw std::runtime_error(
          fmt::format("port {}: no such port ({} probed)", port, rte_eth_dev_count_avail()));
    }
  }
  start_port(o.tx_port, o.queues, pool);
  if (o.rx_port != o.tx_port) start_port(o.rx_port, o.queues, pool);
  rte_ether_addr own{};
  rte_eth_macaddr_get(o.tx_port, &own);
  std::copy(std::begin(own.addr_bytes), std::end(own.addr_bytes), spec.src_mac.bytes.begin());
  expect.sent = spec;
  wait_links({o.tx_port, o.rx_port});

  const double hz = static_cast<double>(rte_get_tsc_hz());
  const double ns_per_tsc = 1e9 / hz;
  Counters c;
  c.per_real.assign(expect.real_servers.size(), 0);
  uint32_t next_flow = 0, seq = 0;

  // Warm-up: every flow once (its connection made), paced, each frame
  // offered again until the ring takes it; what comes back is counted but
  // not checked.
  json warmup = nullptr;
  if (o.warmup_flows || spec.kind == lb::gen::Kind::kTcpAck) {
    lb::gen::TrafficSpec first = spec;
    if (spec.kind == lb::gen::Kind::kTcpAck) first.kind = lb::gen::Kind::kTcpSyn;
    Counters w;
    uint32_t flow = 0, warm_seq = 0;
    auto warm_sizes = lb::gen::SizeMix::fixed(lb::gen::kMinWireBytes);
    const uint64_t warm_start = rte_rdtsc();
    Pacer pace(o.warmup_rate_pps, warm_start);
    uint64_t received = 0;
    while (w.tx_packets + w.tx_ring_full < spec.flows && !g_stop) {
      const auto n = static_cast<uint16_t>(
          std::min<uint64_t>(pace.due(rte_rdtsc()), spec.flows - w.tx_packets - w.tx_ring_full));
      if (n > 0)
        pace.sent(send_burst(o.tx_port, o.queues, FullRing::kWait, pool, first, warm_sizes, flow,
                             warm_seq, n, w));
      received += receive(o.rx_port, o.queues, expect, ns_per_tsc, false, w);
      receive(o.tx_port, o.queues, expect, ns_per_tsc, false, w);
    }
    const uint64_t settle = rte_rdtsc() + static_cast<uint64_t>(hz / 2);
    while (rte_rdtsc() < settle) {
      received += receive(o.rx_port, o.queues, expect, ns_per_tsc, false, w);
      receive(o.tx_port, o.queues, expect, ns_per_tsc, false, w);
    }
    warmup = {{"tx_packets", w.tx_packets},
              {"tx_ring_full", w.tx_ring_full},
              {"rx_packets", received},
              {"seconds", static_cast<double>(rte_rdtsc() - warm_start) / hz}};
  }

  if (o.wait_go) {
    // The harness reads lbd's counters now, while nothing is in flight, and
    // nothing of its own runs during the measurement.
    std::cout << json{{"phase", "ready"}}.dump() << std::endl;
    std::string go;
    std::getline(std::cin, go);
  }
  const uint64_t start = rte_rdtsc();
  const uint64_t end = start + static_cast<uint64_t>(o.duration_s * hz);
  Pacer pace(o.rate_pps, start);
  const FullRing full_ring = o.queues == 1 ? FullRing::kWait : FullRing::kDrop;
  uint64_t now = start;
  Counters ignored;
  while (now < end && !g_stop && (o.count == 0 || c.tx_packets + c.tx_ring_full < o.count)) {
    uint16_t n = pace.due(now);
    if (o.count != 0) {
      n = static_cast<uint16_t>(std::min<uint64_t>(n, o.count - c.tx_packets - c.tx_ring_full));
    }
    if (n > 0) {
      pace.sent(
          send_burst(o.tx_port, o.queues, full_ring, pool, spec, sizes, next_flow, seq, n, c));
    }
    receive(o.rx_port, o.queues, expect, ns_per_tsc, true, c);
    c.tx_port_rx += receive(o.tx_port, o.queues, expect, ns_per_tsc, false, ignored);
    now = rte_rdtsc();
  }
  const double seconds = static_cast<double>(now - start) / hz;
  // What is still in flight arrives within a few milliseconds.
  const uint64_t drain = rte_rdtsc() + static_cast<uint64_t>(hz / 10);
  while (rte_rdtsc() < drain)
    receive(o.rx_port, o.queues, expect, ns_per_tsc, true, c);
  json out = report(o, c, seconds);
  out["warmup"] = warmup;
  std::cout << out.dump() << std::endl;
  // Holding, the generator sleeps between polls: the harness and lbd's
  // control thread, which share its CPU, need it now.
  while (o.hold && !g_stop) {
    receive(o.rx_port, o.queues, expect, ns_per_tsc, false, ignored);
    receive(o.tx_port, o.queues, expect, ns_per_tsc, false, ignored);
    rte_delay_us_sleep(1000);
  }
  return c.faults[0] == c.rx_packets ? 0 : 3;  // 3: lbd mis-forwarded something
}

}  // namespace

int main(int argc, char** argv) {
  const int eal = rte_eal_init(argc, argv);
  if (eal < 0) {
    std::fprintf(stderr, "lbd-gen: EAL: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  CLI::App app{"lbd-gen: the benchmark's traffic generator (DPDK)"};
  Options o;
  app.add_option("--tx-port", o.tx_port, "Port the clients' packets leave on (toward lbd)");
  app.add_option("--rx-port", o.rx_port, "Port lbd's forwarded packets arrive on");
  app.add_option("--dst-mac", o.dst_mac, "lbd's MAC on the tx port")->required();
  app.add_option("--method", o.method,
                 "What lbd does to them: nat, dr, tun, or unchanged (a reference forwarder)");
  app.add_option("--real", o.reals, "Real server addresses (nat, tun)")->delimiter(',');
  app.add_option("--real-port", o.real_port, "NAT: the real servers' port (0: the VIP's)");
  app.add_option("--kind", o.kind, "udp, syn (every packet a new TCP connection) or ack");
  app.add_option("--flows", o.flows, "Distinct client flows");
  app.add_option("--clients", o.clients, "Client addresses the flows spread over");
  app.add_option("--size", o.size, "Frame size on the wire, 64..1518, or imix");
  app.add_option("--duration", o.duration_s, "Seconds of measurement");
  app.add_option("--rate", o.rate_pps, "Offered packets per second (0: as fast as possible)");
  app.add_option("--vip", o.vip, "The virtual service's address");
  app.add_option("--vport", o.vport, "The virtual service's port");
  app.add_flag("--warmup-flows", o.warmup_flows,
               "Send every flow once first, so the measurement sees established flows only");
  app.add_option("--count", o.count,
                 "Stop after sending this many frames (e.g. a fixed pcap through net_pcap)");
  app.add_option("--warmup-rate", o.warmup_rate_pps, "Packets per second of the warm-up");
  app.add_option("--queues", o.queues,
                 "Queues per port (one per lbd worker); with more than one, what a full "
                 "ring does not take is lost and counted (tx_ring_full) instead of offered again")
      ->check(CLI::Range(1, 16));
  app.add_flag("--hold", o.hold,
               "After the report, keep draining the ports until SIGINT/SIGTERM (memif: stop both "
               "ends together)");
  app.add_flag("--wait-go", o.wait_go,
               "Before measuring, print {\"phase\": \"ready\"} and wait for a line on stdin");
  app.add_option("--mbufs", o.mbufs, "Packet buffers");
  int rc = 0;
  try {
    app.parse(argc - eal, argv + eal);
    rc = run(o);
  } catch (const CLI::ParseError& e) {
    rc = app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lbd-gen: %s\n", e.what());
    rc = 1;
  }
  for (uint16_t port : {o.tx_port, o.rx_port}) {
    if (rte_eth_dev_is_valid_port(port)) rte_eth_dev_stop(port);
  }
  rte_eal_cleanup();
  return rc;
}
