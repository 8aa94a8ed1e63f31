#include <lb/ctl/ipvsadm_conn.h>

#include <fmt/format.h>

#include <lb/ctl/protocol.h>

#include "result_fields.h"

namespace lb::ctl::ipvsadm {

namespace {

using nlohmann::json;

constexpr detail::ResultFields kFields{"connections"};

uint64_t unsigned_field(const json& object, const char* key, const std::string& where,
                        uint64_t max) {
  const json& value = kFields.member(object, key, where);
  const bool ok =
      (value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0)) &&
      value.get<uint64_t>() <= max;
  if (!ok) kFields.bad(fmt::format("{}.{}", where, key), fmt::format("an integer in 0..{}", max));
  return value.get<uint64_t>();
}

uint16_t port(const json& object, const char* key, const std::string& where) {
  return static_cast<uint16_t>(unsigned_field(object, key, where, 65535));
}

ListedConn parse_entry(const json& entry, const std::string& where) {
  if (!entry.is_object()) kFields.bad(where, "an object");
  ListedConn conn;
  conn.protocol = kFields.text(entry, "protocol", where);
  if (conn.protocol != "TCP" && conn.protocol != "UDP" && conn.protocol != "IP") {
    kFields.bad(where + ".protocol", "\"TCP\", \"UDP\" or \"IP\"");
  }
  if (!kFields.member(entry, "template", where).is_boolean())
    kFields.bad(where + ".template", "true or false");
  conn.state = kFields.text(entry, "state", where);
  // print_conn scans the state with %s: a word, never a blank in it.
  if (conn.state.empty() || conn.state.find_first_of(" \t\n\r\f\v") != std::string::npos) {
    kFields.bad(where + ".state", "a state name without blanks");
  }
  // The kernel's expiry is an unsigned int.
  conn.expires_s = static_cast<uint32_t>(unsigned_field(entry, "expires_s", where, UINT32_MAX));
  conn.client = kFields.address(entry, "client_address", where);
  conn.client_port = port(entry, "client_port", where);
  conn.virtual_addr = kFields.address(entry, "virtual_address", where);
  conn.virtual_port = port(entry, "virtual_port", where);
  conn.dest = kFields.address(entry, "dest_address", where);
  conn.dest_port = port(entry, "dest_port", where);
  // `forward` is not part of ipvsadm's listing (and lbd leaves it out of
  // templates, which forward nothing).
  return conn;
}

// print_conn's protocol for name lookups: TCP and UDP, 0 for anything else.
uint16_t lookup_protocol(const std::string& protocol) {
  if (protocol == "TCP") return kProtoTcp;
  if (protocol == "UDP") return kProtoUdp;
  return 0;
}

}  // namespace

std::vector<ListedConn> parse_connections_page(const json& entries) {
  if (!entries.is_array()) kFields.bad("connections", "an array");
  std::vector<ListedConn> out;
  out.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out.push_back(parse_entry(entries[i], fmt::format("connections[{}]", i)));
  }
  return out;
}

std::string conn_title(bool persistent_conn) {
  // The heading pads "destination" to 18 and "pe name" to 16; the rows that
  // carry a PE pad them the other way round (16 and 18), as ipvsadm does.
  if (persistent_conn) {
    return fmt::format(
        "IPVS connection entries\npro expire {:<11} {:<18} {:<18} {:<18} {:<16} {}\n", "state",
        "source", "virtual", "destination", "pe name", "pe_data");
  }
  return fmt::format("IPVS connection entries\npro expire {:<11} {:<18} {:<18} {}\n", "state",
                     "source", "virtual", "destination");
}

std::string conn_line(const ListedConn& conn, const NameResolver* names) {
  const uint16_t proto = lookup_protocol(conn.protocol);
  // "%02d:%02d" of the unsigned minutes and seconds: no cap on minutes.
  const std::string expire = fmt::format("{:02}:{:02}", conn.expires_s / 60, conn.expires_s % 60);
  return fmt::format("{:<3} {:<6} {:<11} {:<18} {:<18} {}\n", conn.protocol, expire, conn.state,
                     addrport_to_anyname(conn.client, conn.client_port, proto, names),
                     addrport_to_anyname(conn.virtual_addr, conn.virtual_port, proto, names),
                     addrport_to_anyname(conn.dest, conn.dest_port, proto, names));
}

ConnListing::ConnListing(const NameResolver* names, bool persistent_conn)
    : persistent_conn_(persistent_conn) {
  if (names != nullptr) names_ = &cache_.emplace(*names);
}

std::string ConnListing::page(const json& entries) {
  std::string out;
  for (const ListedConn& conn : parse_connections_page(entries))
    out += conn_line(conn, names_);
  return out;
}

}  // namespace lb::ctl::ipvsadm
