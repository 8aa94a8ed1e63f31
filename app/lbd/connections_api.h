// The control socket's view of the connection table: `connections`, one
// page at a time.
//
// The table can hold hundreds of millions of records, so a listing is a
// series of bounded requests: each scans a bounded number of pool slots from
// the caller's cursor and returns what it found with the cursor to continue
// from. Neither the control thread nor a reply ever grows with the table.
// Records may change or end between pages (as /proc/net/ip_vs_conn's do
// between reads); each entry is consistent with itself.
//
// Control thread only.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include <lb/conn/connection.h>
#include <lb/dataplane/dataplane.h>

namespace lb::daemon {

// args: {"cursor": N, "limit": 1..10000, "service": {"protocol","vip","port"} | {"fwmark"}}
// -> {"connections": [...], "next_cursor": N | null}. Throws ctl::CtlError
// (bad_request) naming the bad argument.
nlohmann::json connections_json(const dataplane::Dataplane& dp, const nlohmann::json& args);

// One record as `connections` shows it; nullopt for records that are not
// IPVS connections (fragment records) or that ended while being read.
std::optional<nlohmann::json> connection_entry(const conn::Connection& c,
                                               const sched::DestRegistry& registry,
                                               uint64_t now_ms);

}  // namespace lb::daemon
