// lbctl: lbd's command-line client, in two dialects.
//
//   lbctl [-S PATH] [--json] status|stats|connections|...    lbctl's own
//   lbctl [-S PATH] [--json] -Ln                              ipvsadm's
//   ipvsadm -Ln          (lbctl invoked through a symlink)    ipvsadm's only
//
// The dialect is chosen before any parsing: ipvsadm's syntax is not CLI11's
// (popt clusters, "first option is the command"), so each dialect gets its
// own parser and neither bends the other.
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "globals.h"
#include "ipvsadm_dialect.h"

namespace {

using lb::lbctl::Globals;

std::string_view basename(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// lbctl's global options may precede ipvsadm's: `lbctl -S /tmp/lbd.sock -Ln`.
// ipvsadm's -S (save) never takes a word after it, so "-S word" is always
// lbctl's socket option. Returns the index of the first other argument.
std::size_t take_global_options(const std::vector<std::string>& args, Globals& globals) {
  std::size_t i = 1;
  while (i < args.size()) {
    const std::string& arg = args[i];
    const bool has_word = i + 1 < args.size() && !args[i + 1].empty() && args[i + 1][0] != '-';
    if (arg == "--json") {
      globals.json = true;
      i += 1;
    } else if ((arg == "-S" || arg == "--socket") && has_word) {
      globals.socket = args[i + 1];
      i += 2;
    } else if (arg.starts_with("--socket=")) {
      globals.socket = arg.substr(9);
      i += 1;
    } else {
      break;
    }
  }
  return i;
}

bool is_own_help(std::string_view arg) {
  return arg == "-h" || arg == "--help" || arg == "--version";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (args.empty()) args.emplace_back("lbctl");

  Globals globals;
  globals.socket = lb::lbctl::default_socket();
  if (basename(args[0]) == "ipvsadm") return lb::lbctl::run_ipvsadm_dialect(args, globals);

  const std::size_t first = take_global_options(args, globals);
  if (first < args.size() && args[first].size() > 1 && args[first][0] == '-' &&
      !is_own_help(args[first])) {
    std::vector<std::string> ipvsadm_args{args[0]};
    ipvsadm_args.insert(ipvsadm_args.end(), args.begin() + static_cast<std::ptrdiff_t>(first),
                        args.end());
    return lb::lbctl::run_ipvsadm_dialect(ipvsadm_args, globals);
  }
  return lb::lbctl::run_own_dialect(std::move(args));
}
