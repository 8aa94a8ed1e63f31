// bash_completion_script(): the tree as bash `case` tables, then one fixed
// function that walks the command line through them.
#include "completion_script.h"

#include <array>
#include <map>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include <lb/config/health.h>
#include <lb/conn/tcp_state.h>
#include <lb/import/formats.h>
#include <lb/sched/model.h>
#include <lb/sched/scheduler.h>

namespace lb::lbctl {

namespace {

// How a value completes, by the type word --help shows for it. "none" is
// free text (a number, an address) that nothing can guess.
struct TypeKind {
  std::string_view type;
  std::string_view kind;
};

constexpr std::array kTypeKinds = {
    TypeKind{"SERVICE", "service"},  // the running lbd's services
    TypeKind{"REAL", "real"},        // that service's real servers, from lbd
    TypeKind{"PATH", "file"},
    TypeKind{"FILE", "file"},
    TypeKind{"OUT", "file"},
    TypeKind{"SCHEDULER", "scheduler"},
    TypeKind{"FLAGS", "sched_flags"},
    TypeKind{"METHOD", "method"},
    TypeKind{"FORMAT", "format"},
    TypeKind{"yes|no", "boolean"},
    TypeKind{"tcp|udp", "protocol"},
    TypeKind{"KEY=VALUE", "setting"},
    TypeKind{"ADDRESS[:PORT]", "none"},  // a real server to add: new, not lbd's
    TypeKind{"CLIENT:PORT", "none"},
    TypeKind{"VIP:PORT", "none"},
    TypeKind{"N", "none"},
    TypeKind{"SECONDS", "none"},
    TypeKind{"MASK", "none"},
    TypeKind{"WEIGHT", "none"},
    TypeKind{"CHECK", "check_type"},
    TypeKind{"remove|quiesce", "on_failure"},
    TypeKind{"DURATION", "none"},
    TypeKind{"URL-PATH", "none"},
    TypeKind{"HOST", "none"},
    TypeKind{"CODES", "none"},
    TypeKind{"TEXT", "none"},
    TypeKind{"REGEX", "none"},
    TypeKind{"COMMAND", "none"},
};

// The words a fixed kind completes to, from the code that accepts them.
std::vector<std::string> kind_words(std::string_view kind) {
  std::vector<std::string> words;
  if (kind == "scheduler") {
    for (const auto& info : sched::schedulers())
      words.emplace_back(info.name);
  } else if (kind == "sched_flags") {
    for (std::string_view scheduler : {"sh", "mh", "rr"}) {
      for (std::string_view flag : sched::sched_flag_names(scheduler, 0xff))
        words.emplace_back(flag);
    }
  } else if (kind == "method") {
    for (auto method : {sched::ForwardMethod::kNat, sched::ForwardMethod::kDirectRoute,
                        sched::ForwardMethod::kTunnel})
      words.emplace_back(sched::to_string(method));
  } else if (kind == "format") {
    for (const auto& format : import::formats())
      words.emplace_back(format.name);
  } else if (kind == "boolean") {
    words = {"yes", "no"};
  } else if (kind == "protocol") {
    words = {"tcp", "udp"};
  } else if (kind == "check_type") {
    for (auto type :
         {health::CheckType::kTcp, health::CheckType::kHttp, health::CheckType::kHttps,
          health::CheckType::kSendExpect, health::CheckType::kUdp, health::CheckType::kProgram})
      words.emplace_back(config::check_type_name(type));
  } else if (kind == "on_failure") {
    words = {"remove", "quiesce"};
  } else if (kind == "setting") {
    words.emplace_back("expire_nodest_conn");
    for (std::string_view name : conn::kTimeoutNames)
      words.push_back(fmt::format("timeouts.{}", name));
  }
  return words;
}

constexpr std::array<std::string_view, 9> kFixedKinds = {"scheduler", "sched_flags", "method",
                                                         "format",    "boolean",     "protocol",
                                                         "setting",   "check_type",  "on_failure"};

std::string_view kind_of(std::string_view type, std::string_view where) {
  for (const TypeKind& t : kTypeKinds) {
    if (t.type == type) return t.kind;
  }
  throw CompletionTableError(fmt::format(
      "{}: type word '{}' names no kind of completion (completion_script.cpp)", where, type));
}

// Single-quoted for bash; lbctl's words never hold a quote, and one that
// did would be a table mistake, not user input.
std::string quoted(const std::vector<std::string>& words) {
  std::string text = fmt::format("{}", fmt::join(words, " "));
  if (text.find('\'') != std::string::npos) {
    throw CompletionTableError(fmt::format("a completion word holds a quote: {}", text));
  }
  return "'" + text + "'";
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t space = std::min(text.find(' ', start), text.size());
    if (space > start) out.emplace_back(text.substr(start, space - start));
    start = space + 1;
  }
  return out;
}

std::vector<std::string> names_of(const CLI::Option& option) {
  std::vector<std::string> names;
  for (const auto& s : option.get_snames())
    names.push_back("-" + s);
  for (const auto& l : option.get_lnames())
    names.push_back("--" + l);
  return names;
}

struct Node {
  std::string path;  // "" for lbctl itself, "service add"
  std::vector<std::string> subs;
  std::vector<std::string> options;
  std::vector<std::string> args;  // each positional word's kind, in order
  bool repeat = false;            // the last kind repeats (set KEY=VALUE...)
};

struct Tables {
  std::vector<Node> nodes;
  std::map<std::string, std::string> option_kinds;  // options that take a value
  std::vector<std::string> global_options;          // accepted after any command
};

void walk(const CLI::App& app, const std::string& path, Tables& tables) {
  const std::string where = path.empty() ? "lbctl" : "lbctl " + path;
  Node node{path, {}, {}, {}, false};
  for (const CLI::Option* option : app.get_options()) {
    if (option->nonpositional()) {
      const auto names = names_of(*option);
      node.options.insert(node.options.end(), names.begin(), names.end());
      if (path.empty() && option != app.get_help_ptr() && option != app.get_version_ptr()) {
        tables.global_options.insert(tables.global_options.end(), names.begin(), names.end());
      }
      if (option->get_expected_max() == 0) continue;  // a flag
      const std::string kind(kind_of(option->get_type_name(), where + " " + names.back()));
      for (const auto& name : names) {
        const auto [it, added] = tables.option_kinds.emplace(name, kind);
        if (!added && it->second != kind) {
          throw CompletionTableError(fmt::format("{} {}: completes as {} here and as {} elsewhere",
                                                 where, name, kind, it->second));
        }
      }
      continue;
    }
    if (node.repeat) {
      throw CompletionTableError(fmt::format("{}: a positional after a repeating one", where));
    }
    auto words = split(option->get_type_name());
    if (words.empty()) {
      throw CompletionTableError(fmt::format("{} {}: no type words", where, option->get_name()));
    }
    for (auto& word : words) {
      if (word.size() > 2 && word.front() == '[' && word.back() == ']') {
        word = word.substr(1, word.size() - 2);  // an optional word
      }
      node.args.emplace_back(kind_of(word, where + " " + option->get_name()));
    }
    node.repeat = option->get_items_expected_max() > static_cast<int>(words.size());
  }
  std::vector<const CLI::App*> subs = app.get_subcommands([](const CLI::App*) { return true; });
  for (const CLI::App* sub : subs)
    node.subs.push_back(sub->get_name());
  tables.nodes.push_back(std::move(node));
  for (const CLI::App* sub : subs)
    walk(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), tables);
}

// The fixed part: walks the command line through the tables above it.
constexpr std::string_view kWalker = R"BASH(
# The command line as lbctl reads it. bash splits words at COMP_WORDBREAKS,
# ":" and "=" among them, which would cut tcp:VIP:PORT and KEY=VALUE apart:
# pieces with no blank between them in COMP_LINE are joined back. Sets
# _lbctl_words and _lbctl_cword.
_lbctl_join_words() {
    local line=${COMP_LINE-} i word rest synced=1
    _lbctl_words=() _lbctl_cword=0
    [[ -n $line ]] || line="${COMP_WORDS[*]}"
    for (( i = 0; i < ${#COMP_WORDS[@]}; i++ )); do
        word=${COMP_WORDS[i]}
        rest=${line#"${line%%[![:space:]]*}"}
        if (( i > 0 && synced )) && [[ ${#rest} -eq ${#line} ]]; then
            _lbctl_words[-1]+=$word
        else
            _lbctl_words+=("$word")
        fi
        if [[ $rest == "$word"* ]]; then
            line=${rest#"$word"}
        else
            synced=0  # quoting the line spells otherwise: stop joining
        fi
        (( i == COMP_CWORD )) && _lbctl_cword=$(( ${#_lbctl_words[@]} - 1 ))
    done
}

# Sets COMPREPLY to the words of $2 (a list) that start with $1, each with
# the prefix $3.
_lbctl_reply() {
    mapfile -t COMPREPLY < <(compgen -P "${3-}" -W "$2" -- "$1")
}

# Completes $2 as a value of kind $1, each candidate with the prefix $3;
# $4 is the SERVICE a REAL belongs to.
_lbctl_complete() {
    local kind=$1 cur=$2 prefix=${3-} lbctl=${_lbctl_words[0]}
    [[ $lbctl == "~/"* ]] && lbctl=$HOME/${lbctl#"~/"}
    case $kind in
    none) ;;
    file)
        mapfile -t COMPREPLY < <(compgen -P "$prefix" -f -- "$cur")
        compopt -o filenames 2>/dev/null ;;
    service)
        _lbctl_reply "$cur" "$("$lbctl" "${_lbctl_socket[@]}" completion services 2>/dev/null)" "$prefix" ;;
    real)
        [[ -n ${4-} ]] &&
            _lbctl_reply "$cur" "$("$lbctl" "${_lbctl_socket[@]}" completion reals "$4" 2>/dev/null)" "$prefix" ;;
    sched_flags)  # a comma-separated list: complete its last flag
        _lbctl_kind_words sched_flags
        _lbctl_reply "${cur##*,}" "$_lbctl_list" "$prefix${cur%"${cur##*,}"}"
        compopt -o nospace 2>/dev/null ;;
    setting)  # KEY=VALUE: the key, then a boolean's value
        if [[ $cur == *=* ]]; then
            if [[ ${cur%%=*} == expire_nodest_conn ]]; then
                _lbctl_kind_words boolean
                _lbctl_reply "${cur#*=}" "$_lbctl_list" "$prefix${cur%%=*}="
            fi
        else
            _lbctl_kind_words setting
            mapfile -t COMPREPLY < <(compgen -P "$prefix" -S = -W "$_lbctl_list" -- "$cur")
            compopt -o nospace 2>/dev/null
        fi ;;
    *)
        _lbctl_kind_words "$kind" && _lbctl_reply "$cur" "$_lbctl_list" "$prefix" ;;
    esac
}

_lbctl() {
    local _lbctl_words _lbctl_cword _lbctl_subs _lbctl_opts _lbctl_args _lbctl_repeat
    local _lbctl_kind _lbctl_list _lbctl_socket=() args=() path='' pending='' word i cur kind
    _lbctl_join_words
    cur=${_lbctl_words[_lbctl_cword]}
    COMPREPLY=()
    _lbctl_node ''
    for (( i = 1; i < _lbctl_cword; i++ )); do
        word=${_lbctl_words[i]}
        if [[ -n $pending ]]; then
            [[ $pending == -S || $pending == --socket ]] && _lbctl_socket=(--socket "$word")
            pending=''
        elif [[ $word == -?* ]]; then
            # An option lbctl does not know in front of any command: the
            # ipvsadm dialect (lbctl -Ln), which this does not complete.
            [[ -z $path && " $_lbctl_opts " != *" ${word%%=*} "* ]] && return 0
            [[ $word == --socket=* ]] && _lbctl_socket=("$word")
            [[ $word != *=* ]] && _lbctl_option_kind "$word" && pending=$word
        elif (( ${#args[@]} == 0 )) && [[ " $_lbctl_subs " == *" $word "* ]]; then
            path=${path:+$path }$word
            _lbctl_node "$path"
        else
            args+=("$word")
        fi
    done

    if [[ -n $pending ]]; then
        _lbctl_option_kind "$pending"
        _lbctl_complete "$_lbctl_kind" "$cur"
    elif [[ $cur == --*=* ]] && _lbctl_option_kind "${cur%%=*}"; then
        _lbctl_complete "$_lbctl_kind" "${cur#*=}" "${cur%%=*}="
    elif [[ $cur == -* ]]; then
        _lbctl_reply "$cur" "$_lbctl_opts ${path:+$_lbctl_global_opts}"
    elif [[ -n $_lbctl_subs ]] && (( ${#args[@]} == 0 )); then
        _lbctl_reply "$cur" "$_lbctl_subs"
    else
        local -a kinds=($_lbctl_args)
        if (( ${#args[@]} < ${#kinds[@]} )); then
            kind=${kinds[${#args[@]}]}
        elif (( _lbctl_repeat && ${#kinds[@]} )); then
            kind=${kinds[-1]}
        else
            kind=''
        fi
        if [[ -n $kind ]]; then
            _lbctl_complete "$kind" "$cur" '' "${args[0]-}"
        else
            _lbctl_reply "$cur" "$_lbctl_opts ${path:+$_lbctl_global_opts}"
        fi
    fi

    # bash replaces only what follows the word's last ":" or "=" (when they
    # break words): drop what comes before from every candidate.
    local breaks='' before
    [[ ${COMP_WORDBREAKS-} == *:* ]] && breaks+=':'
    [[ ${COMP_WORDBREAKS-} == *=* ]] && breaks+='='
    if [[ -n $breaks ]]; then
        before=${cur%"${cur##*["$breaks"]}"}
        [[ -n $before ]] && COMPREPLY=("${COMPREPLY[@]#"$before"}")
    fi
    return 0
}

complete -F _lbctl lbctl
)BASH";

}  // namespace

std::string bash_completion_script(const CLI::App& app) {
  Tables tables;
  walk(app, "", tables);

  std::string out =
      "# bash completion for lbctl, written by `lbctl completion bash` from lbctl's own\n"
      "# command table: commands, sub-actions, options, schedulers (-s), forwarding\n"
      "# methods (-f), file names, and SERVICE and REAL from the running lbd.\n"
      "# Load it with `source <(lbctl completion bash)`; `meson install` puts it in\n"
      "# share/bash-completion/completions/lbctl. The ipvsadm dialect is not completed.\n"
      "\n"
      "# Each command (\"\" is lbctl itself): its sub-commands, its options, and its\n"
      "# arguments' kinds in order (_lbctl_repeat: the last one repeats).\n"
      "_lbctl_node() {\n"
      "    case $1 in\n";
  for (const Node& node : tables.nodes) {
    out += fmt::format(
        "    '{}') _lbctl_subs={} _lbctl_opts={} _lbctl_args={} _lbctl_repeat={} ;;\n", node.path,
        quoted(node.subs), quoted(node.options), quoted(node.args), node.repeat ? 1 : 0);
  }
  out +=
      "    *) return 1 ;;\n"
      "    esac\n"
      "}\n"
      "\n"
      "# The options that take a value, and the kind of that value.\n"
      "_lbctl_option_kind() {\n"
      "    case $1 in\n";
  std::map<std::string, std::vector<std::string>> by_kind;
  for (const auto& [name, kind] : tables.option_kinds)
    by_kind[kind].push_back(name);
  for (const auto& [kind, names] : by_kind)
    out += fmt::format("    {}) _lbctl_kind={} ;;\n", fmt::join(names, "|"), kind);
  out +=
      "    *) return 1 ;;\n"
      "    esac\n"
      "}\n"
      "\n"
      "# The words of each fixed kind.\n"
      "_lbctl_kind_words() {\n"
      "    case $1 in\n";
  for (std::string_view kind : kFixedKinds)
    out += fmt::format("    {}) _lbctl_list={} ;;\n", kind, quoted(kind_words(kind)));
  out +=
      "    *) return 1 ;;\n"
      "    esac\n"
      "}\n"
      "\n"
      "# lbctl's own options, which every command takes too.\n"
      "_lbctl_global_opts=" +
      quoted(tables.global_options) + "\n";
  out += kWalker;
  return out;
}

}  // namespace lb::lbctl
