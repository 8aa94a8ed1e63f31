// lbctl's ipvsadm dialect: ipvsadm 1.31's syntax, messages, exit statuses
// and output, served from lbd. Commands lbd cannot serve yet say so and exit
// 2 rather than pretend.
#pragma once

#include <string>
#include <vector>

#include "globals.h"

namespace lb::lbctl {

// argv[0] is the program name as invoked (ipvsadm prints it in "Try ...").
int run_ipvsadm_dialect(const std::vector<std::string>& argv, const Globals& globals);

}  // namespace lb::lbctl
