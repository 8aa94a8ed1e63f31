#include "import_command.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <lb/import/formats.h>

namespace lb::lbctl {

namespace {

// An LVS configuration is a few kilobytes; the cap stops `import /dev/zero`.
constexpr std::streamsize kMaxInput = 16 << 20;

std::optional<std::string> read_input(const std::string& path, std::string& problem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  std::array<char, 65536> buffer{};
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
    text.append(buffer.data(), static_cast<size_t>(in.gcount()));
    if (static_cast<std::streamsize>(text.size()) > kMaxInput) {
      problem = fmt::format("larger than {} MiB: not a configuration file", kMaxInput >> 20);
      return std::nullopt;
    }
  }
  if (in.bad()) {
    problem = "read error";
    return std::nullopt;
  }
  return text;
}

// "FILE:LINE: KIND: MESSAGE", as compilers write it (no line for the whole file).
std::string diagnostic(const std::string& file, const import::Warning& w, std::string_view kind) {
  return w.line > 0 ? fmt::format("{}:{}: {}: {}\n", file, w.line, kind, w.message)
                    : fmt::format("{}: {}: {}\n", file, kind, w.message);
}

}  // namespace

void declare_import(CLI::App& sub, Arguments& args) {
  sub.add_option("--from", args.import_from,
                 fmt::format("The file's format: {} (default: detected from its content)",
                             import::format_names()))
      ->type_name("FORMAT");
  sub.add_option("-o,--output", args.import_output, "Write the YAML here instead of stdout")
      ->type_name("OUT");
  sub.add_option("file", args.import_file,
                 "The LVS configuration to convert: an ipvsadm rule file (ipvsadm -S -n output, "
                 "/etc/sysconfig/ipvsadm; '#' lines skipped as the init scripts do), Piranha "
                 "lvs.cf, ldirectord.cf or keepalived.conf")
      ->required()
      ->type_name("FILE");
}

int run_import(const Globals&, const Arguments& args) {
  const std::string& file = args.import_file;
  const import::Format* format = nullptr;
  if (args.import_from) {
    format = import::find_format(*args.import_from);
    if (format == nullptr) {
      throw UsageError(fmt::format("--from '{}': expected one of: {}", *args.import_from,
                                   import::format_names()));
    }
  }
  std::string problem;
  const auto text = read_input(file, problem);
  if (!text) {
    std::cerr << fmt::format("lbctl: import: cannot read {}: {}\n", file, problem);
    return kExitFailed;
  }
  if (format == nullptr) {
    format = import::detect_format(*text);
    if (format == nullptr) {
      std::cerr << fmt::format(
          "lbctl: import: {}: cannot tell its format (no virtual service found); give --from "
          "({})\n",
          file, import::format_names());
      return kExitFailed;
    }
    std::cerr << fmt::format("lbctl: import: {}: read as {} ({}); --from chooses another\n", file,
                             format->name, format->description);
  }
  const import::Imported imported = format->parse(*text);
  for (const auto& w : imported.warnings)
    std::cerr << diagnostic(file, w, "warning");
  for (const auto& e : imported.errors)
    std::cerr << diagnostic(file, e, "error");
  if (!imported.errors.empty()) {
    std::cerr << fmt::format("lbctl: import: {}: {} error{}; nothing written\n", file,
                             imported.errors.size(), imported.errors.size() == 1 ? "" : "s");
    return kExitFailed;
  }
  const std::string yaml = import::render_yaml(imported, file, *format);
  if (args.import_output) {
    std::ofstream out(*args.import_output, std::ios::binary | std::ios::trunc);
    out << yaml;
    out.close();
    if (!out) {
      std::cerr << fmt::format("lbctl: import: cannot write {}: {}\n", *args.import_output,
                               std::strerror(errno));
      return kExitFailed;
    }
    std::cerr << fmt::format("lbctl: import: wrote {} service{} to {}\n", imported.services.size(),
                             imported.services.size() == 1 ? "" : "s", *args.import_output);
  } else {
    std::cout << yaml;
    std::cout.flush();
    if (!std::cout) return kExitFailed;
  }
  return kExitOk;
}

}  // namespace lb::lbctl
