// What a change of the running configuration changed, in words: one line per
// service or real server added, removed or altered, for the log (syslog,
// the journal) so that an operator can reconstruct who served what when.
//
// Pure; control side only.
#pragma once

#include <string>
#include <vector>

#include <lb/config/model.h>

namespace lb::config {

// Services are matched by their identity (protocol, VIP and port, or fwmark),
// real servers within a service by address and port. Covers services, real
// servers, the firewall-mark rules and static neighbours; the connection
// settings are logged by `set` and reload themselves. Lines come in
// `after`'s order, removals first; empty when nothing changed.
std::vector<std::string> describe_changes(const Config& before, const Config& after);

}  // namespace lb::config
