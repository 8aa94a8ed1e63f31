#include <lb/ctl/report.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <lb/ctl/settings.h>
#include <lb/packet/addr.h>

namespace lb::ctl {

namespace {

using nlohmann::json;

// A member as display text: strings as they are, numbers and booleans in
// JSON form, anything missing as "-".
std::string field(const json& object, const char* key) {
  if (!object.is_object()) return "-";
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

uint64_t number(const json& object, const char* key) {
  if (!object.is_object()) return 0;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return 0;
  return it->is_number_unsigned() ? it->get<uint64_t>()
                                  : static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()));
}

const json& list(const json& object, const char* key) {
  static const json kEmpty = json::array();
  if (!object.is_object()) return kEmpty;
  const auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : kEmpty;
}

std::string percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "-";
  return fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// Columns separated by two blanks, text left-aligned and numbers
// right-aligned, no trailing blanks.
class Table {
 public:
  enum Align { kLeft, kRight };
  Table(std::vector<std::string> headers, std::vector<Align> aligns) : aligns_(std::move(aligns)) {
    rows_.push_back(std::move(headers));
  }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  std::string render(std::string_view indent) const {
    std::vector<std::size_t> widths(aligns_.size(), 0);
    for (const auto& row : rows_) {
      for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
        widths[i] = std::max(widths[i], row[i].size());
      }
    }
    std::string out;
    for (const auto& row : rows_) {
      std::string line(indent);
      for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
        if (i > 0) line += "  ";
        line += aligns_[i] == kRight ? fmt::format("{:>{}}", row[i], widths[i])
                                     : fmt::format("{:<{}}", row[i], widths[i]);
      }
      line.erase(line.find_last_not_of(' ') + 1);
      out += line;
      out += '\n';
    }
    return out;
  }

 private:
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

// Addresses sort numerically when they parse; anything else after them.
std::tuple<bool, uint32_t, std::string> address_key(const std::string& text) {
  const auto addr = packet::Ipv4Addr::parse(text);
  return {!addr.has_value(), addr ? addr->host() : 0, text};
}

}  // namespace

std::string format_duration(long long seconds) {
  if (seconds < 0) return "-";
  const long long d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60,
                  s = seconds % 60;
  if (d > 0) return fmt::format("{}d {}h {}m {}s", d, h, m, s);
  if (h > 0) return fmt::format("{}h {}m {}s", h, m, s);
  if (m > 0) return fmt::format("{}m {}s", m, s);
  return fmt::format("{}s", s);
}

std::string format_status(const json& status) {
  std::string out =
      fmt::format("lbd {} (pid {}), up {}\n", field(status, "version"), field(status, "pid"),
                  status.is_object() && status.contains("uptime_s")
                      ? format_duration(static_cast<long long>(number(status, "uptime_s")))
                      : std::string("-"));
  std::vector<std::string> lcores;
  for (const json& w : list(status, "workers"))
    lcores.push_back(w.is_string() ? w.get<std::string>() : w.dump());
  out += fmt::format("workers:  {}\n",
                     lcores.empty() ? "-" : "lcore " + fmt::format("{}", fmt::join(lcores, ", ")));
  out += fmt::format("services: {}\n", field(status, "services"));
  const json& ports = list(status, "ports");
  out += "ports:\n";
  if (ports.empty()) return out + "  (none)\n";
  Table table({"NAME", "DEVICE", "MAC", "ADDRESS", "LINK"},
              {Table::kLeft, Table::kLeft, Table::kLeft, Table::kLeft, Table::kLeft});
  for (const json& port : ports) {
    const auto link = port.is_object() ? port.find("link_up") : port.end();
    const std::string state = port.is_object() && link != port.end() && link->is_boolean()
                                  ? (link->get<bool>() ? "up" : "down")
                                  : "-";
    table.add({field(port, "name"), field(port, "device"), field(port, "mac"),
               field(port, "address"), state});
  }
  return out + table.render("  ");
}

namespace {

// "traffic 12 conns, in 340 packets 23400 bytes, out ...; rate 1 conn/s, ..."
// from the `stats` and `rates` objects lbd adds to services and to `stats`;
// empty when lbd sent none.
std::string traffic_line(const json& s) {
  const auto st = s.find("stats");
  if (st == s.end() || !st->is_object()) return "";
  std::string out = fmt::format("traffic {} conns, in {} packets {} bytes, out {} packets {} bytes",
                                field(*st, "conns"), field(*st, "inpkts"), field(*st, "inbytes"),
                                field(*st, "outpkts"), field(*st, "outbytes"));
  const auto r = s.find("rates");
  if (r != s.end() && r->is_object()) {
    out += fmt::format("; rate {} conn/s, in {} packets/s {} bytes/s, out {} packets/s {} bytes/s",
                       field(*r, "cps"), field(*r, "inpps"), field(*r, "inbps"),
                       field(*r, "outpps"), field(*r, "outbps"));
  }
  return out;
}

}  // namespace

std::string format_stats(const json& stats) {
  const json& workers = list(stats, "workers");
  std::string out = "Workers:\n";
  Table traffic(
      {"LCORE", "RX PACKETS", "RX BYTES", "TX PACKETS", "TX BYTES", "BUSY"},
      {Table::kLeft, Table::kRight, Table::kRight, Table::kRight, Table::kRight, Table::kRight});
  std::array<uint64_t, 6> totals{};
  static constexpr const char* kTraffic[] = {"rx_packets", "rx_bytes",    "tx_packets",
                                             "tx_bytes",   "busy_cycles", "idle_cycles"};
  for (const json& w : workers) {
    std::vector<std::string> row{field(w, "lcore")};
    for (int i = 0; i < 4; ++i)
      row.push_back(std::to_string(number(w, kTraffic[i])));
    const uint64_t busy = number(w, "busy_cycles"), idle = number(w, "idle_cycles");
    row.push_back(percent(busy, busy + idle));
    for (int i = 0; i < 6; ++i)
      totals[i] += number(w, kTraffic[i]);
    traffic.add(std::move(row));
  }
  if (workers.size() > 1) {
    traffic.add({"total", std::to_string(totals[0]), std::to_string(totals[1]),
                 std::to_string(totals[2]), std::to_string(totals[3]),
                 percent(totals[4], totals[4] + totals[5])});
  }
  out += traffic.render("  ");

  // Counter names are lbd's to choose: show every name any worker reports
  // (by name: JSON objects carry no order).
  std::vector<std::string> names;
  for (const json& w : workers) {
    const auto drops = w.is_object() ? w.find("drops") : w.end();
    if (drops == w.end() || !drops->is_object()) continue;
    for (const auto& [name, value] : drops->items()) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  out += "Drops:\n";
  if (names.empty()) {
    out += "  (none)\n";
  } else {
    std::vector<std::string> headers{"COUNTER"};
    std::vector<Table::Align> aligns{Table::kLeft};
    for (const json& w : workers) {
      headers.push_back("LCORE " + field(w, "lcore"));
      aligns.push_back(Table::kRight);
    }
    headers.push_back("TOTAL");
    aligns.push_back(Table::kRight);
    Table drops(std::move(headers), std::move(aligns));
    for (const std::string& name : names) {
      std::vector<std::string> row{name};
      uint64_t total = 0;
      for (const json& w : workers) {
        const uint64_t n =
            w.is_object() && w.contains("drops") ? number(w["drops"], name.c_str()) : 0;
        total += n;
        row.push_back(std::to_string(n));
      }
      row.push_back(std::to_string(total));
      drops.add(std::move(row));
    }
    out += drops.render("  ");
  }

  if (stats.is_object() && stats.contains("traffic")) {
    out += "Traffic (every service, as ipvsadm --stats counts it):\n";
    out += "  " + traffic_line(stats["traffic"]) + "\n";
  }

  out += "Ports:\n";
  const json& ports = list(stats, "ports");
  if (ports.empty()) {
    out += "  (none)\n";
  } else {
    static constexpr const char* kPortFields[] = {
        "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_missed", "rx_errors", "tx_errors"};
    Table table({"NAME", "RX PACKETS", "RX BYTES", "TX PACKETS", "TX BYTES", "RX MISSED",
                 "RX ERRORS", "TX ERRORS"},
                {Table::kLeft, Table::kRight, Table::kRight, Table::kRight, Table::kRight,
                 Table::kRight, Table::kRight, Table::kRight});
    for (const json& port : ports) {
      std::vector<std::string> row{field(port, "name")};
      for (const char* key : kPortFields)
        row.push_back(std::to_string(number(port, key)));
      table.add(std::move(row));
    }
    out += table.render("  ");
  }

  // The table in four lines (use, what came in, what went out, memory),
  // then whatever else lbd reports about it that this lbctl does not know.
  const auto conns_it = stats.is_object() ? stats.find("connections") : stats.end();
  const json conns = conns_it != stats.end() && conns_it->is_object() ? *conns_it : json::object();
  out += "Connections:\n";
  out += fmt::format("  capacity {}, in use {} ({}), awaiting reclaim {}\n",
                     field(conns, "capacity"), field(conns, "in_use"),
                     percent(number(conns, "in_use"), number(conns, "capacity")),
                     field(conns, "awaiting_reclaim"));
  out += fmt::format("  inserted {}, templates inserted {}, refused as full {}, reopened {}\n",
                     field(conns, "inserted"), field(conns, "templates_inserted"),
                     field(conns, "refused_full"), field(conns, "reused"));
  out += fmt::format("  expired {}, templates expired {}, flushed {}\n", field(conns, "expired"),
                     field(conns, "templates_expired"), field(conns, "flushed"));
  out += fmt::format("  memory {:.1f} MiB, {} bytes per connection\n",
                     static_cast<double>(number(conns, "memory_bytes")) / (1 << 20),
                     field(conns, "bytes_per_connection"));
  static constexpr std::array<std::string_view, 12> kShown = {
      "capacity",           "in_use",       "awaiting_reclaim", "inserted",
      "templates_inserted", "refused_full", "reused",           "expired",
      "templates_expired",  "flushed",      "memory_bytes",     "bytes_per_connection"};
  std::string other;
  for (const auto& [key, value] : conns.items()) {
    if (std::find(kShown.begin(), kShown.end(), key) != kShown.end()) continue;
    std::string label = key;
    std::replace(label.begin(), label.end(), '_', ' ');
    other += fmt::format("{}{} {}", other.empty() ? "  " : ", ", label,
                         value.is_string() ? value.get<std::string>() : value.dump());
  }
  if (!other.empty()) out += other + "\n";
  return out;
}

namespace {

// "TCP 198.18.1.100:80" or "FWM 80".
std::string service_name(const json& s) {
  if (s.contains("fwmark")) return "FWM " + field(s, "fwmark");
  std::string protocol = field(s, "protocol");
  std::transform(protocol.begin(), protocol.end(), protocol.begin(), ::toupper);
  return fmt::format("{} {}:{}", protocol, field(s, "vip"), field(s, "port"));
}

// The scheduler and the settings that change how it picks, as words.
std::string service_settings(const json& s) {
  std::string out = "scheduler " + field(s, "scheduler");
  std::vector<std::string> flags;
  for (const json& f : list(s, "sched_flags"))
    flags.push_back(f.is_string() ? f.get<std::string>() : f.dump());
  if (!flags.empty()) out += fmt::format("  flags {}", fmt::join(flags, ","));
  if (s.contains("persistent")) {
    out += "  persistence " + format_duration(static_cast<long long>(number(s, "persistent")));
    const std::string mask = field(s, "netmask");
    if (mask != "255.255.255.255") out += " netmask " + mask;
  }
  const auto one_packet = s.find("one_packet");
  if (one_packet != s.end() && one_packet->is_boolean() && one_packet->get<bool>()) {
    out += "  one-packet";
  }
  return out;
}

// A threshold of 0 is no threshold.
std::string threshold(const json& real, const char* key) {
  const std::string text = field(real, key);
  return text == "0" ? "-" : text;
}

}  // namespace

std::string format_services(const json& result) {
  std::string out = fmt::format("Connection table size: {}\n", field(result, "conn_table_size"));
  std::vector<const json*> services;
  for (const json& s : list(result, "services")) {
    if (s.is_object()) services.push_back(&s);
  }
  if (services.empty()) return out + "No virtual services.\n";
  // Address services first, then firewall-mark services by mark.
  const auto service_key = [](const json* s) {
    return std::tuple(s->contains("fwmark"), number(*s, "fwmark"), field(*s, "protocol"),
                      address_key(field(*s, "vip")), number(*s, "port"));
  };
  std::stable_sort(services.begin(), services.end(),
                   [&](const json* a, const json* b) { return service_key(a) < service_key(b); });

  for (const json* s : services) {
    out += fmt::format("\n{}  {}\n", service_name(*s), service_settings(*s));
    if (const std::string t = traffic_line(*s); !t.empty()) out += "  " + t + "\n";
    std::vector<const json*> reals;
    for (const json& r : list(*s, "real_servers"))
      reals.push_back(&r);
    if (reals.empty()) {
      out += "  (no real servers)\n";
      continue;
    }
    const auto real_key = [](const json* r) {
      return std::tuple(address_key(field(*r, "address")), number(*r, "port"));
    };
    std::stable_sort(reals.begin(), reals.end(),
                     [&](const json* a, const json* b) { return real_key(a) < real_key(b); });
    Table table(
        {"REAL SERVER", "FORWARD", "WEIGHT", "ACTIVE", "INACTIVE", "PERSISTENT", "UPPER", "LOWER"},
        {Table::kLeft, Table::kLeft, Table::kRight, Table::kRight, Table::kRight, Table::kRight,
         Table::kRight, Table::kRight});
    for (const json* r : reals) {
      table.add({fmt::format("{}:{}", field(*r, "address"), field(*r, "port")),
                 field(*r, "forward"), field(*r, "weight"), field(*r, "active_conns"),
                 field(*r, "inactive_conns"), field(*r, "persistent_conns"),
                 threshold(*r, "upper_threshold"), threshold(*r, "lower_threshold")});
    }
    out += table.render("  ");
  }
  return out;
}

namespace {

// "3.2s", "2m 5s": how long ago, from milliseconds.
std::string age(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "-";
  const uint64_t ms = number(object, key);
  if (ms < 60000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  return format_duration(static_cast<long long>(ms / 1000));
}

}  // namespace

std::string format_health(const json& result) {
  const json& servers = list(result, "servers");
  if (servers.empty()) return "No real server is health-checked.\n";
  Table table(
      {"SERVICE", "REAL SERVER", "CHECK", "STATE", "FOR", "CHECKED", "LATENCY", "LAST RESULT"},
      {Table::kLeft, Table::kLeft, Table::kLeft, Table::kLeft, Table::kRight, Table::kRight,
       Table::kRight, Table::kLeft});
  for (const json& server : servers) {
    const json& last = server.contains("last") ? server.at("last") : json::object();
    std::string state = field(server, "state");
    if (state == "down")
      state += field(server, "on_failure") == "quiesce" ? " (quiesced)" : " (removed)";
    table.add({server.contains("service") ? service_name(server.at("service")) : "-",
               fmt::format("{}:{}", field(server, "address"), field(server, "port")),
               fmt::format("{} :{}", field(server, "check_type"), field(server, "check_port")),
               state, age(server, "state_age_ms"),
               last.contains("age_ms") ? age(last, "age_ms") + " ago" : "never",
               last.contains("latency_ms") ? field(last, "latency_ms") + " ms" : "-",
               last.contains("ok")
                   ? fmt::format("{}: {}", last.value("ok", false) ? "ok" : "failed",
                                 field(last, "reason"))
                   : "-"});
  }
  std::string out = table.render("");
  for (const json& sorry : list(result, "sorry_servers_serving")) {
    out += fmt::format("Sorry server {}:{} takes the new connections of {}\n",
                       field(sorry, "address"), field(sorry, "port"),
                       sorry.contains("service") ? service_name(sorry.at("service")) : "-");
  }
  return out;
}

std::string format_reload(const nlohmann::json& result) {
  std::string out = fmt::format("configuration reloaded: {} service(s), {} firewall-mark rule(s)\n",
                                result.at("services").get<uint64_t>(),
                                result.at("firewall_mark_rules").get<uint64_t>());
  std::vector<std::string> kept;
  for (const json& k : list(result, "kept_settings"))
    kept.push_back(k.is_string() ? k.get<std::string>() : k.dump());
  if (!kept.empty()) {
    out +=
        fmt::format("kept run-time settings the file does not change: {}\n", fmt::join(kept, ", "));
  }
  // Said because it cannot be undone: the edits are gone from lbd.
  if (const auto it = result.find("discarded_live_edits");
      it != result.end() && it->is_boolean() && it->get<bool>()) {
    out += "discarded live edits that had not been saved: the file's services run now\n";
  }
  return out;
}

namespace {

// Widest possible "255.255.255.255:65535"; longer text (a stray value from
// a newer lbd) only pushes the rest of its row right.
constexpr std::size_t kEndpointWidth = 21;

std::string endpoint(const json& entry, const char* address, const char* port) {
  return fmt::format("{}:{}", field(entry, address), field(entry, port));
}

// A firewall-mark template carries the mark as its virtual address.
std::string virtual_service(const json& entry) {
  if (field(entry, "protocol") == "IP") {
    if (const auto mark = packet::Ipv4Addr::parse(field(entry, "virtual_address"))) {
      return fmt::format("FWM {}", mark->host());
    }
  }
  return endpoint(entry, "virtual_address", "virtual_port");
}

std::string connection_line(std::string_view protocol, std::string_view state,
                            std::string_view expires, std::string_view client,
                            std::string_view virtual_service, std::string_view real_server,
                            std::string_view forward, std::string_view note) {
  std::string line = fmt::format("{:<3}  {:<11}  {:>8}  {:<{}}  {:<{}}  {:<{}}  {:<7}  {}",
                                 protocol, state, expires, client, kEndpointWidth, virtual_service,
                                 kEndpointWidth, real_server, kEndpointWidth, forward, note);
  line.erase(line.find_last_not_of(' ') + 1);
  return line + '\n';
}

}  // namespace

std::string ConnectionsTable::header() {
  return connection_line("PRO", "STATE", "EXPIRES", "CLIENT", "VIRTUAL", "REAL SERVER", "FORWARD",
                         "");
}

std::string ConnectionsTable::page(const json& entries) {
  std::string out;
  for (const json& entry : entries) {
    const auto expires = entry.is_object() ? entry.find("expires_s") : entry.end();
    std::string expiry = "-";
    if (expires != entry.end() && expires->is_number_integer()) {
      const uint64_t s = number(entry, "expires_s");
      expiry = fmt::format("{:02}:{:02}", s / 60, s % 60);
    }
    const bool is_template = entry.is_object() && entry.contains("template") &&
                             entry["template"].is_boolean() && entry["template"].get<bool>();
    out += connection_line(field(entry, "protocol"), field(entry, "state"), expiry,
                           endpoint(entry, "client_address", "client_port"), virtual_service(entry),
                           endpoint(entry, "dest_address", "dest_port"), field(entry, "forward"),
                           is_template ? "template" : "");
    ++(is_template ? templates_ : connections_);
  }
  return out;
}

std::string ConnectionsTable::total() const {
  return fmt::format("{} connection{}, {} template{}\n", connections_, connections_ == 1 ? "" : "s",
                     templates_, templates_ == 1 ? "" : "s");
}

std::string format_connections(const json& result) {
  ConnectionsTable table;
  std::string out = ConnectionsTable::header();
  out += table.page(list(result, "connections"));
  return out + table.total();
}

std::string format_settings(const json& result) {
  const auto expire = result.is_object() ? result.find("expire_nodest_conn") : result.end();
  std::string out = fmt::format(
      "expire_nodest_conn: {}\n",
      expire != result.end() && expire->is_boolean() ? (expire->get<bool>() ? "yes" : "no") : "-");
  const auto timeouts_it = result.is_object() ? result.find("timeouts") : result.end();
  const json timeouts =
      timeouts_it != result.end() && timeouts_it->is_object() ? *timeouts_it : json::object();
  Table table({"TIMEOUT", "SECONDS"}, {Table::kLeft, Table::kRight});
  for (const std::string_view name : kTimeoutNames)
    table.add({std::string(name), field(timeouts, std::string(name).c_str())});
  for (const auto& [name, value] : timeouts.items()) {
    if (std::find(kTimeoutNames.begin(), kTimeoutNames.end(), name) == kTimeoutNames.end()) {
      table.add({name, field(timeouts, name.c_str())});
    }
  }
  return out + "timeouts:\n" + table.render("  ");
}

}  // namespace lb::ctl
