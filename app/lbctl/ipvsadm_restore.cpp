// `ipvsadm -R`: restore_table's semantics over lbd's all-or-nothing edits.
//
// ipvsadm runs each line as its own command: a line the kernel refuses
// prints its error and the restore goes on (exit status: the last line's);
// a line that fails ipvsadm's own checks (fail(), "Try ...") ends the
// restore, the earlier lines staying applied. lbctl keeps exactly that
// outcome, but sends consecutive editing lines in as few `edit` requests as
// lbd's answers allow (ctl::ipvsadm::apply_one_by_one), so that restoring a
// thousand rules publishes one snapshot, not a thousand.
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <lb/ctl/client.h>
#include <lb/ctl/ipvsadm_rules.h>
#include <lb/ctl/protocol.h>

#include "ipvsadm_dialect.h"

namespace lb::lbctl {

namespace {

using ctl::ipvsadm::Command;
using ctl::ipvsadm::Failure;
using ctl::ipvsadm::Translation;

// lbd cannot be reached, or answers in a way that is no refusal of an op:
// the restore cannot go on.
struct Unreachable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class EditBatch {
 public:
  explicit EditBatch(const Globals& globals) : globals_(globals) {}

  void add(Command command, nlohmann::json op) {
    commands_.push_back(command);
    ops_.push_back(std::move(op));
  }

  // Applies the pending ops, prints each refusal in line order; returns the
  // status of the last one (0 or 255), or nullopt when none was pending.
  std::optional<int> flush() {
    if (ops_.empty()) return std::nullopt;
    const auto refusals = ctl::ipvsadm::apply_one_by_one(
        ops_, [this](std::span<const nlohmann::json> ops) { return send(ops); });
    int status = 0;
    for (std::size_t i = 0; i < refusals.size(); ++i) {
      status = 0;
      if (!refusals[i]) continue;
      const Failure failure =
          ctl::ipvsadm::edit_failure(commands_[i], refusals[i]->code, refusals[i]->message);
      print_failure(failure);
      status = failure.status;
    }
    ops_.clear();
    commands_.clear();
    return status;
  }

 private:
  std::optional<ctl::ipvsadm::EditRefusal> send(std::span<const nlohmann::json> ops) {
    try {
      if (!client_) client_.emplace(globals_.socket, globals_.timeout);
      nlohmann::json list = nlohmann::json::array();
      for (const nlohmann::json& op : ops)
        list.push_back(op);
      const nlohmann::json result = client_->call("edit", {{"ops", std::move(list)}});
      if (globals_.json) print_json(result);
      return std::nullopt;
    } catch (const ctl::CtlError& e) {
      if (e.code() == ctl::errc::kBadReply || e.code() == "unknown_command" ||
          e.code() == ctl::errc::kBadJson || e.code() == "unsupported_version") {
        throw Unreachable(
            fmt::format("lbd answered 'edit' with an error: {} ({})", e.what(), e.code()));
      }
      return ctl::ipvsadm::EditRefusal{e.code(), e.what()};
    } catch (const std::exception& e) {
      throw Unreachable(e.what());
    }
  }

  const Globals& globals_;
  std::optional<ctl::ControlClient> client_;
  std::vector<nlohmann::json> ops_;
  std::vector<Command> commands_;
};

}  // namespace

int restore_rules(const Globals& globals, const std::string& program, std::istream& in) {
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ctl::ipvsadm::RulesOptions options;
  options.program = program;
  EditBatch batch(globals);
  int status = 0;
  try {
    for (const auto& line : ctl::ipvsadm::read_rules(text, options)) {
      auto translated = ctl::ipvsadm::translate_command_line(
          line.argv, ctl::ipvsadm::Extensions{.connections_of_service = true});
      if (auto* translation = std::get_if<Translation>(&translated);
          translation != nullptr && !translation->op.is_null()) {
        batch.add(translation->line.command, std::move(translation->op));
        continue;
      }
      // Anything else runs (or fails) after the lines before it.
      if (const auto flushed = batch.flush()) status = *flushed;
      if (const auto* failure = std::get_if<Failure>(&translated)) {
        print_failure(*failure);
        if (failure->exits) return failure->status;
        status = failure->status;
        continue;
      }
      const Translation& translation = std::get<Translation>(translated);
      if (translation.line.command == Command::kRestore) {
        // restore_table refuses to nest (tryhelp_exit).
        std::cerr << fmt::format("Try `{0} -h' or '{0} --help' for more information.\n", program);
        return 255;
      }
      const CommandResult result = run_ipvsadm_command(translation, globals, program);
      if (result.exits) return result.status;
      status = result.status;
    }
    if (const auto flushed = batch.flush()) status = *flushed;
  } catch (const Unreachable& e) {
    std::cerr << fmt::format("lbctl: {}\n", e.what());
    return kExitFailed;
  }
  std::cout.flush();
  return status;
}

}  // namespace lb::lbctl
