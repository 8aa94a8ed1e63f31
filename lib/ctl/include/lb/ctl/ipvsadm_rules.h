// ipvsadm rule files: what `ipvsadm -R` reads from stdin (ipvsadm-save's
// output, /etc/sysconfig/ipvsadm), turned into lbd `edit` operations
// (reference: ipvsadm-formats.md §6; ipvsadm.c restore_table,
// config_stream.c).
//
// Each line is a command line without the program name, split on blanks;
// the word "ipvsadm" is dropped wherever it appears, and lines left without
// words are skipped. There is no comment syntax: config_stream.c means to
// skip what follows a '#' but never does, so a "#..." line is a command line
// like any other, and ipvsadm refuses it. The init scripts strip
// `grep -v '^#'` lines before ipvsadm sees them; RulesOptions offers the
// same.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include <lb/ctl/ipvsadm_cmdline.h>

namespace lb::ctl::ipvsadm {

struct RulesOptions {
  // argv[0] of every line (ipvsadm passes its own), for "Try `%s -h' ...".
  std::string program = "ipvsadm";
  // Skip lines whose first character is '#', as the init scripts'
  // `grep -v '^#'` does before `ipvsadm -R`. Off: ipvsadm -R itself.
  bool skip_comment_lines = false;
};

// One line with words: its number in the text (from 1) and its argv.
struct RuleLine {
  std::size_t number = 0;
  std::vector<std::string> argv;  // argv[0] = options.program
};

std::vector<RuleLine> read_rules(std::string_view text, const RulesOptions& options = {});

struct RuleOp {
  std::size_t line = 0;
  nlohmann::json op;
};

struct RuleError {
  std::size_t line = 0;
  Failure failure;  // ipvsadm's message for that line
  // "line 3: illegal weight specified"
  std::string describe() const;
};

// A whole rule file -> its `edit` ops, in order, or the first line that is
// not a valid -A -E -D -C -a -e -d command line (a -L, -Z, --set... line
// too: it changes no configuration). For importers, which want all or
// nothing; `ipvsadm -R` runs line by line instead (see lbctl).
std::variant<std::vector<RuleOp>, RuleError> rules_to_ops(std::string_view text,
                                                          const RulesOptions& options = {});

// An `edit` request's refusal: lbd's error code and message.
struct EditRefusal {
  std::string code;
  std::string message;
};

// Sends ops [first, last) as one `edit` request: nullopt when applied.
using EditSender = std::function<std::optional<EditRefusal>(std::span<const nlohmann::json> ops)>;

// Applies `ops` with ipvsadm -R's semantics, where every line is its own
// kernel call: each op sees every earlier accepted op applied, and a refused
// op changes nothing while the ops after it still apply. lbd's `edit` is all
// or nothing and names the refused op ("op N: ..."), so the ops go in as few
// requests as that allows: all at once when all are accepted, then the part
// before a refused op again, then the rest. Returns each op's refusal (its
// message without the "op N: " prefix), or nullopt where it was applied.
// `max_batch`: lbd's limit of ops per request.
std::vector<std::optional<EditRefusal>> apply_one_by_one(std::span<const nlohmann::json> ops,
                                                         const EditSender& send,
                                                         std::size_t max_batch = 10000);

}  // namespace lb::ctl::ipvsadm
