// The formats `lbctl import` reads, in detection order. ipvsadm rules
// first: their test is the strictest (every line an option line, one of
// them -A or -a), and a '#' line in a rule file may quote any other format's
// keywords. Then keepalived: its keywords (virtual_server, real_server) are
// unambiguous; lvs.cf's "virtual NAME {" would otherwise also match the
// ldirectord test for "virtual =" lines only by accident.
#include <array>

#include <fmt/format.h>

#include <lb/config/emit.h>
#include <lb/import/formats.h>

namespace lb::import {

namespace {

const std::array kFormats = {
    Format{"ipvsadm", "ipvsadm rule file: ipvsadm -S -n output, /etc/sysconfig/ipvsadm",
           &import_ipvsadm_rules, &looks_like_ipvsadm_rules},
    Format{"keepalived", "keepalived.conf (virtual_server blocks)", &import_keepalived,
           &looks_like_keepalived},
    Format{"lvs.cf", "Piranha lvs.cf (/etc/sysconfig/ha/lvs.cf)", &import_lvs_cf,
           &looks_like_lvs_cf},
    Format{"ldirectord", "ldirectord.cf (/etc/ha.d/ldirectord.cf)", &import_ldirectord,
           &looks_like_ldirectord},
};

}  // namespace

std::span<const Format> formats() {
  return kFormats;
}

const Format* find_format(std::string_view name) {
  for (const Format& f : kFormats) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const Format* detect_format(std::string_view text) {
  for (const Format& f : kFormats) {
    if (f.detect(text)) return &f;
  }
  return nullptr;
}

std::string format_names() {
  std::string out;
  for (const Format& f : kFormats) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

std::string render_yaml(const Imported& imported, std::string_view source, const Format& format) {
  std::string out = fmt::format(
      "# Converted from {} ({}) by lbctl import.\n"
      "#\n"
      "# lbd also needs a `ports:` section (its network ports, which {} files do not\n"
      "# describe): add one before using this file (see conf/README.md), then check it\n"
      "# with `lbd --check-config --config FILE`.\n",
      source, format.description, format.name);
  if (!imported.header.empty()) out += "#\n";
  for (const auto& line : imported.header)
    out += line.empty() ? "#\n" : "# " + line + "\n";
  if (!imported.warnings.empty()) {
    out +=
        fmt::format("#\n# {} setting{} could not be carried over: see lbctl import's warnings.\n",
                    imported.warnings.size(), imported.warnings.size() == 1 ? "" : "s");
  }
  const auto section = [&](const std::string& text) {
    if (!text.empty()) out += "\n" + text;
  };
  section(config::emit_mark_rules(imported.mark_rules));
  if (imported.timeouts) {
    config::ConnectionConfig connections;
    connections.timeouts = *imported.timeouts;
    section(config::emit_connections(connections));
  }
  section(config::emit_services(imported.services, imported.service_comments));
  return out;
}

}  // namespace lb::import
