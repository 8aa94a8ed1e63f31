// `lbctl completion bash`: print the bash completion script
// (completion_script.h). `lbctl completion services` and `lbctl completion
// reals SERVICE`: the running lbd's services, and one service's real servers,
// one a line as lbctl's commands take them (tcp:VIP:PORT, ADDRESS:PORT): what
// the script completes SERVICE and REAL with.
#pragma once

#include "commands.h"

namespace CLI {
class App;
}

namespace lb::lbctl {

void declare_completion(CLI::App& sub, Arguments& args);
int run_completion(const Globals& globals, const Arguments& args);

}  // namespace lb::lbctl
