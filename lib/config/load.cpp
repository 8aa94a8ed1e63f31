// Entry points: read the file, parse the YAML, run the schema and the
// cross-field rules, and turn anything thrown underneath into an error.
#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>

#include <lb/config/load.h>

#include "parse.h"
#include "validate.h"
#include "yaml_reader.h"

namespace lb::config {

namespace {

// A config file is a few kilobytes; the cap stops `--config /dev/zero`.
constexpr size_t kMaxFileSize = 16u << 20;

LoadResult file_error(const std::string& path, std::string message) {
  LoadResult result;
  result.errors.push_back(ConfigError{path, 0, 0, "", std::move(message)});
  return result;
}

detail::Pos at_least_first_line(const YAML::Mark& mark) {
  const detail::Pos pos = detail::pos_of(mark);
  return pos.line == 0 ? detail::Pos{1, 1} : pos;
}

LoadResult load_documents(detail::Reader& reader, std::string_view yaml) {
  LoadResult result;
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp 0.7 gives this one the message "bad file".
    reader.error("", at_least_first_line(e.mark),
                 fmt::format("YAML syntax error: nested more than {} levels deep", e.depth()));
    result.errors = reader.take_errors();
    return result;
  } catch (const YAML::Exception& e) {
    reader.error("", at_least_first_line(e.mark), "YAML syntax error: " + e.msg);
    result.errors = reader.take_errors();
    return result;
  }
  // An empty file reads as an empty map: the error is then the missing `ports`.
  detail::Field root{
      documents.empty() ? YAML::Node(YAML::NodeType::Null) : documents[0], "", {1, 1}};
  if (!documents.empty()) {
    const detail::Pos pos = detail::pos_of(documents[0]);
    if (pos.line != 0) root.pos = pos;
  }
  // Only the first document would be read; a second one is a mistake (a
  // merged file?) that must not go unnoticed. A trailing empty one is harmless.
  for (size_t i = 1; i < documents.size(); ++i) {
    if (documents[i].IsNull()) continue;
    reader.error("", detail::pos_of(documents[i]),
                 "expected a single YAML document, found another one here");
    break;
  }
  detail::Parsed parsed = detail::parse_config(reader, root);
  detail::validate(reader, parsed.config, parsed.sites);
  result.errors = reader.take_errors();
  if (result.errors.empty()) result.config = std::move(parsed.config);
  return result;
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) out += fmt::format(":{}:{}", line, column);
  out += ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

LoadResult load_string(std::string_view yaml, std::string_view name) {
  try {
    detail::Reader reader{std::string(name)};
    return load_documents(reader, yaml);
  } catch (const std::bad_alloc&) {
    return file_error(std::string(name), "out of memory while reading the configuration");
  } catch (const std::exception& e) {
    // A bug in the reader, not in the file; still an error, never a crash.
    return file_error(std::string(name), fmt::format("internal error: {}", e.what()));
  }
}

LoadResult load_file(const std::string& path) {
  try {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                         &std::fclose);
    if (!file) return file_error(path, fmt::format("cannot open: {}", std::strerror(errno)));
    std::string text;
    char buffer[65536];
    while (true) {
      const size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
      text.append(buffer, n);
      if (text.size() > kMaxFileSize) {
        return file_error(
            path, fmt::format("larger than {} MiB: not a configuration file", kMaxFileSize >> 20));
      }
      if (n < sizeof buffer) break;
    }
    if (std::ferror(file.get())) {
      return file_error(path, fmt::format("cannot read: {}", std::strerror(errno)));
    }
    return load_string(text, path);
  } catch (const std::exception& e) {
    return file_error(path, fmt::format("cannot read: {}", e.what()));
  }
}

}  // namespace lb::config
