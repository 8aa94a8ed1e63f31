#include <lb/dataplane/ports.h>

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <lb/dataplane/tap.h>

namespace lb::dataplane {

namespace {

constexpr uint16_t kRxDesc = 1024;
constexpr uint16_t kTxDesc = 1024;

bool is_vdev(const std::string& device) {
  return device.rfind("net_", 0) == 0;
}

// The ethdev name DPDK gives a device: a vdev's name, or the PCI address.
std::string device_name(const std::string& device) {
  return device.substr(0, device.find(','));
}

std::string tap_vdev_name(const config::PortConfig& p) {
  return "net_tap_" + p.name;
}

std::string tap_ifname(const config::PortConfig& p) {
  return p.tap_name.empty() ? "lbd-" + p.name : p.tap_name;
}

[[noreturn]] void port_fail(const std::string& port, const std::string& what, int rc) {
  throw std::runtime_error(fmt::format("port {}: {}: {}", port, what, rte_strerror(-rc)));
}

uint16_t find_port(const std::string& port, const std::string& name) {
  uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
    throw std::runtime_error(fmt::format(
        "port {}: DPDK has no device named {} (is its driver available and its devargs right? "
        "DPDK's messages above say more)",
        port, name));
  }
  return id;
}

// One RX and one TX queue per worker; RSS spreads flows when there are several.
void configure(const std::string& port, uint16_t id, uint16_t queues, uint16_t mtu,
               rte_mempool* pool) {
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(id, &info); rc != 0)
    port_fail(port, "cannot read device info", rc);
  if (queues > info.max_rx_queues || queues > info.max_tx_queues) {
    throw std::runtime_error(
        fmt::format("port {}: the device has {} RX / {} TX queues, lbd needs {} (one per worker)",
                    port, info.max_rx_queues, info.max_tx_queues, queues));
  }
  rte_eth_conf conf{};
  if (queues > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf =
        (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  }
  if (int rc = rte_eth_dev_configure(id, queues, queues, &conf); rc != 0) {
    port_fail(port, "cannot configure the device", rc);
  }
  uint16_t rxd = kRxDesc, txd = kTxDesc;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rxd, &txd); rc != 0) {
    port_fail(port, "cannot size descriptor rings", rc);
  }
  const int socket = rte_eth_dev_socket_id(id);
  for (uint16_t q = 0; q < queues; ++q) {
    if (int rc = rte_eth_rx_queue_setup(id, q, rxd, socket, nullptr, pool); rc != 0) {
      port_fail(port, fmt::format("cannot set up RX queue {}", q), rc);
    }
    if (int rc = rte_eth_tx_queue_setup(id, q, txd, socket, nullptr); rc != 0) {
      port_fail(port, fmt::format("cannot set up TX queue {}", q), rc);
    }
  }
  // Not every virtual device can change its MTU (pcap cannot): only a refusal
  // other than "not supported" is an error.
  if (int rc = rte_eth_dev_set_mtu(id, mtu); rc != 0 && rc != -ENOTSUP) {
    port_fail(port, fmt::format("cannot set MTU {}", mtu), rc);
  }
}

// The value of `key=` in a devargs string ("net_af_xdp0,iface=eth1"), or "".
std::string devarg(const std::string& device, const std::string& key) {
  const std::string needle = "," + key + "=";
  const size_t at = device.find(needle);
  if (at == std::string::npos) return "";
  const size_t start = at + needle.size();
  return device.substr(start, device.find(',', start) - start);
}

// AF_XDP sees only the interface queues it is bound to: whatever the kernel
// steers to another queue never reaches lbd. Worth a warning at start-up.
void warn_if_queues_unpolled(const std::string& port, const std::string& device, uint16_t queues) {
  if (device.rfind("net_af_xdp", 0) != 0) return;
  const std::string iface = devarg(device, "iface");
  std::error_code ec;
  size_t rx = 0;
  for (const auto& q :
       std::filesystem::directory_iterator("/sys/class/net/" + iface + "/queues", ec)) {
    if (q.path().filename().string().rfind("rx-", 0) == 0) ++rx;
  }
  if (rx > queues) {
    spdlog::warn(
        "port {}: interface {} has {} receive queues but lbd polls {}: traffic the kernel steers "
        "to the others never reaches lbd (ethtool -L {} combined {})",
        port, iface, rx, queues, iface, queues);
  }
}

packet::MacAddr read_mac(uint16_t id) {
  rte_ether_addr a{};
  rte_eth_macaddr_get(id, &a);
  packet::MacAddr mac;
  std::copy(std::begin(a.addr_bytes), std::end(a.addr_bytes), mac.bytes.begin());
  return mac;
}

// Sets the device MAC; a device that cannot change it is put in promiscuous
// mode so frames to the configured MAC still arrive.
void apply_mac(const std::string& port, uint16_t id, const packet::MacAddr& mac) {
  rte_ether_addr a{};
  std::copy(mac.bytes.begin(), mac.bytes.end(), a.addr_bytes);
  if (rte_eth_dev_default_mac_addr_set(id, &a) == 0) return;
  spdlog::warn("port {}: device cannot take MAC {}; receiving promiscuously instead", port,
               mac.to_string());
  if (int rc = rte_eth_promiscuous_enable(id); rc != 0)
    port_fail(port, "cannot enable promiscuous mode", rc);
}

}  // namespace

std::vector<std::string> device_eal_args(const config::Config& cfg) {
  std::vector<std::string> args;
  bool any_pci = false;
  for (const auto& p : cfg.ports) {
    if (is_vdev(p.device)) {
      args.push_back("--vdev=" + p.device);
    } else {
      args.push_back("-a");
      args.push_back(p.device);
      any_pci = true;
    }
    if (p.exception_path)
      args.push_back(fmt::format("--vdev={},iface={}", tap_vdev_name(p), tap_ifname(p)));
  }
  if (!any_pci) {
    args.push_back("--no-pci");
    // No device does DMA: virtual IOVAs cost nothing and let the packet pool
    // be packed (see mbuf_pool.h).
    args.push_back("--iova-mode=va");
  }
  return args;
}

std::vector<PortRuntime> start_ports(const config::Config& cfg, rte_mempool* pool) {
  const auto queues = static_cast<uint16_t>(cfg.lcores.workers.size());
  std::vector<PortRuntime> ports;
  for (const auto& p : cfg.ports) {
    PortRuntime rt;
    rt.name = p.name;
    rt.device = p.device;
    rt.address = p.address;
    rt.gateway = p.gateway;
    rt.mtu = p.mtu;
    rt.tunnel_sources = p.tunnel_sources;
    rt.port_id = find_port(p.name, device_name(p.device));
    configure(p.name, rt.port_id, queues, p.mtu, pool);
    warn_if_queues_unpolled(p.name, p.device, queues);
    if (p.mac) apply_mac(p.name, rt.port_id, *p.mac);
    if (int rc = rte_eth_dev_start(rt.port_id); rc != 0)
      port_fail(p.name, "cannot start the device", rc);
    rt.mac = p.mac ? *p.mac : read_mac(rt.port_id);

    if (p.exception_path) {
      rt.tap_name = tap_ifname(p);
      rt.tap_id = find_port(p.name, tap_vdev_name(p));
      configure(p.name + " (exception path)", rt.tap_id, queues, p.mtu, pool);
      // The kernel side answers to the port's own MAC, so frames pass unchanged.
      apply_mac(p.name + " (exception path)", rt.tap_id, rt.mac);
      if (int rc = rte_eth_dev_start(rt.tap_id); rc != 0) {
        port_fail(p.name, "cannot start the exception TAP", rc);
      }
      configure_tap(rt.tap_name, p.address, p.mtu);
      if (p.gateway) {
        // Without policy routing (a kernel without IP_MULTIPLE_TABLES) lbd
        // still runs; only the appliance's own traffic beyond the subnet
        // then needs a route added by hand.
        try {
          route_through_tap(rt.tap_name, p.address.addr, *p.gateway,
                            kTapRouteTableBase + 2 * static_cast<uint32_t>(ports.size()));
        } catch (const std::exception& e) {
          spdlog::warn(
              "port {}: {}; health checks of real servers behind {} need a kernel route "
              "through {}",
              p.name, e.what(), p.gateway->to_string(), rt.tap_name);
        }
      }
    }
    spdlog::info("port {}: {} mac {} address {}{}", p.name, p.device, rt.mac.to_string(),
                 p.address.to_string(),
                 p.exception_path ? fmt::format(" exception {}", rt.tap_name) : "");
    ports.push_back(std::move(rt));
  }
  return ports;
}

void stop_ports(std::span<const PortRuntime> ports) noexcept {
  for (const auto& p : ports) {
    for (uint16_t id : {p.port_id, p.tap_id}) {
      if (id == kNoPort) continue;
      rte_eth_dev_stop(id);
      rte_eth_dev_close(id);
    }
  }
}

}  // namespace lb::dataplane
