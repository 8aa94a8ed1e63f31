// lbctl's printing of lbd's connection table, for both dialects: each page
// is printed as it arrives, so listing millions of connections takes no more
// memory than one page.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <lb/ctl/connections.h>

#include "globals.h"

namespace lb::lbctl {

// How a dialect shows the table. `page` may throw (a CtlError with
// bad_reply for an entry it cannot show), which ends the listing with exit
// status 1.
struct ConnectionsView {
  std::function<std::string()> header;  // printed once the first page has arrived
  std::function<std::string(const nlohmann::json& entries)> page;
  std::function<std::string()> footer;  // after the last page; may be empty
};

// Lists every connection (of `service` only, when given) through `view`, or
// with --json as one {"connections": [...]} object, byte for byte what
// print_json prints for the whole table. Returns the exit status: 0, or 1
// when lbd fails (stdout then holds the pages printed before) or stdout
// cannot be written.
int print_connections(const Globals& globals, const std::optional<ctl::ServiceSelector>& service,
                      const ConnectionsView& view);

}  // namespace lb::lbctl
