// `lbctl import [--from FORMAT] FILE [-o OUT]`: an LVS configuration
// (ipvsadm rule file, Piranha lvs.cf, ldirectord.cf, keepalived.conf)
// converted to lbd's YAML.
// Answered by lbctl itself (lib/import); lbd is not contacted.
#pragma once

#include "commands.h"

namespace CLI {
class App;
}

namespace lb::lbctl {

void declare_import(CLI::App& sub, Arguments& args);
int run_import(const Globals& globals, const Arguments& args);

}  // namespace lb::lbctl
