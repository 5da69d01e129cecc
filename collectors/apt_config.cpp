// The `apt_config` and `apt_config_files` tables: APT's configuration as
// libapt-pkg 2.6 (Debian 12) builds it. Checked against apt's source:
//  - pkgInitConfig() (apt-pkg/init.cc) reads $APT_CONFIG, then the parts
//    directory Dir::Etc::parts (/etc/apt/apt.conf.d/), then the main file
//    Dir::Etc::main (/etc/apt/apt.conf) when it is a regular file. The main
//    file is read last, so its scalars win. ($APT_CONFIG is per process and
//    not read here.)
//  - ReadConfigDir() takes the files GetListOfFilesInDir(dir, "conf", sorted,
//    no extension allowed) returns (apt_conf_part()) and reads every one, even
//    after one failed.
//  - the configuration is one tree, keys compared case-insensitively
//    (stringcasecmp in Configuration::Lookup); Set replaces a value, an empty
//    last segment ("A::B::") appends a list item, #clear empties a whole
//    subtree, #include reads a file (or a directory, for a path ending in '/')
//    at depth+1 and fails past depth 10 ("Too many nested includes").
//  - any error (syntax, an unreadable include) makes pkgInitConfig() return
//    false, and apt-private's ParseCommandLine() then exits 100: apt, apt-get
//    and apt-config refuse to run, so apt.systemd.daily gets no settings;
//    python-apt's init_config() raises, so unattended-upgrade stops too.
#include "apt_config.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <set>

#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr int kAptMaxDepth = 10;                    // apt: Depth > 10 is "Too many nested includes"
constexpr std::size_t kMaxFiles = 1000;             // vigil's caps, far above any real configuration
constexpr std::size_t kMaxBytes = kDefaultReadCap;  // all files together
constexpr std::size_t kMaxValues = 100000;
constexpr std::size_t kMaxEntries = 20000;  // of parts directories, over all (included) listings
constexpr std::size_t kMaxNodes = 200000;   // keys and list items of the configuration tree
constexpr std::size_t kMaxValueBytes = 32u * 1024u * 1024u;
constexpr std::size_t kMaxWarnings = 100;

std::string where(const std::string& file, int line) {
  return file + ":" + std::to_string(line);
}

class Evaluator {
 public:
  explicit Evaluator(const AptConfLoader& loader) : loader_(loader) { nodes_.emplace_back(); }

  AptConfig run() {
    const std::string parts(kAptConfParts);
    const auto listed = loader_.list_dir(parts.substr(0, parts.size() - 1));
    if (listed.is(Errc::too_large)) fatal_ = listed.error();
    if (listed) {
      out_.loads = read_dir(parts, *listed, 0, std::nullopt) && out_.loads;
    } else {
      // DirectoryExists() false: apt warns "Unable to read" and goes on.
      add_file(parts, listed.is(Errc::not_found) ? "absent" : "ignored", listed.error().message, 0, {});
      warn(parts, "cannot be read (" + listed.error().message + "); apt warns and goes on without it");
    }
    const std::string main(kAptConfMain);
    const auto type = loader_.type(main);
    if (type && *type == FileType::regular) {
      out_.loads = read_file(main, 0, std::nullopt) && out_.loads;
    } else if (type.is(Errc::not_found)) {
      add_file(main, "absent", "no such file (Debian ships none)", 0, {});
    } else {
      // RealFileExists() false: apt skips the main file without a word.
      add_file(main, "ignored", type ? "not a regular file" : type.error().message, 0, {});
      warn(main, "not a regular file; apt skips it");
    }
    if (fatal_) return AptConfig{{}, {}, false, {}, fatal_};
    finish();
    return std::move(out_);
  }

 private:
  struct Node {
    std::vector<std::size_t> children;
    std::string tag_lower;
    std::optional<std::size_t> setter;  // index into out_.values of the value in force
    std::size_t list_items = 0;         // unnamed children since the last #clear
    bool attached = true;               // false once a #clear removed it from its parent
  };

  void warn(std::string w, std::string message) {
    out_.issues.push_back(AptConfIssue{std::move(w), std::move(message)});
  }

  std::size_t add_file(const std::string& path, std::string status, std::string message, int depth,
                       std::optional<std::string> from) {
    out_.files.push_back(AptConfFile{path, std::move(status), std::move(message), std::nullopt,
                                     std::move(from), depth, std::nullopt});
    return out_.files.size() - 1;
  }

  bool file_error(std::size_t index, int line, std::string message) {
    auto& f = out_.files[index];
    f.status = "error";
    f.line = line;
    f.message = message;
    warn(where(f.path, line), message + "; apt refuses to start while any configuration file has an error");
    return false;
  }

  // ReadConfigDir(): every accepted file is read, even after one failed.
  bool read_dir(const std::string& dir, std::vector<std::string> names, int depth,
                const std::optional<std::string>& from) {
    entries_ += names.size();
    if (entries_ > kMaxEntries) {
      fatal_ = make_error(Errc::too_large, dir + ": more than " + std::to_string(kMaxEntries) +
                                               " directory entries in the APT configuration; vigil stops");
      return false;
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> accepted;
    for (const auto& name : names) {
      const std::string path = dir + name;
      const auto type = loader_.type(path);
      const auto d = apt_conf_part(name, type ? *type : FileType::unknown);
      if (d.verdict == AptPartVerdict::read) {
        accepted.push_back(path);
        continue;
      }
      add_file(path, "ignored", d.reason, depth, from);
      if (d.verdict == AptPartVerdict::ignored_notice)
        warn(path, d.reason + "; apt ignores it with a notice");
    }
    bool ok = true;
    for (const auto& path : accepted) ok = read_file(path, depth, from) && ok;
    return ok;
  }

  // ReadConfigFile(): false when apt would report an error for this file.
  bool read_file(const std::string& path, int depth, const std::optional<std::string>& from) {
    if (fatal_) return false;
    if (++files_read_ > kMaxFiles) {
      fatal_ = make_error(Errc::too_large, "APT configuration: more than " + std::to_string(kMaxFiles) +
                                               " files read (include fan-out); vigil stops");
      return false;
    }
    const std::size_t index = add_file(path, "read", {}, depth, from);
    out_.files[index].read_order = static_cast<int>(files_read_);
    const auto text = loader_.read(path, kMaxBytes - bytes_);
    if (text.is(Errc::too_large)) {
      fatal_ = make_error(Errc::too_large, path + ": the APT configuration is over vigil's cap of " +
                                               std::to_string(kMaxBytes) + " bytes in all");
      return false;
    }
    if (!text) return file_error(index, 0, "cannot be read: " + text.error().message);
    bytes_ += text->size();
    const AptConfParse parse = parse_apt_conf(*text);
    if (parse.over_limit) {
      fatal_ = make_error(Errc::too_large, path + ": " + *parse.over_limit);
      return false;
    }
    for (const auto& i : parse.issues) warn(where(path, i.line), i.message);
    stack_.push_back(path);
    const bool ok = apply(parse, path, index, depth);
    stack_.pop_back();
    if (!ok) return false;
    if (parse.error) return file_error(index, parse.error->line, parse.error->message);
    return true;
  }

  bool apply(const AptConfParse& parse, const std::string& path, std::size_t index, int depth) {
    using Kind = AptConfStatement::Kind;
    for (const auto& s : parse.statements) {
      if (fatal_) return false;
      if (s.kind == Kind::set) {
        set(s, path);
      } else if (s.kind == Kind::clear) {
        clear(s.name);
      } else if (s.kind == Kind::configure_index) {
        warn(where(path, s.line),
             "#x-apt-configure-index only loads apt's option types for debugging; not read");
      } else if (!include(s, path, index, depth)) {
        return false;
      }
    }
    return true;
  }

  bool include(const AptConfStatement& s, const std::string& path, std::size_t index, int depth) {
    if (depth > kAptMaxDepth) return file_error(index, s.line, "syntax error: too many nested includes");
    std::string target = s.name;
    if (target.empty() || target.front() != '/') {
      warn(where(path, s.line),
           "#include of a relative path: apt opens it from its working directory, "
           "read here from / (a systemd service's)");
      target = "/" + target;
    }
    if (std::find(stack_.begin(), stack_.end(), target) != stack_.end()) {
      warn(where(path, s.line), "include loop: apt reads the file again until the nesting limit, then fails");
    }
    const std::string from = where(path, s.line);
    bool ok = false;
    if (s.name.size() > 2 && target.back() == '/') {
      const auto names = loader_.list_dir(target.substr(0, target.size() - 1));
      if (names) {
        ok = read_dir(target, *names, depth + 1, from);
      } else if (names.is(Errc::too_large)) {
        fatal_ = names.error();
      } else {
        add_file(target, "error", "not a readable directory: " + names.error().message, depth + 1, from);
      }
    } else {
      ok = read_file(target, depth + 1, from);
    }
    return ok || file_error(index, s.line, "the file included here has an error");
  }

  // Configuration::Lookup(): "::" separates segments (scanned as apt scans
  // them), a segment matches case-insensitively, an empty one always appends
  // a new (list) node. Returns the node, and where the last segment starts.
  std::optional<std::size_t> lookup(std::string_view name, bool create, std::size_t* last_start = nullptr,
                                    std::optional<int>* list_index = nullptr) {
    std::size_t item = 0, start = 0;
    for (std::size_t tag_end = 0; tag_end + 2 <= name.size(); ++tag_end) {
      if (name[tag_end] != ':' || name[tag_end + 1] != ':') continue;
      auto next = child(item, name.substr(start, tag_end - start), create, nullptr);
      if (!next) return std::nullopt;
      item = *next;
      start = tag_end = tag_end + 2;
    }
    if (last_start != nullptr) *last_start = start;
    if (start == name.size() && !create) return std::nullopt;
    return child(item, name.substr(start), create, list_index);
  }

  std::optional<std::size_t> child(std::size_t head, std::string_view tag, bool create,
                                   std::optional<int>* list_index) {
    std::string lower = to_lower(tag);
    if (!tag.empty()) {
      const auto it = index_.find({head, lower});
      if (it != index_.end() && nodes_[it->second].attached) return it->second;
    }
    if (!create) return std::nullopt;
    if (nodes_.size() >= kMaxNodes) {
      fatal_ = make_error(Errc::too_large,
                          "more than " + std::to_string(kMaxNodes) + " APT configuration keys; vigil stops");
      return std::nullopt;
    }
    if (tag.empty() && list_index != nullptr) *list_index = static_cast<int>(nodes_[head].list_items);
    if (tag.empty()) ++nodes_[head].list_items;
    const std::size_t n = nodes_.size();
    if (!tag.empty()) index_[{head, lower}] = n;
    nodes_.push_back(Node{{}, std::move(lower), std::nullopt, 0, true});
    nodes_[head].children.push_back(n);
    return n;
  }

  void set(const AptConfStatement& s, const std::string& path) {
    if (out_.values.size() >= kMaxValues) {
      fatal_ = make_error(Errc::too_large, path + ": more than " + std::to_string(kMaxValues) +
                                               " APT configuration values; vigil stops");
      return;
    }
    value_bytes_ += 2 * s.name.size() + s.value.size();
    if (value_bytes_ > kMaxValueBytes) {
      fatal_ = make_error(Errc::too_large, path + ": more than " + std::to_string(kMaxValueBytes >> 20) +
                                               " MiB of APT configuration values; vigil stops");
      return;
    }
    std::size_t last_start = 0;
    std::optional<int> list_index;
    const auto found = lookup(s.name, true, &last_start, &list_index);
    if (!found) return;  // a cap was hit
    const std::size_t node = *found;
    const bool list_item = last_start == s.name.size();
    std::string key = list_item ? s.name.substr(0, last_start >= 2 ? last_start - 2 : 0) : s.name;
    nodes_[node].setter = out_.values.size();
    value_nodes_.push_back(node);
    out_.values.push_back(AptConfValue{key, to_lower(key), s.value, list_index, false, path, s.line});
  }

  // Configuration::Clear(): the value and the whole subtree go; the node stays.
  void clear(std::string_view name) {
    if (auto node = lookup(name, false)) {
      Node& n = nodes_[*node];
      for (std::size_t c : n.children) nodes_[c].attached = false;
      n.setter.reset();
      n.children.clear();
      n.list_items = 0;
    }
  }

  void finish() {
    std::vector<bool> reachable(nodes_.size(), false);
    std::vector<std::size_t> todo{0};
    while (!todo.empty()) {
      const std::size_t n = todo.back();
      todo.pop_back();
      reachable[n] = true;
      todo.insert(todo.end(), nodes_[n].children.begin(), nodes_[n].children.end());
    }
    for (std::size_t i = 0; i < out_.values.size(); ++i) {
      const std::size_t n = value_nodes_[i];
      out_.values[i].effective = out_.loads && reachable[n] && nodes_[n].setter == i;
    }
    static const std::set<std::string> kMoved{"dir", "dir::etc", "dir::etc::main", "rootdir"};
    for (const auto& v : out_.values) {
      if (kMoved.count(v.key_lower) != 0 && v.list_index == std::nullopt) {
        warn(where(v.file, v.line),
             v.key + " moves where apt looks for its files; vigil reads /etc/apt only");
      }
    }
  }

  const AptConfLoader& loader_;
  AptConfig out_;
  std::vector<Node> nodes_;                                           // [0] is the root
  std::map<std::pair<std::size_t, std::string>, std::size_t> index_;  // (parent, tag_lower) -> node
  std::vector<std::size_t> value_nodes_;                              // the node of each out_.values entry
  std::vector<std::string> stack_;  // files being read, for the loop warning
  std::size_t files_read_ = 0, bytes_ = 0, entries_ = 0, value_bytes_ = 0;
  std::optional<Error> fatal_;
};

AptConfLoader host_loader(const Host& host) {
  AptConfLoader l;
  l.read = [&host](const std::string& path, std::size_t cap) -> Result<std::string> {
    auto content = host.read_file(path, ReadOptions{.max_bytes = cap});
    if (!content) return std::move(content).error();
    return std::move(content->data);
  };
  l.list_dir = [&host](const std::string& dir) -> Result<std::vector<std::string>> {
    auto entries = host.list_dir(dir);
    if (!entries) return std::move(entries).error();
    std::vector<std::string> names;
    for (auto& e : *entries) names.push_back(std::move(e.name));
    return names;
  };
  l.type = [&host](const std::string& path) -> Result<FileType> {
    auto st = host.stat(path, true);
    if (!st) return std::move(st).error();
    return st->type;
  };
  return l;
}

Result<AptConfig> evaluate(CollectContext& ctx) {
  AptConfig config = evaluate_apt_config(host_loader(ctx.host()));
  if (config.fatal) return *config.fatal;
  for (std::size_t i = 0; i < config.issues.size() && i < kMaxWarnings; ++i) {
    ctx.warn(sanitize_utf8(config.issues[i].where), sanitize_utf8(config.issues[i].message));
  }
  if (config.issues.size() > kMaxWarnings) {
    ctx.warn(std::string(kAptConfParts),
             std::to_string(config.issues.size() - kMaxWarnings) + " more issues not shown");
  }
  return config;
}

Value opt_int(const std::optional<int>& v) {
  return v ? int_value(*v) : null_value();
}

Status collect_values(CollectContext& ctx, std::vector<Row>& rows) {
  auto config = evaluate(ctx);
  if (!config) return std::move(config).error();
  for (const auto& v : config->values) {
    rows.push_back(Row{text_value(sanitize_utf8(v.key)), text_value(sanitize_utf8(v.key_lower)),
                       text_value(sanitize_utf8(v.value)), opt_int(v.list_index), bool_value(v.effective),
                       text_value(sanitize_utf8(v.file)), int_value(v.line)});
  }
  return Status::success();
}

Status collect_files(CollectContext& ctx, std::vector<Row>& rows) {
  auto config = evaluate(ctx);
  if (!config) return std::move(config).error();
  for (const auto& f : config->files) {
    rows.push_back(Row{text_value(sanitize_utf8(f.path)), text_value(f.status),
                       f.message.empty() ? null_value() : text_value(sanitize_utf8(f.message)),
                       opt_int(f.line),
                       f.included_from ? text_value(sanitize_utf8(*f.included_from)) : null_value(),
                       int_value(f.depth), opt_int(f.read_order)});
  }
  return Status::success();
}

using T = ColumnType;

TableDef apt_config_table() {
  return TableDef{
      "apt_config",
      "Every value APT's configuration files set, as libapt-pkg 2.6 reads them: /etc/apt/apt.conf.d/ (files "
      "with no extension or .conf, in name order) first, then /etc/apt/apt.conf, #include'd files where they "
      "are included. Later values of a key win; list items accumulate until a #clear. When any file has an "
      "error apt refuses to start (apt_config_files.status = 'error'): the values read before the error are "
      "rows, and none is effective. A key no file sets has no row: apt's built-in default applies. "
      "Binary::<program>::<key> applies <key> to that program only (apt, apt-get...).",
      {
          {"key", T::text,
           "full key as written, e.g. APT::Periodic::Unattended-Upgrade; a list item names its list "
           "(Unattended-Upgrade::Origins-Pattern)"},
          {"key_lower", T::text, "the key in lower case: apt compares keys case-insensitively; query this"},
          {"value", T::text,
           "the value as apt stores it (quotes removed, %XX decoded in unquoted words); '' means apt uses "
           "its "
           "default. Booleans (StringToBool): 0/1 or, in any case, yes/true/with/on/enable and "
           "no/false/without/off/disable; other text is the default. APT::Periodic::* are intervals in days "
           "(0 = off)"},
          {"list_index", T::integer, "0, 1... for a list item (an entry without a name); NULL for a scalar"},
          {"effective", T::integer,
           "1 when apt runs with this value: the last value set for a scalar key, or a list item not removed "
           "by a later #clear; 0 for everything when the configuration has an error"},
          {"file", T::text, "the file that sets it"},
          {"line", T::integer, "line where the statement starts"},
      },
      collect_values,
  };
}

TableDef apt_config_files_table() {
  return TableDef{
      "apt_config_files",
      "The files APT's configuration is read from, in the order apt considers them: entries of "
      "/etc/apt/apt.conf.d/ (read or ignored, and why), /etc/apt/apt.conf, and #include'd files. Any "
      "'error' row means apt, apt-get, apt-config and unattended-upgrade refuse to start.",
      {
          {"file", T::text, "host path"},
          {"status", T::text,
           "'read'; 'error' (apt stops reading the file there and fails to start); 'ignored' (apt skips "
           "it: name, extension or file type); 'absent'"},
          {"message", T::text, "why the file is in error, ignored or absent; NULL when read"},
          {"line", T::integer, "line of the error; NULL otherwise"},
          {"included_from", T::text,
           "file:line of the #include that reads it; NULL for the parts and main file"},
          {"depth", T::integer, "include depth: 0 for the parts and main file"},
          {"read_order", T::integer, "1, 2... in the order apt reads files; NULL when not read"},
      },
      collect_files,
  };
}

}  // namespace

AptConfig evaluate_apt_config(const AptConfLoader& loader) {
  return Evaluator(loader).run();
}

VIGIL_REGISTER_TABLE(apt_config_table());
VIGIL_REGISTER_TABLE(apt_config_files_table());

}  // namespace vigil::collectors
