// lbctl's ipvsadm dialect: ipvsadm 1.31's syntax, messages, exit statuses
// and output, served from lbd. What lbd cannot do (sync daemons, persistence
// engines, IPv6, SCTP, GUE/GRE tunnels) is refused with an "lbctl: ..."
// message, never ignored.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <lb/ctl/ipvsadm_edit.h>

#include "globals.h"

namespace lb::lbctl {

// argv[0] is the program name as invoked (ipvsadm prints it in "Try ...").
int run_ipvsadm_dialect(const std::vector<std::string>& argv, const Globals& globals);

// How one command line ended: its exit status, and whether ipvsadm would
// have exited there (fail(), exit(1) of a listing, lbd unreachable) rather
// than returned, which ends a restore.
struct CommandResult {
  int status = 0;
  bool exits = false;
};

// Runs one translated command line; `program` is argv[0]. `-R` reads
// std::cin (a restore handles its own -R lines: it refuses them).
CommandResult run_ipvsadm_command(const ctl::ipvsadm::Translation& translation,
                                  const Globals& globals, const std::string& program);

// `-R`: the rules on `in`, line by line as ipvsadm runs them (see
// ipvsadm_restore.cpp). Returns the exit status.
int restore_rules(const Globals& globals, const std::string& program, std::istream& in);

// Prints ipvsadm's message for `failure` on stderr.
void print_failure(const ctl::ipvsadm::Failure& failure);

}  // namespace lb::lbctl
