// What an importer makes of an LVS configuration file (Piranha lvs.cf,
// ldirectord.cf, keepalived.conf, ipvsadm rules): lbd's services and
// classifier rules, the comments that go with them, and a warning for every
// setting that could not be carried over.
//
// Pure: importers read text and never touch the file system (a keepalived
// `include` is reported, not followed) nor look host names up. The one
// exception is ipvsadm's port names ("-t VIP:http"), read from
// /etc/services as ipvsadm itself reads them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <lb/conn/tcp_state.h>
#include <lb/sched/model.h>

namespace lb::import {

struct Warning {
  int line = 0;  // in the source file, 1-based; 0 = the whole file
  std::string message;
};

struct Imported {
  std::vector<std::string> header;  // comment lines for the top of the YAML
  std::vector<sched::ServiceSpec> services;
  std::vector<std::vector<std::string>> service_comments;  // parallel to services
  std::vector<sched::MarkRule> mark_rules;
  std::optional<conn::Timeouts> timeouts;
  std::vector<Warning> warnings;
  // What makes the input unusable (syntax errors, invalid values), each at
  // its line; when any, the services are incomplete and must not be used.
  std::vector<Warning> errors;
};

}  // namespace lb::import
