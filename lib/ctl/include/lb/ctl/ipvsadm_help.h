// ipvsadm 1.31's -v and -h texts (ipvsadm.c version(), usage_exit), so that
// `ipvsadm -h` through lbctl prints what the operator's fingers expect. The
// options listed are ipvsadm's; the ones lbd cannot honour are refused when
// used, with a message saying so.
#pragma once

#include <string>

namespace lb::ctl::ipvsadm {

// "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n"
std::string version_line();

// The version line, then the usage, with `program` (argv[0]) in the
// synopsis lines: 82 lines.
std::string usage_text(const std::string& program);

}  // namespace lb::ctl::ipvsadm
