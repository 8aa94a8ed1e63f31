// splice_running(): the file as lines; top-level sections and the services
// list's items located by yaml-cpp's marks. A section or item owns the
// comment and blank lines just above it (they describe it), so replacing one
// never strands or steals a neighbour's comment.
#include <lb/config/save.h>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <vector>

#include <lb/config/edit.h>
#include <lb/config/emit.h>
#include <lb/config/load.h>

namespace lb::config {

namespace {

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const size_t stop = end == std::string_view::npos ? text.size() : end;
    lines.emplace_back(text.substr(start, stop - start));
    start = stop + 1;
  }
  return lines;
}

bool is_comment_or_blank(const std::string& line) {
  const size_t first = line.find_first_not_of(" \t");
  return first == std::string::npos || line[first] == '#';
}

// The first line a node at `line` owns: the comment/blank run above it,
// but not above `floor` (the owner's header line, or the previous node).
size_t owned_start(const std::vector<std::string>& lines, size_t line, size_t floor) {
  while (line > floor && is_comment_or_blank(lines[line - 1]))
    --line;
  return line;
}

struct Range {
  size_t begin = 0;  // first line (owned comments included)
  size_t end = 0;    // one past the last line
  size_t key = 0;    // a section's key line (its comments are begin..key)
};

std::string join(const std::vector<std::string>& lines, Range range) {
  std::string out;
  for (size_t i = range.begin; i < range.end; ++i)
    out += lines[i] + '\n';
  return out;
}

struct Layout {
  std::map<std::string, Range> sections;  // top-level keys
  std::vector<Range> service_items;       // block-list items of `services`
  int service_indent = 2;                 // column of their "- "
  bool services_block = false;            // a block list (not `[...]` or empty)
};

std::optional<Layout> layout_of(const std::vector<std::string>& lines, std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
  if (!root.IsMap()) return std::nullopt;
  struct Key {
    std::string name;
    size_t line;
    YAML::Node value;
  };
  std::vector<Key> keys;
  for (const auto& entry : root) {
    const int line = entry.first.Mark().line;
    if (line < 0) return std::nullopt;
    keys.push_back({entry.first.Scalar(), static_cast<size_t>(line), entry.second});
  }
  Layout layout;
  for (size_t k = 0; k < keys.size(); ++k) {
    const size_t floor = k == 0 ? 0 : keys[k - 1].line + 1;
    Range range{owned_start(lines, keys[k].line, floor), lines.size(), keys[k].line};
    if (k + 1 < keys.size()) {
      range.end = owned_start(lines, keys[k + 1].line, keys[k].line + 1);
    }
    layout.sections[keys[k].name] = range;
    if (keys[k].name != "services") continue;
    const YAML::Node& list = keys[k].value;
    if (!list.IsSequence() || list.size() == 0 || list.Style() == YAML::EmitterStyle::Flow) {
      continue;
    }
    layout.services_block = true;
    size_t previous = keys[k].line + 1;
    for (const auto& item : list) {
      const int line = item.Mark().line;
      if (line < 0 || static_cast<size_t>(line) < previous) return std::nullopt;
      const auto at = static_cast<size_t>(line);
      layout.service_items.push_back(Range{owned_start(lines, at, previous), 0, at});
      previous = static_cast<size_t>(line) + 1;
    }
    for (size_t i = 0; i < layout.service_items.size(); ++i) {
      layout.service_items[i].end =
          i + 1 < layout.service_items.size() ? layout.service_items[i + 1].begin : range.end;
    }
    const std::string& first = lines[static_cast<size_t>(list[0].Mark().line)];
    layout.service_indent = static_cast<int>(first.find('-'));
  }
  return layout;
}

std::string service_text(const sched::ServiceSpec& service) {
  return emit_services(std::span(&service, 1));
}

// One emitted service as a list item at `indent` (the emitter writes 2).
std::string item_text(const sched::ServiceSpec& service, int indent) {
  std::string out;
  const std::string text = service_text(service);
  for (const auto& line : split_lines(text.substr(text.find('\n') + 1))) {
    if (line.empty()) {
      out += '\n';
      continue;
    }
    out += std::string(static_cast<size_t>(indent), ' ') + line.substr(2) + '\n';
  }
  return out;
}

std::string services_section(const std::vector<std::string>& lines, const Layout& layout,
                             const Config& from_file, const Config& running) {
  if (!layout.services_block) return emit_services(running.services);
  if (running.services.empty()) return "services: []\n";
  // The file's services by value (kept whole) and by identity (a changed
  // one keeps the comments above it).
  std::map<std::string, size_t> by_value;
  std::map<std::string, size_t> by_identity;
  for (size_t i = 0; i < from_file.services.size() && i < layout.service_items.size(); ++i) {
    by_value.emplace(service_text(from_file.services[i]), i);
    by_identity.emplace(service_label(from_file.services[i]), i);
  }
  const Range whole = layout.sections.at("services");
  // The key line and whatever comes before the first item.
  std::string out = join(lines, Range{whole.key, layout.service_items.front().begin});
  for (const auto& service : running.services) {
    if (const auto same = by_value.find(service_text(service)); same != by_value.end()) {
      out += join(lines, layout.service_items[same->second]);
    } else if (const auto edited = by_identity.find(service_label(service));
               edited != by_identity.end()) {
      const Range& item = layout.service_items[edited->second];
      out += join(lines, Range{item.begin, item.key}) + item_text(service, layout.service_indent);
    } else {
      // A new service, set apart as the emitter sets services apart. Blank
      // lines that ended a kept item (they separated it from what follows
      // the list) move below the new one rather than pile up above it.
      size_t blanks = 0;
      while (out.size() >= blanks + 2 && out[out.size() - blanks - 1] == '\n' &&
             out[out.size() - blanks - 2] == '\n') {
        ++blanks;
      }
      out.resize(out.size() - blanks);
      out += '\n' + item_text(service, layout.service_indent) + std::string(blanks, '\n');
    }
  }
  return out;
}

}  // namespace

std::variant<std::string, SaveError> splice_running(std::string_view original,
                                                    const Config& from_file,
                                                    const Config& running) {
  const std::vector<std::string> lines = split_lines(original);
  const auto layout = layout_of(lines, original);
  if (!layout) return SaveError{"the file's layout could not be read (it is not a YAML map)"};

  std::map<size_t, std::string> replace;  // section begin -> new text
  std::vector<Range> dropped;
  std::string appended;
  const auto put = [&](const char* key, std::string text) {
    const auto it = layout->sections.find(key);
    if (it == layout->sections.end()) {
      if (!text.empty()) appended += "\n" + text;
    } else if (text.empty()) {
      dropped.push_back(it->second);
    } else {
      replace[it->second.begin] = std::move(text);
    }
  };
  bool services_changed = from_file.services.size() != running.services.size();
  for (size_t i = 0; !services_changed && i < running.services.size(); ++i)
    services_changed = service_text(from_file.services[i]) != service_text(running.services[i]);
  if (services_changed) put("services", services_section(lines, *layout, from_file, running));
  if (emit_connections(from_file.connections) != emit_connections(running.connections)) {
    put("connections", emit_connections(running.connections));
  }

  std::string out;
  for (size_t line = 0; line < lines.size();) {
    bool skipped = false;
    for (const auto& [key, range] : layout->sections) {
      if (range.begin != line) continue;
      if (auto r = replace.find(line); r != replace.end()) {
        // The comments above the key stay; the key and its value are new.
        out += join(lines, Range{range.begin, range.key}) + r->second;
        line = range.end;
        skipped = true;
      } else if (std::any_of(dropped.begin(), dropped.end(),
                             [&](const Range& d) { return d.begin == line; })) {
        line = range.end;
        skipped = true;
      }
      break;
    }
    if (!skipped) out += lines[line++] + '\n';
  }
  out += appended;

  // The text must give back what runs: a splice mistake is never written.
  const auto reloaded = load_string(out, "saved configuration");
  if (!reloaded.config) {
    return SaveError{fmt::format("the saved text would not load ({}); nothing was written",
                                 reloaded.errors.front().to_string())};
  }
  if (emit_services(reloaded.config->services) != emit_services(running.services) ||
      emit_connections(reloaded.config->connections) != emit_connections(running.connections)) {
    return SaveError{
        "the saved text would not give the running configuration back; nothing was "
        "written"};
  }
  return out;
}

}  // namespace lb::config
