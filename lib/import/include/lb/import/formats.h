// The formats `lbctl import` reads, and the YAML it writes.
//
// Adding a format is one entry in formats() (formats.cpp): a name for
// --from, a parser and a detector.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <lb/import/imported.h>

namespace lb::import {

Imported import_lvs_cf(std::string_view text);      // Piranha /etc/sysconfig/ha/lvs.cf
Imported import_ldirectord(std::string_view text);  // /etc/ha.d/ldirectord.cf
Imported import_keepalived(std::string_view text);  // keepalived.conf virtual_server blocks
// ipvsadm rule files: `ipvsadm -S -n` (ipvsadm-save) output, /etc/sysconfig/ipvsadm
Imported import_ipvsadm_rules(std::string_view text);

// Heuristics on the text alone: true when it reads like this format.
bool looks_like_lvs_cf(std::string_view text);
bool looks_like_ldirectord(std::string_view text);
bool looks_like_keepalived(std::string_view text);
bool looks_like_ipvsadm_rules(std::string_view text);

struct Format {
  std::string_view name;         // what --from takes
  std::string_view description;  // for messages and --help
  Imported (*parse)(std::string_view text);
  bool (*detect)(std::string_view text);
};

// In detection order: the first whose detect() is true is the file's format.
std::span<const Format> formats();
const Format* find_format(std::string_view name);
const Format* detect_format(std::string_view text);
// "ipvsadm, keepalived, lvs.cf, ldirectord"
std::string format_names();

// The YAML file: the header as comments (with `source`, the file's name, and
// the format), then firewall_marks, connections and services as needed.
std::string render_yaml(const Imported& imported, std::string_view source, const Format& format);

}  // namespace lb::import
