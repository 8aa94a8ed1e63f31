// The bash completion script, written from the CLI11 tree lbctl parses its
// own dialect with (declare_own_dialect): the commands, sub-actions and
// options it completes are the ones lbctl takes, and an argument completes by
// the type words its --help shows (SERVICE, SCHEDULER, METHOD, PATH, ...).
#pragma once

#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace lb::lbctl {

// An option or argument whose type words name no kind of completion (a new
// one: give it a kind in completion_script.cpp), or a word the script cannot
// quote. Tests run `lbctl completion bash`, so this fails them, not users.
class CompletionTableError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// `app`: lbctl's root, as declare_own_dialect left it.
std::string bash_completion_script(const CLI::App& app);

}  // namespace lb::lbctl
