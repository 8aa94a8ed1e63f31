// `lbctl completion bash` in a real bash: the script's _lbctl called as bash
// calls it on <TAB> (COMP_WORDS split as bash splits a line: at blanks and at
// ":" and "="), and what it offers. Its commands and options are checked
// against lbctl's own --help both ways; SERVICE and REAL come from a stand-in
// lbd serving `config`.
#include <algorithm>
#include <set>

#include <catch2/catch.hpp>

#include "lbctl_fixture.h"

using lb::test::kLbctl;
using lb::test::Outcome;
using lb::test::run;
using lb::test::ServerThread;
using lb::test::TempDir;
using nlohmann::json;

namespace {

const std::string kBash = "/bin/bash";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string single_quoted(const std::string& word) {
  REQUIRE(word.find('\'') == std::string::npos);
  return "'" + word + "'";
}

// bash's COMP_WORDS for `line` with the cursor at its end: words split at
// blanks, and runs of ":" or "=" (of COMP_WORDBREAKS) as words of their own;
// a line ending in a blank has an empty last word.
std::vector<std::string> comp_words(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  const auto is_break = [](char c) { return c == ':' || c == '='; };
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else if (!word.empty() && is_break(c) != is_break(word.back())) {
      words.push_back(word);
      word = std::string(1, c);
    } else {
      word += c;
    }
  }
  words.push_back(word);
  return words;
}

struct Completion {
  std::vector<std::string> replies;
  std::string err;
  int status = -1;
};

// What _lbctl offers for `line` (its first word is replaced by lbctl's path,
// as a user typing ./build/app/lbctl/lbctl would have it).
Completion complete(const TempDir& dir, std::string line, const std::string& socket_env = "") {
  REQUIRE(line.starts_with("lbctl"));
  line = kLbctl + line.substr(5);
  const auto words = comp_words(line);
  std::string array;
  for (const auto& w : words)
    array += " " + single_quoted(w);
  const std::string script = "eval \"$(" + single_quoted(kLbctl) +
                             " completion bash)\" || exit 9\n"
                             "COMP_WORDS=(" +
                             array + ")\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
                             "\nCOMP_LINE=" + single_quoted(line) +
                             "\nCOMP_POINT=" + std::to_string(line.size()) +
                             "\n_lbctl || exit 8\n"
                             "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
  const Outcome o = run(dir, kBash, "bash", {"-c", script}, socket_env);
  Completion c{{}, o.err, o.status};
  for (auto& l : lines_of(o.out)) {
    if (!l.empty()) c.replies.push_back(l);
  }
  return c;
}

std::vector<std::string> replies(const TempDir& dir, const std::string& line,
                                 const std::string& socket_env = "") {
  const Completion c = complete(dir, line, socket_env);
  INFO(line << "\nstderr: " << c.err);
  CHECK(c.status == 0);
  CHECK(c.err.empty());
  return c.replies;
}

std::set<std::string> as_set(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

// The entries of a section of CLI11's help ("Subcommands:", "Options:"):
// the first word of each line indented by exactly two blanks.
std::vector<std::string> help_section(const std::string& help, const std::string& title) {
  std::vector<std::string> out;
  bool inside = false;
  for (const auto& line : lines_of(help)) {
    if (line == title) {
      inside = true;
    } else if (inside && line.empty()) {
      break;
    } else if (inside && line.size() > 2 && line.starts_with("  ") && line[2] != ' ') {
      out.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  return out;
}

// "-s,--scheduler" -> {"-s", "--scheduler"}.
std::vector<std::string> option_names(const std::vector<std::string>& entries) {
  std::vector<std::string> names;
  for (const auto& entry : entries) {
    std::size_t start = 0;
    while (start < entry.size()) {
      const std::size_t comma = std::min(entry.find(',', start), entry.size());
      names.push_back(entry.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return names;
}

std::string help_of(const TempDir& dir, const std::string& path) {
  std::vector<std::string> args;
  for (std::size_t start = 0; start < path.size();) {
    const std::size_t space = std::min(path.find(' ', start), path.size());
    args.push_back(path.substr(start, space - start));
    start = space + 1;
  }
  args.push_back("--help");
  const Outcome o = run(dir, kLbctl, "lbctl", args);
  INFO("lbctl " << path << " --help: " << o.err);
  REQUIRE(o.status == 0);
  return o.out;
}

// lbd's `config` result: an address service of each protocol (one of them
// disabled) and a firewall-mark service.
const json kConfig = json::parse(R"({"config_path":"/etc/lbd/lbd.yaml","unsaved_edits":false,
  "services":[
  {"protocol":"tcp","vip":"198.18.1.100","port":80,"scheduler":"wlc","sched_flags":[],
   "persistent":0,"one_packet":false,"quiesce_server":false,"enabled":true,"real_servers":[
    {"address":"198.18.2.11","port":8080,"forward":"nat","weight":1,"upper_threshold":0,
     "lower_threshold":0,"enabled":true},
    {"address":"198.18.2.12","port":8080,"forward":"nat","weight":2,"upper_threshold":0,
     "lower_threshold":0,"enabled":false}]},
  {"protocol":"udp","vip":"198.18.1.100","port":53,"scheduler":"rr","sched_flags":[],
   "persistent":0,"one_packet":true,"quiesce_server":false,"enabled":false,"real_servers":[]},
  {"fwmark":80,"scheduler":"rr","sched_flags":[],"persistent":600,"netmask":"255.255.255.255",
   "one_packet":false,"quiesce_server":false,"enabled":true,"real_servers":[
    {"address":"198.18.2.13","port":0,"forward":"dr","weight":1,"upper_threshold":0,
     "lower_threshold":0,"enabled":true}]}]})");

struct ConfigLbd {
  explicit ConfigLbd(const std::string& path)
      : server(path, [](const lb::ctl::Request& request) -> json {
          if (request.cmd != "config") {
            throw lb::ctl::CtlError("unknown_command", "only config here");
          }
          return kConfig;
        }) {}
  ServerThread server;
};

}  // namespace

TEST_CASE("lbctl completion: command words are exactly lbctl's commands") {
  TempDir dir;
  const auto commands = help_section(help_of(dir, ""), "Subcommands:");
  REQUIRE(commands.size() > 15);
  CHECK(replies(dir, "lbctl ") == commands);
  CHECK(std::find(commands.begin(), commands.end(), "completion") != commands.end());
  CHECK(replies(dir, "lbctl ser") == std::vector<std::string>{"services", "service"});
  CHECK(replies(dir, "lbctl se") ==
        std::vector<std::string>{"services", "settings", "set", "service"});
  CHECK(replies(dir, "lbctl --json sta") == std::vector<std::string>{"status", "stats"});
  CHECK(replies(dir, "lbctl -S /tmp/x.sock dr") == std::vector<std::string>{"drain"});
  CHECK(replies(dir, "lbctl nosuch").empty());
}

TEST_CASE("lbctl completion: every command's sub-actions and options, as its --help lists them") {
  TempDir dir;
  const std::set<std::string> globals = {"-S", "--socket", "--json"};
  CHECK(as_set(replies(dir, "lbctl -")) ==
        as_set(option_names(help_section(help_of(dir, ""), "Options:"))));

  std::vector<std::string> paths = help_section(help_of(dir, ""), "Subcommands:");
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string help = help_of(dir, paths[i]);
    const auto subs = help_section(help, "Subcommands:");
    INFO("lbctl " << paths[i]);
    if (!subs.empty()) {
      CHECK(replies(dir, "lbctl " + paths[i] + " ") == subs);
      for (const auto& sub : subs)
        paths.push_back(paths[i] + " " + sub);
    }
    std::set<std::string> expected = as_set(option_names(help_section(help, "Options:")));
    expected.insert(globals.begin(), globals.end());
    CHECK(as_set(replies(dir, "lbctl " + paths[i] + " -")) == expected);
  }
  // service, real and completion have sub-actions; every one was visited.
  CHECK(std::count(paths.begin(), paths.end(), "service add") == 1);
  CHECK(std::count(paths.begin(), paths.end(), "real delete") == 1);
  CHECK(std::count(paths.begin(), paths.end(), "completion bash") == 1);
  CHECK(replies(dir, "lbctl real ") == std::vector<std::string>{"add", "edit", "delete"});
  CHECK(replies(dir, "lbctl service e") == std::vector<std::string>{"edit"});
  CHECK(replies(dir, "lbctl real edit tcp:198.18.1.100:80 198.18.2.11 --w") ==
        std::vector<std::string>{"--weight"});
}

TEST_CASE("lbctl completion: option values") {
  TempDir dir;
  SECTION("-s: the schedulers lbd has") {
    CHECK(replies(dir, "lbctl service add tcp:198.18.1.100:80 -s ") ==
          std::vector<std::string>{"dh", "fo", "lblc", "lblcr", "lc", "mh", "nq", "ovf", "rr",
                                   "sed", "sh", "twos", "wlc", "wrr"});
    CHECK(replies(dir, "lbctl service edit tcp:198.18.1.100:80 -s w") ==
          std::vector<std::string>{"wlc", "wrr"});
    // bash replaces only what follows the "=": the candidates are that part.
    CHECK(replies(dir, "lbctl service add fwmark:7 --scheduler=lb") ==
          std::vector<std::string>{"lblc", "lblcr"});
  }
  SECTION("-f: the forwarding methods") {
    CHECK(replies(dir, "lbctl real add tcp:198.18.1.100:80 198.18.2.11 -f ") ==
          std::vector<std::string>{"nat", "dr", "tunnel"});
    CHECK(replies(dir, "lbctl real edit tcp:198.18.1.100:80 198.18.2.11 -w 3 --forward t") ==
          std::vector<std::string>{"tunnel"});
  }
  SECTION("-b: scheduler flags, the last of a comma-separated list") {
    CHECK(replies(dir, "lbctl service add tcp:198.18.1.100:80 -s sh -b sh-port,sh-f") ==
          std::vector<std::string>{"sh-port,sh-fallback"});
  }
  SECTION("yes|no, import's formats, lookup's protocol, set's keys") {
    CHECK(replies(dir, "lbctl service edit udp:198.18.1.100:53 --one-packet ") ==
          std::vector<std::string>{"yes", "no"});
    CHECK(replies(dir, "lbctl import --from ") ==
          std::vector<std::string>{"ipvsadm", "keepalived", "lvs.cf", "ldirectord"});
    CHECK(replies(dir, "lbctl lookup ") == std::vector<std::string>{"tcp", "udp"});
    CHECK(replies(dir, "lbctl lookup u") == std::vector<std::string>{"udp"});
    CHECK(replies(dir, "lbctl set timeouts.est") ==
          std::vector<std::string>{"timeouts.established="});
    CHECK(replies(dir, "lbctl set timeouts.established=600 exp") ==
          std::vector<std::string>{"expire_nodest_conn="});
    // bash completes what follows the "=".
    CHECK(replies(dir, "lbctl set expire_nodest_conn=") == std::vector<std::string>{"yes", "no"});
    CHECK(replies(dir, "lbctl set expire_nodest_conn=y") == std::vector<std::string>{"yes"});
  }
  SECTION("health checks: the check types and what a failure does") {
    CHECK(replies(dir, "lbctl service edit tcp:198.18.1.100:80 --check ") ==
          std::vector<std::string>{"tcp", "http", "https", "send_expect", "udp", "program"});
    CHECK(replies(dir, "lbctl real add tcp:198.18.1.100:80 198.18.2.11 --check h") ==
          std::vector<std::string>{"http", "https"});
    CHECK(replies(dir, "lbctl service add tcp:198.18.1.100:80 --on-failure ") ==
          std::vector<std::string>{"remove", "quiesce"});
    CHECK(replies(dir, "lbctl service edit tcp:198.18.1.100:80 --sorry-forward ") ==
          std::vector<std::string>{"nat", "dr", "tunnel"});
    CHECK(replies(dir, "lbctl service edit tcp:198.18.1.100:80 --interval ").empty());
  }
  SECTION("free values complete to nothing") {
    CHECK(replies(dir, "lbctl lookup tcp 203.0.113.7:40000 ").empty());
    CHECK(replies(dir, "lbctl real add tcp:198.18.1.100:80 198.18.2.11 -w ").empty());
    CHECK(replies(dir, "lbctl service add tcp:198.18.1.100:80 -p ").empty());
  }
  SECTION("the ipvsadm dialect is left alone") {
    CHECK(replies(dir, "lbctl -L ").empty());
    CHECK(replies(dir, "lbctl -A -t ").empty());
  }
}

TEST_CASE("lbctl completion: file names for save, import and -S") {
  TempDir dir;
  std::ofstream(dir.file("alpha.yaml")) << "services: []\n";
  std::ofstream(dir.file("alpine.cf")) << "\n";
  std::ofstream(dir.file("beta.yaml")) << "\n";
  const std::set<std::string> both = {dir.file("alpha.yaml"), dir.file("alpine.cf")};
  CHECK(as_set(replies(dir, "lbctl save " + dir.file("alp"))) == both);
  CHECK(as_set(replies(dir, "lbctl import " + dir.file("al"))) == both);
  CHECK(replies(dir, "lbctl import --from lvs.cf " + dir.file("alph")) ==
        std::vector<std::string>{dir.file("alpha.yaml")});
  CHECK(replies(dir, "lbctl import -o " + dir.file("be")) ==
        std::vector<std::string>{dir.file("beta.yaml")});
  CHECK(replies(dir, "lbctl -S " + dir.file("b")) ==
        std::vector<std::string>{dir.file("beta.yaml")});
  // import takes one FILE: after it, options only.
  CHECK(as_set(replies(dir, "lbctl import " + dir.file("alpha.yaml") + " ")) ==
        std::set<std::string>{"-h", "--help", "--from", "-o", "--output", "-S", "--socket",
                              "--json"});
}

TEST_CASE("lbctl completion: SERVICE and REAL from the running lbd") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  ConfigLbd lbd(sock);
  const std::vector<std::string> services = {"tcp:198.18.1.100:80", "udp:198.18.1.100:53",
                                             "fwmark:80"};

  SECTION("lbctl completion services / reals, as the script runs them") {
    Outcome o = run(dir, kLbctl, "lbctl", {"completion", "services"}, sock);
    CHECK(o.status == 0);
    CHECK(o.out == "tcp:198.18.1.100:80\nudp:198.18.1.100:53\nfwmark:80\n");
    o = run(dir, kLbctl, "lbctl", {"-S", sock, "completion", "reals", "tcp:198.18.1.100:80"});
    CHECK(o.status == 0);
    CHECK(o.out == "198.18.2.11:8080\n198.18.2.12:8080\n");
    o = run(dir, kLbctl, "lbctl", {"completion", "reals", "tcp:198.18.1.100:81"}, sock);
    CHECK(o.status == 1);
    CHECK(o.err == "lbctl: completion: lbd has no service tcp:198.18.1.100:81\n");
    o = run(dir, kLbctl, "lbctl", {"completion", "reals", "tcp:nowhere"}, sock);
    CHECK(o.status == 2);
    CHECK(o.err.starts_with("lbctl: completion: 'tcp:nowhere' is not a service"));
  }
  SECTION("every command's SERVICE, disabled services included") {
    for (const char* line :
         {"lbctl service edit ", "lbctl service delete ", "lbctl real add ", "lbctl real delete ",
          "lbctl weight ", "lbctl drain ", "lbctl enable ", "lbctl disable ",
          "lbctl connections --service ", "lbctl completion reals "}) {
      INFO(line);
      CHECK(replies(dir, line, sock) == services);
    }
    CHECK(replies(dir, "lbctl real edit f", sock) == std::vector<std::string>{"fwmark:80"});
  }
  SECTION("a SERVICE cut at its colons by bash: candidates are what follows the last one") {
    CHECK(replies(dir, "lbctl drain tcp:", sock) == std::vector<std::string>{"198.18.1.100:80"});
    CHECK(replies(dir, "lbctl drain tcp:198", sock) == std::vector<std::string>{"198.18.1.100:80"});
    CHECK(replies(dir, "lbctl drain tcp:198.18.1.100:", sock) == std::vector<std::string>{"80"});
    CHECK(replies(dir, "lbctl drain fwmark:", sock) == std::vector<std::string>{"80"});
  }
  SECTION("REAL: that service's real servers") {
    CHECK(replies(dir, "lbctl real edit tcp:198.18.1.100:80 ", sock) ==
          std::vector<std::string>{"198.18.2.11:8080", "198.18.2.12:8080"});
    CHECK(replies(dir, "lbctl weight fwmark:80 ", sock) ==
          std::vector<std::string>{"198.18.2.13:0"});
    CHECK(replies(dir, "lbctl enable tcp:198.18.1.100:80 198.18.2.12", sock) ==
          std::vector<std::string>{"198.18.2.12:8080"});
    // A real server to add is a new one: nothing to offer.
    CHECK(replies(dir, "lbctl real add tcp:198.18.1.100:80 ", sock).empty());
    // weight's third word is the weight.
    CHECK(replies(dir, "lbctl weight tcp:198.18.1.100:80 198.18.2.11:8080 ", sock).empty());
  }
  SECTION("the socket given on the line, before the command or after it") {
    CHECK(replies(dir, "lbctl -S " + sock + " drain ") == services);
    CHECK(replies(dir, "lbctl --socket=" + sock + " drain ") == services);
    CHECK(replies(dir, "lbctl drain --socket " + sock + " ") == services);
  }
  SECTION("no lbd: nothing, silently") {
    CHECK(replies(dir, "lbctl real edit ", dir.file("nobody.sock")).empty());
    CHECK(replies(dir, "lbctl real edit tcp:198.18.1.100:80 ", dir.file("nobody.sock")).empty());
  }
}
