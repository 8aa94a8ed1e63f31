// The YAML schema of lbd's config file, section by section (conf/README.md
// documents it for operators; keep the two in step). Every field is checked on
// its own here; an invalid value is reported and leaves the model's default in
// place so the rest of the file is still read and checked. The services and
// the firewall-mark classifier are in parse_services.cpp.
#include "parse.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

namespace lb::config::detail {

namespace {

constexpr size_t kMaxPorts = 16;
// sockaddr_un::sun_path is 108 bytes, one of them the terminating NUL.
constexpr size_t kMaxSocketPath = 107;
// Linux IFNAMSIZ (16) less the NUL.
constexpr size_t kMaxTapName = 15;
constexpr int64_t kMaxLcore = 1023;

constexpr std::array<std::pair<std::string_view, HugePages>, 3> kHugePages = {{
    {"auto", HugePages::kAuto},
    {"on", HugePages::kOn},
    {"off", HugePages::kOff},
}};

// DPDK's --log-level names, most to least severe.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kLogLevels = {{
    {"emerg", "emerg"},
    {"alert", "alert"},
    {"crit", "crit"},
    {"error", "error"},
    {"warning", "warning"},
    {"notice", "notice"},
    {"info", "info"},
    {"debug", "debug"},
}};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_alpha(char c) {
  return is_lower(c) || (c >= 'A' && c <= 'Z');
}
bool is_file_prefix_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || c == '-';
}
bool is_port_name_char(char c) {
  return is_lower(c) || is_digit(c) || c == '_' || c == '-';
}
bool is_tap_name_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '-';
}

EalConfig parse_eal(Reader& reader, const Field& field) {
  EalConfig eal;
  const MapReader map(
      reader, field,
      {"huge_pages", "memory_mb", "mbufs", "file_prefix", "log_level", "extra_args"});
  if (auto f = map.get("huge_pages")) {
    if (auto value = read_choice<HugePages>(reader, *f, kHugePages)) eal.huge_pages = *value;
  }
  read_int_key(reader, map, "memory_mb", eal.memory_mb, 64, 1048576);
  read_int_key(reader, map, "mbufs", eal.mbufs, 1023, 16777215);
  if (auto f = map.get("file_prefix")) {
    if (auto value = read_name(reader, *f, 1, 32, is_file_prefix_char, "[A-Za-z0-9_-]")) {
      eal.file_prefix = *value;
    }
  }
  if (auto f = map.get("log_level")) {
    if (auto value = read_choice<std::string_view>(reader, *f, kLogLevels)) {
      eal.log_level = std::string(*value);
    }
  }
  if (auto f = map.get("extra_args")) {
    for (const Field& arg : read_list(reader, *f).value_or(std::vector<Field>{})) {
      if (auto value = read_string(reader, arg)) eal.extra_args.push_back(*value);
    }
  }
  return eal;
}

// An lcore: an integer (the lcore runs on the CPU of that number), or
// "L@C" as DPDK's --lcores writes it (lcore L on CPU C). Returns the lcore.
std::optional<uint32_t> read_lcore(Reader& reader, const Field& field, LcoreConfig& lcores) {
  if (!field.node.IsScalar() || field.node.Scalar().find('@') == std::string::npos) {
    if (auto id = read_int(reader, field, 0, kMaxLcore)) return static_cast<uint32_t>(*id);
    return std::nullopt;
  }
  const std::string& text = field.node.Scalar();
  const auto number = [](std::string_view digits) -> std::optional<int64_t> {
    if (digits.empty() || digits.size() > 4 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return std::stoll(std::string(digits));
  };
  const size_t at = text.find('@');
  const auto lcore = number(std::string_view(text).substr(0, at));
  const auto cpu = number(std::string_view(text).substr(at + 1));
  if (!lcore || !cpu || *lcore > kMaxLcore || *cpu > kMaxLcore) {
    reader.error(field, fmt::format("expected an lcore id 0..{0} or \"LCORE@CPU\" (each 0..{0}), "
                                    "got {1}",
                                    kMaxLcore, describe(field.node)));
    return std::nullopt;
  }
  lcores.cpu[static_cast<uint32_t>(*lcore)] = static_cast<uint32_t>(*cpu);
  return static_cast<uint32_t>(*lcore);
}

LcoreConfig parse_lcores(Reader& reader, const Field& field, Sites& sites) {
  LcoreConfig lcores;
  const MapReader map(reader, field, {"main", "workers", "idle_sleep_us"});
  if (auto f = map.get("main")) {
    const auto id = read_lcore(reader, *f, lcores);
    if (id) lcores.main = *id;
    sites.lcores_main = site_of(*f, id.has_value());
  } else {
    sites.lcores_main = Site{child_path(field.path, "main"), field.pos, true};
  }
  if (auto f = map.get("workers")) {
    if (auto list = read_list(reader, *f)) {
      if (list->empty()) {
        reader.error(*f, "expected a non-empty list of lcore ids, got " +
                             (f->node.IsNull() ? describe(f->node) : "an empty list"));
      }
      lcores.workers.clear();
      for (const Field& worker : *list) {
        auto id = read_lcore(reader, worker, lcores);
        sites.lcores_workers.push_back(site_of(worker, id.has_value()));
        lcores.workers.push_back(id.value_or(0));
      }
    }
  } else {
    sites.lcores_workers.push_back(Site{child_path(field.path, "workers"), field.pos, true});
  }
  read_int_key(reader, map, "idle_sleep_us", lcores.idle_sleep_us, 0, 100000);
  return lcores;
}

// An absolute path usable as a Unix socket's address.
std::optional<std::string> read_socket_path(Reader& reader, const Field& field) {
  auto path = read_string(reader, field);
  if (!path) return std::nullopt;
  if (path->front() != '/') {
    reader.error(field, "expected an absolute path (starting with /), got " + describe(field.node));
  } else if (path->back() == '/') {
    reader.error(field, "expected the socket's file path, got a directory " + describe(field.node));
  } else if (path->size() > kMaxSocketPath) {
    reader.error(field, fmt::format("a Unix socket path is at most {} bytes, got {} bytes",
                                    kMaxSocketPath, path->size()));
  } else if (path->find('\0') != std::string::npos) {
    reader.error(field, "a path cannot contain a NUL character, got " + describe(field.node));
  } else {
    return path;
  }
  return std::nullopt;
}

ControlConfig parse_control(Reader& reader, const Field& field) {
  ControlConfig control;
  const MapReader map(reader, field, {"socket", "socket_group", "max_clients", "idle_timeout_ms"});
  if (auto f = map.get("socket")) {
    if (auto path = read_socket_path(reader, *f)) control.socket = *path;
  }
  if (auto f = map.get("socket_group")) control.socket_group = read_string(reader, *f);
  read_int_key(reader, map, "max_clients", control.max_clients, 1, 1024);
  read_int_key(reader, map, "idle_timeout_ms", control.idle_timeout_ms, 100, 86400000);
  return control;
}

constexpr std::array<std::pair<std::string_view, LogLevel>, 4> kLevels = {{
    {"debug", LogLevel::kDebug},
    {"info", LogLevel::kInfo},
    {"warning", LogLevel::kWarning},
    {"error", LogLevel::kError},
}};

// syslog(3)'s facilities a daemon may use: its own class, or a local one.
constexpr std::array<std::pair<std::string_view, uint8_t>, 9> kFacilities = {{
    {"daemon", 3},
    {"local0", 16},
    {"local1", 17},
    {"local2", 18},
    {"local3", 19},
    {"local4", 20},
    {"local5", 21},
    {"local6", 22},
    {"local7", 23},
}};

LoggingConfig parse_logging(Reader& reader, const Field& field) {
  LoggingConfig logging;
  const MapReader map(reader, field, {"level", "syslog", "syslog_socket", "syslog_facility"});
  if (auto f = map.get("level")) {
    if (auto value = read_choice<LogLevel>(reader, *f, kLevels)) logging.level = *value;
  }
  read_bool_key(reader, map, "syslog", logging.syslog);
  if (auto f = map.get("syslog_socket")) {
    if (auto path = read_socket_path(reader, *f)) logging.syslog_socket = *path;
  }
  if (auto f = map.get("syslog_facility")) {
    if (auto value = read_choice<uint8_t>(reader, *f, kFacilities)) {
      logging.syslog_facility = *value;
    }
  }
  return logging;
}

// "ADDRESS:PORT" for a TCP listener: an IPv4 address the host can bind
// (0.0.0.0 for all of them, loopback included) and a port 1..65535.
std::optional<ListenAddress> read_listen_address(Reader& reader, const Field& field) {
  auto text = read_string(reader, field);
  if (!text) return std::nullopt;
  const size_t colon = text->rfind(':');
  const auto addr = colon == std::string::npos
                        ? std::nullopt
                        : packet::Ipv4Addr::parse(std::string_view(*text).substr(0, colon));
  if (!addr) {
    reader.error(field,
                 "expected ADDRESS:PORT, an IPv4 address and a TCP port (e.g. "
                 "127.0.0.1:9100), got " +
                     describe(field.node));
    return std::nullopt;
  }
  const std::string_view digits = std::string_view(*text).substr(colon + 1);
  const bool numeric =
      !digits.empty() && digits.size() <= 5 && std::all_of(digits.begin(), digits.end(), is_digit);
  const int64_t port = numeric ? std::stoll(std::string(digits)) : 0;
  if (port < 1 || port > 65535) {
    reader.error(field,
                 "expected a TCP port 1..65535 after the colon, got " + describe(field.node));
    return std::nullopt;
  }
  const uint32_t first_octet = addr->host() >> 24;
  std::string_view problem;
  if (first_octet == 0 && addr->host() != 0) problem = "in 0.0.0.0/8, \"this network\"";
  if (first_octet >= 224 && first_octet < 240) problem = "multicast";
  if (first_octet >= 240) problem = "reserved or broadcast";
  if (!problem.empty()) {
    reader.error(field, fmt::format("expected an address of this host to listen on (or 0.0.0.0 "
                                    "for all), got {} ({})",
                                    addr->to_string(), problem));
    return std::nullopt;
  }
  return ListenAddress{*addr, static_cast<uint16_t>(port)};
}

MetricsConfig parse_metrics(Reader& reader, const Field& field) {
  MetricsConfig metrics;
  const MapReader map(reader, field, {"listen"});
  if (auto f = map.get("listen")) metrics.listen = read_listen_address(reader, *f);
  return metrics;
}

PortConfig parse_port(Reader& reader, const Field& field, PortSites& sites) {
  PortConfig port;
  const MapReader map(reader, field,
                      {"name", "device", "address", "gateway", "mac", "mtu", "exception_path",
                       "tap_name", "tunnel_sources"});
  sites.entry = site_of(field, true);
  if (auto f = map.require("name")) {
    auto name = read_name(reader, *f, 1, 12, is_port_name_char, "[a-z0-9_-]");
    sites.name = site_of(*f, name.has_value());
    port.name = name.value_or("");
  }
  if (auto f = map.require("device")) {
    auto device = read_string(reader, *f);
    sites.device = site_of(*f, device.has_value());
    port.device = device.value_or("");
  }
  if (auto f = map.require("address")) {
    auto address = read_interface_address(reader, *f);
    sites.address = site_of(*f, address.has_value());
    if (address) port.address = *address;
  }
  if (auto f = map.get("gateway")) {
    port.gateway = read_host_address(reader, *f);
    sites.gateway = site_of(*f, port.gateway.has_value());
  }
  if (auto f = map.get("mac")) port.mac = read_unicast_mac(reader, *f);
  if (auto f = map.get("tunnel_sources")) {
    port.tunnel_sources = read_prefix(reader, *f);
    sites.tunnel_sources = site_of(*f, port.tunnel_sources.has_value());
  }
  read_int_key(reader, map, "mtu", port.mtu, 576, 9000);
  read_bool_key(reader, map, "exception_path", port.exception_path);

  if (auto f = map.get("tap_name")) {
    auto tap = read_name(reader, *f, 1, kMaxTapName, is_tap_name_char, "[A-Za-z0-9_.-]");
    if (tap && (*tap == "." || *tap == "..")) {
      reader.error(*f, "\".\" and \"..\" are not valid interface names");
      tap.reset();
    }
    sites.tap_name = site_of(*f, tap.has_value());
    port.tap_name = tap.value_or("");
  } else if (sites.name.ok) {
    port.tap_name = "lbd-" + port.name;
    sites.tap_name = Site{child_path(field.path, "tap_name"), sites.name.pos, true};
    // Only a port with an exception path gets a TAP, so only then is a
    // too-long default name a problem.
    if (port.exception_path && port.tap_name.size() > kMaxTapName) {
      reader.error(sites.tap_name.path, sites.tap_name.pos,
                   fmt::format("the default TAP name \"{}\" is longer than Linux's {} characters; "
                               "set tap_name or shorten the port name",
                               port.tap_name, kMaxTapName));
      sites.tap_name.ok = false;
    }
  }
  return port;
}

std::vector<PortConfig> parse_ports(Reader& reader, const Field& field, Sites& sites) {
  std::vector<PortConfig> ports;
  auto list = read_list(reader, field);
  if (!list) return ports;
  if (list->empty() || list->size() > kMaxPorts) {
    reader.error(field, fmt::format("expected 1..{} ports, got {}", kMaxPorts,
                                    field.node.IsNull() ? describe(field.node)
                                                        : std::to_string(list->size())));
  }
  for (const Field& entry : *list) {
    sites.ports.emplace_back();
    ports.push_back(parse_port(reader, entry, sites.ports.back()));
  }
  return ports;
}

NeighborConfig parse_neighbors(Reader& reader, const Field& field, Config& config, Sites& sites) {
  NeighborConfig neighbors;
  const MapReader map(
      reader, field,
      {"table_size", "reachable_ms", "retry_ms", "retries", "hold_packets", "static"});
  if (auto f = map.get("table_size")) {
    constexpr int64_t kMin = 64;
    constexpr int64_t kMax = 1048576;
    auto size = read_int(reader, *f, kMin, kMax);
    // A power of two lets the table index with a mask.
    if (size && (*size & (*size - 1)) != 0) {
      reader.error(*f, fmt::format("expected a power of two {}..{}, got {}", kMin, kMax, *size));
      size.reset();
    }
    if (size) neighbors.table_size = static_cast<uint32_t>(*size);
    sites.neighbor_table_size = site_of(*f, size.has_value());
  } else {
    sites.neighbor_table_size = Site{child_path(field.path, "table_size"), field.pos, true};
  }
  read_int_key(reader, map, "reachable_ms", neighbors.reachable_ms, 1000, 86400000);
  read_int_key(reader, map, "retry_ms", neighbors.retry_ms, 10, 60000);
  read_int_key(reader, map, "retries", neighbors.retries, 1, 20);
  read_int_key(reader, map, "hold_packets", neighbors.hold_packets, 0, 65536);

  if (auto f = map.get("static")) {
    for (const Field& entry : read_list(reader, *f).value_or(std::vector<Field>{})) {
      const MapReader neighbor(reader, entry, {"address", "mac"});
      StaticNeighborSites& site = sites.static_neighbors.emplace_back();
      StaticNeighbor& out = config.static_neighbors.emplace_back();
      site.entry = site_of(entry, true);
      if (auto a = neighbor.require("address")) {
        auto address = read_host_address(reader, *a);
        site.address = site_of(*a, address.has_value());
        if (address) out.addr = *address;
      }
      if (auto m = neighbor.require("mac")) {
        if (auto mac = read_unicast_mac(reader, *m)) out.mac = *mac;
      }
    }
  }
  return neighbors;
}

// Seconds in the file, milliseconds in the model.
void read_timeout_key(Reader& reader, const MapReader& map, std::string_view key, uint32_t& ms) {
  uint32_t seconds = 0;
  if (read_int_key(reader, map, key, seconds, 1, kMaxTimeoutS)) ms = seconds * 1000;
}

conn::Timeouts parse_timeouts(Reader& reader, const Field& field) {
  conn::Timeouts timeouts;
  const MapReader map(reader, field,
                      {"none", "established", "syn_sent", "syn_recv", "fin_wait", "time_wait",
                       "close", "close_wait", "last_ack", "listen", "synack", "udp", "icmp"});
  static_assert(conn::kTimeoutNames.size() == 13, "the key list above names every timeout");
  for (size_t i = 0; i < conn::kTimeoutNames.size(); ++i)
    read_timeout_key(reader, map, conn::kTimeoutNames[i], timeouts.by_index(i));
  return timeouts;
}

ConnectionConfig parse_connections(Reader& reader, const Field& field) {
  ConnectionConfig connections;
  const MapReader map(reader, field, {"table_size", "timeouts", "expire_nodest_conn"});
  if (auto f = map.get("table_size")) {
    if (!(f->node.IsScalar() && f->node.Scalar() == "auto")) {
      if (auto size = read_int(reader, *f, 1024, 268435456, "auto")) {
        connections.table_size = static_cast<uint32_t>(*size);
      }
    }
  }
  if (auto f = map.get("timeouts")) {
    if (f->node.IsNull()) {
      reader.error(*f, "expected a map of timeouts in seconds, got an empty value");
    } else {
      connections.timeouts = parse_timeouts(reader, *f);
    }
  }
  read_bool_key(reader, map, "expire_nodest_conn", connections.expire_nodest_conn);
  return connections;
}

}  // namespace

Parsed parse_config(Reader& reader, const Field& document) {
  Parsed parsed;
  Config& config = parsed.config;
  Sites& sites = parsed.sites;
  const MapReader map(reader, document,
                      {"eal", "lcores", "control", "logging", "metrics", "ports", "neighbors",
                       "connections", "services", "firewall_marks"});
  // An absent section reads as an empty one: every key takes its default.
  auto section = [&](std::string_view key) {
    auto field = map.get(key);
    return field ? *field : Field{YAML::Node(YAML::NodeType::Null), std::string(key), document.pos};
  };
  config.eal = parse_eal(reader, section("eal"));
  config.lcores = parse_lcores(reader, section("lcores"), sites);
  config.control = parse_control(reader, section("control"));
  config.logging = parse_logging(reader, section("logging"));
  config.metrics = parse_metrics(reader, section("metrics"));
  if (auto f = map.require("ports")) config.ports = parse_ports(reader, *f, sites);
  config.neighbors = parse_neighbors(reader, section("neighbors"), config, sites);
  config.connections = parse_connections(reader, section("connections"));
  if (auto f = map.get("services")) {
    for (const Field& entry : read_list(reader, *f).value_or(std::vector<Field>{})) {
      ServiceSites& service_sites = sites.services.emplace_back();
      config.services.push_back(parse_service(reader, entry, service_sites));
    }
  }
  if (auto f = map.get("firewall_marks")) {
    if (auto list = read_list(reader, *f)) {
      for (const Field& entry : *list)
        parse_mark_rule(reader, entry, config, sites);
    } else {
      sites.mark_rules_complete = false;
    }
  }
  return parsed;
}

}  // namespace lb::config::detail
