// The YAML writer: model values -> the text of lbd's config file sections,
// in the style of conf/*.yaml. The inverse of load.h for these sections:
// load_string() of a file made of them reads back exactly the same values.
//
// Used by `lbctl save` (the running configuration written back) and `lbctl
// import` (LVS configurations converted). Keys left at their default are
// omitted, so the output says only what differs from a bare service.
// Every line ends in '\n'.
#pragma once

#include <span>
#include <string>
#include <vector>

#include <lb/config/model.h>
#include <lb/sched/model.h>

namespace lb::config {

// "services:\n" then one list entry per service (block map; real servers as
// flow maps). An empty list is written "services: []\n". comments[i], when
// given, are written as "# ..." lines just above service i (a line holding
// a newline becomes several comment lines).
std::string emit_services(std::span<const sched::ServiceSpec> services,
                          std::span<const std::vector<std::string>> comments = {});

// "firewall_marks:\n" and one flow map per entry. Consecutive rules that
// differ only in their port range are merged into one entry with a `ports`
// list (the parser expands it back into the same rules in the same order);
// a rule matching every port (0..65535) has no `ports`. Empty when there is
// no rule. YAML cannot say port 0, so a range starting at 0 (other than
// "every port") is written from 1.
std::string emit_mark_rules(std::span<const sched::MarkRule> rules);

// "connections:\n" with only the keys that differ from the defaults
// (table_size, each timeout, expire_nodest_conn); empty when none does.
// Timeouts are written in whole seconds, as the file takes them (a value that
// is not a whole number of seconds is rounded up).
std::string emit_connections(const ConnectionConfig& connections);

}  // namespace lb::config
