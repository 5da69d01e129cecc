// The `rsyslog_config` table: what rsyslog 8.2302 (Debian 12) is told to do
// with log messages, from /etc/rsyslog.conf and the files it includes
// ($IncludeConfig and include(), expanded in place, glob order), and a small
// part of syslog-ng 3.38 (its network destinations).
//  - Legacy $FileCreateMode/$DirCreateMode/$FileOwner/$FileGroup/$Umask and
//    $ActionSendStreamDriver* apply to the legacy actions that follow them
//    (rsconf1_filecreatemode: "order of lines is vitally important").
//  - action(type="omfile") inherits module(load="builtin:omfile" ...) and
//    otherwise omfile's defaults (fileCreateMode 0644, dirCreateMode 0700).
//  - omfwd: TLS is protocol tcp with the gtls or ossl stream driver in mode 1;
//    the driver is the action's, else the global default netstream driver
//    (global(defaultNetstreamDriver=) / $DefaultNetstreamDriver), else ptcp.
#include <boost/json.hpp>
#include <map>
#include <set>

#include "collector.hpp"
#include "rsyslog.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr int kMaxIncludeDepth = 16;  // rsyslog has no limit: a loop would never end
constexpr std::size_t kMaxFiles = 1000;

enum Col : std::size_t {
  kDaemon,
  kFile,
  kLine,
  kKind,
  kName,
  kValue,
  kSelector,
  kRuleset,
  kTarget,
  kPort,
  kProtocol,
  kTls,
  kStreamDriver,
  kStreamDriverMode,
  kStreamDriverAuthMode,
  kPermittedPeers,
  kFileCreateMode,
  kDirCreateMode,
  kFileOwner,
  kFileGroup,
  kUmask,
  kParams,
  kColumnCount
};

struct Located {
  std::string file;
  RsyslogStatement s;
};

class Expander {
 public:
  Expander(CollectContext& ctx) : ctx_(ctx) {}

  void file(const std::string& path, int depth) {
    if (open_.count(path) != 0) {
      ctx_.warn(path, "include loop: rsyslog would include this file again without end; not read again");
      return;
    }
    if (depth > kMaxIncludeDepth || ++files_ > kMaxFiles) {
      ctx_.warn(path, "includes nested deeper than 16 or more than 1000 files; not read");
      return;
    }
    auto content = ctx_.host().read_file(path);
    if (!content) {
      ctx_.warn(path, content.error().message + "; not read (a fifo would block rsyslogd's start)");
      return;
    }
    text(path, content->data, depth);
  }

  std::vector<Located> out;

 private:
  void text(const std::string& path, std::string_view data, int depth) {
    open_.insert(path);
    RsyslogParsed p = parse_rsyslog_conf(data);
    for (const auto& i : p.issues) ctx_.warn(path + ":" + std::to_string(i.line), i.message);
    for (auto& s : p.statements) {
      const std::string where = path + ":" + std::to_string(s.line);
      if (s.kind == "directive" && s.name == "includeconfig") {
        const auto words = split_ws(s.args);
        out.push_back({path, s});
        if (!words.empty()) include(std::string(words[0]), where, depth, true);
        continue;
      }
      if (s.kind == "object" && s.name == "include") {
        out.push_back({path, s});
        const std::string mode = to_lower(rsyslog_param(s, "mode").value_or("abort-if-missing"));
        if (auto f = rsyslog_param(s, "file")) include(*f, where, depth, mode == "optional");
        if (auto t = rsyslog_param(s, "text")) text(path, *t, depth + 1);
        continue;
      }
      out.push_back({path, std::move(s)});
    }
    open_.erase(path);
  }

  void include(const std::string& pattern, const std::string& where, int depth, bool optional) {
    auto matches = ctx_.host().glob(resolve_relative("/etc", pattern));
    if (!matches) {
      ctx_.warn(where, "include " + pattern + ": " + matches.error().message);
      return;
    }
    if (matches->empty() && !optional) {
      ctx_.warn(where, "include " + pattern +
                           " matches no file (rsyslog reports an error; mode=\"abort-if-missing\" "
                           "stops its start)");
    }
    for (const auto& m : *matches) {
      auto st = ctx_.host().stat(m, true);
      if (st && st->type == FileType::directory) {
        // A directory includes every file in it, in name order.
        auto entries = ctx_.host().list_dir(m);
        if (!entries) continue;
        for (const auto& e : *entries) {
          if (!e.name.empty() && e.name[0] != '.') file(m + "/" + e.name, depth + 1);
        }
        continue;
      }
      file(m, depth + 1);
    }
  }

  CollectContext& ctx_;
  std::set<std::string> open_;
  std::size_t files_ = 0;
};

std::string lower_or(const std::optional<std::string>& v, std::string_view dflt) {
  return v ? to_lower(*v) : std::string(dflt);
}

Value opt(const std::optional<std::string>& v) {
  return v ? text_value(sanitize_utf8(*v)) : null_value();
}

std::string params_json(const RsyslogStatement& s) {
  boost::json::object o;
  for (const auto& p : s.params) o[sanitize_utf8(p.name)] = sanitize_utf8(p.value);
  return boost::json::serialize(o);
}

std::optional<std::string> either(const RsyslogStatement& s, std::string_view a, std::string_view b) {
  if (auto v = rsyslog_param(s, a)) return v;
  return rsyslog_param(s, b);
}

void tls_columns(Row& row, const std::string& protocol, const std::string& driver, const std::string& mode,
                 const std::optional<std::string>& auth, const std::optional<std::string>& peers) {
  row[kProtocol] = text_value(protocol);
  row[kStreamDriver] = driver.empty() ? null_value() : text_value(sanitize_utf8(driver));
  row[kStreamDriverMode] = text_value(sanitize_utf8(mode));
  row[kStreamDriverAuthMode] = opt(auth);
  row[kPermittedPeers] = opt(peers);
  row[kTls] = bool_value(protocol == "tcp" && (driver == "gtls" || driver == "ossl") && mode == "1");
}

void collect_rsyslog(CollectContext& ctx, std::vector<Row>& rows, bool& found) {
  const std::string main = "/etc/rsyslog.conf";
  auto st = ctx.host().stat(main, true);
  if (!st) return;
  found = true;
  Expander ex(ctx);
  ex.file(main, 0);

  // Settings that hold for the whole configuration, wherever they are written.
  std::string default_driver = "ptcp";
  std::map<std::string, std::string> omfile_module;
  for (const auto& l : ex.out) {
    const auto& s = l.s;
    if (s.kind == "directive" && s.name == "defaultnetstreamdriver") default_driver = to_lower(trim(s.args));
    if (s.kind == "object" && s.name == "global") {
      if (auto d = rsyslog_param(s, "defaultnetstreamdriver")) default_driver = to_lower(*d);
    }
    if (s.kind == "object" && s.name == "module" &&
        iequals(rsyslog_param(s, "load").value_or(""), "builtin:omfile")) {
      for (const auto& p : s.params) omfile_module[p.name] = p.value;
    }
  }
  auto module_param = [&](std::string_view name) -> std::optional<std::string> {
    auto it = omfile_module.find(std::string(name));
    if (it == omfile_module.end()) return std::nullopt;
    return it->second;
  };

  // Legacy settings in force at each point, in reading order.
  std::map<std::string, std::string> legacy{{"filecreatemode", "0644"}, {"dircreatemode", "0700"}};
  for (const auto& l : ex.out) {
    const auto& s = l.s;
    Row row(kColumnCount, null_value());
    row[kDaemon] = text_value("rsyslog");
    row[kFile] = text_value(sanitize_utf8(l.file));
    row[kLine] = int_value(s.line);
    row[kSelector] = s.selector.empty() ? null_value() : text_value(sanitize_utf8(s.selector));
    row[kRuleset] = s.ruleset.empty() ? null_value() : text_value(sanitize_utf8(s.ruleset));
    auto legacy_value = [&](const std::string& k) -> Value {
      auto it = legacy.find(k);
      return it == legacy.end() ? null_value() : text_value(sanitize_utf8(it->second));
    };
    if (s.kind == "directive") {
      const std::string arg(trim(s.args));
      legacy[s.name] = arg;
      row[kKind] = text_value(s.name == "includeconfig" ? "include" : "directive");
      row[kName] = text_value(sanitize_utf8(s.name));
      row[kValue] = text_value(sanitize_utf8(arg));
    } else if (s.kind == "control") {
      row[kKind] = text_value(s.name == "stop" ? "discard" : "control");
      row[kName] = text_value(s.name);
      row[kValue] = s.args.empty() ? null_value() : text_value(sanitize_utf8(s.args));
    } else if (s.kind == "legacy_action") {
      const std::string& a = s.args;
      row[kValue] = text_value(sanitize_utf8(a));
      if (auto f = parse_legacy_forward(a)) {
        row[kKind] = text_value("forward");
        row[kName] = text_value("omfwd");
        row[kTarget] = text_value(sanitize_utf8(f->target));
        row[kPort] = text_value(sanitize_utf8(f->port.value_or("514")));
        const std::string driver = legacy.count("actionsendstreamdriver") != 0
                                       ? to_lower(legacy["actionsendstreamdriver"])
                                       : default_driver;
        const std::string mode =
            legacy.count("actionsendstreamdrivermode") != 0 ? legacy["actionsendstreamdrivermode"] : "0";
        auto get = [&](const char* k) -> std::optional<std::string> {
          auto it = legacy.find(k);
          return it == legacy.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        tls_columns(row, f->protocol, f->protocol == "udp" ? "" : driver, f->protocol == "udp" ? "0" : mode,
                    get("actionsendstreamdriverauthmode"), get("actionsendstreamdriverpermittedpeer"));
      } else if (a[0] == '/' || (a.size() > 1 && a[0] == '-' && a[1] == '/') || a[0] == '?') {
        std::string path = a.substr(a[0] == '-' ? 1 : 0);
        path = path.substr(0, path.find(';'));
        row[kKind] = text_value("file");
        row[kName] = text_value("omfile");
        row[kValue] = text_value(sanitize_utf8(path));
        row[kFileCreateMode] = legacy_value("filecreatemode");
        row[kDirCreateMode] = legacy_value("dircreatemode");
        row[kFileOwner] = legacy_value("fileowner");
        row[kFileGroup] = legacy_value("filegroup");
      } else if (a == "~" || iequals(a, "stop")) {
        row[kKind] = text_value("discard");
        row[kName] = text_value("stop");
      } else {
        row[kKind] = text_value("action");
        std::string type = a[0] == '|' ? "ompipe" : a[0] == '^' ? "omprog" : a[0] == '*' ? "omusrmsg" : "";
        if (a[0] == ':') {
          const auto end = a.find(':', 1);
          type = a.substr(1, end == std::string::npos ? std::string::npos : end - 1);
        }
        row[kName] = type.empty() ? null_value() : text_value(sanitize_utf8(type));
      }
      row[kUmask] = legacy_value("umask");
    } else {  // RainerScript objects
      row[kParams] = text_value(params_json(s));
      if (s.name == "action") {
        const std::string type = lower_or(rsyslog_param(s, "type"), "");
        row[kName] = text_value(sanitize_utf8(type));
        if (type == "omfwd") {
          row[kKind] = text_value("forward");
          row[kTarget] = opt(rsyslog_param(s, "target"));
          row[kValue] = opt(rsyslog_param(s, "target"));
          row[kPort] = text_value(sanitize_utf8(rsyslog_param(s, "port").value_or("514")));
          const std::string protocol = lower_or(rsyslog_param(s, "protocol"), "udp");
          const std::string driver = lower_or(either(s, "streamdriver", "streamdriver.name"), default_driver);
          const std::string mode = either(s, "streamdrivermode", "streamdriver.mode").value_or("0");
          tls_columns(row, protocol, protocol == "udp" ? "" : driver, protocol == "udp" ? "0" : mode,
                      either(s, "streamdriverauthmode", "streamdriver.authmode"),
                      either(s, "streamdriverpermittedpeers", "streamdriver.permittedpeers"));
        } else if (type == "omfile") {
          row[kKind] = text_value("file");
          row[kValue] = opt(either(s, "file", "dynafile"));
          auto pick = [&](std::string_view k, std::optional<std::string> dflt) -> Value {
            if (auto v = rsyslog_param(s, k)) return text_value(sanitize_utf8(*v));
            if (auto v = module_param(k)) return text_value(sanitize_utf8(*v));
            return opt(dflt);
          };
          row[kFileCreateMode] = pick("filecreatemode", "0644");
          row[kDirCreateMode] = pick("dircreatemode", "0700");
          row[kFileOwner] = pick("fileowner", std::nullopt);
          row[kFileGroup] = pick("filegroup", std::nullopt);
        } else {
          row[kKind] = text_value("action");
        }
        row[kUmask] = legacy_value("umask");
      } else if (s.name == "module") {
        row[kKind] = text_value("module");
        row[kName] = opt(rsyslog_param(s, "load"));
        if (iequals(rsyslog_param(s, "load").value_or(""), "builtin:omfile")) {
          row[kFileCreateMode] = opt(rsyslog_param(s, "filecreatemode"));
          row[kDirCreateMode] = opt(rsyslog_param(s, "dircreatemode"));
          row[kFileOwner] = opt(rsyslog_param(s, "fileowner"));
          row[kFileGroup] = opt(rsyslog_param(s, "filegroup"));
        }
      } else if (s.name == "include") {
        row[kKind] = text_value("include");
        row[kName] = text_value("include");
        row[kValue] = opt(either(s, "file", "text"));
      } else {
        row[kKind] = text_value(s.name == "global" || s.name == "input" || s.name == "ruleset" ||
                                        s.name == "template" || s.name == "main_queue"
                                    ? s.name
                                    : "object");
        row[kName] = text_value(s.name);
        row[kValue] = opt(either(s, "type", "name"));
      }
    }
    rows.push_back(std::move(row));
  }
}

void collect_syslog_ng(CollectContext& ctx, std::vector<Row>& rows, bool& found) {
  const std::string main = "/etc/syslog-ng/syslog-ng.conf";
  if (!ctx.host().stat(main, true)) return;
  found = true;
  std::vector<std::string> queue{main};
  std::set<std::string> seen;
  for (std::size_t q = 0; q < queue.size() && q < kMaxFiles; ++q) {
    const std::string path = queue[q];
    if (!seen.insert(path).second) continue;
    auto content = ctx.host().read_file(path);
    if (!content) {
      ctx.warn(path, content.error().message + "; not read");
      continue;
    }
    for (const auto& inc : syslog_ng_includes(content->data)) {
      if (inc == "scl.conf") continue;  // the bundled library: blocks, no destinations of this host
      auto matches = ctx.host().glob(resolve_relative("/etc/syslog-ng", inc));
      if (!matches) continue;
      for (const auto& m : *matches) {
        auto st = ctx.host().stat(m, true);
        if (st && st->type == FileType::directory) {
          if (auto e = ctx.host().list_dir(m)) {
            for (const auto& d : *e) {
              if (!d.name.empty() && d.name[0] != '.') queue.push_back(m + "/" + d.name);
            }
          }
        } else {
          queue.push_back(m);
        }
      }
    }
    for (const auto& d : parse_syslog_ng_destinations(content->data)) {
      Row row(kColumnCount, null_value());
      row[kDaemon] = text_value("syslog-ng");
      row[kFile] = text_value(sanitize_utf8(path));
      row[kLine] = int_value(d.line);
      row[kKind] = text_value("forward");
      row[kName] = text_value(d.driver);
      row[kValue] = text_value(sanitize_utf8(d.destination));
      row[kTarget] = text_value(sanitize_utf8(d.target));
      row[kPort] = opt(d.port);
      row[kProtocol] = opt(d.transport);
      row[kTls] = bool_value(d.tls);
      rows.push_back(std::move(row));
    }
  }
}

Status collect_rsyslog_config(CollectContext& ctx, std::vector<Row>& rows) {
  bool rsyslog = false, syslog_ng = false;
  collect_rsyslog(ctx, rows, rsyslog);
  collect_syslog_ng(ctx, rows, syslog_ng);
  if (!rsyslog && !syslog_ng) {
    ctx.warn("/etc/rsyslog.conf",
             "neither /etc/rsyslog.conf nor /etc/syslog-ng/syslog-ng.conf exists: no syslog "
             "daemon configuration on this host");
  }
  return Status::success();
}

TableDef rsyslog_config_table() {
  using T = ColumnType;
  std::vector<Column> c(kColumnCount);
  c[kDaemon] = {"daemon", T::text, "'rsyslog' or 'syslog-ng'"};
  c[kFile] = {"file", T::text, "host path of the file holding the statement"};
  c[kLine] = {"line", T::integer, "1-based line where the statement starts"};
  c[kKind] = {
      "kind", T::text,
      "directive (legacy $Name), include ($IncludeConfig, include()), module, global, input, ruleset, "
      "template, main_queue, object (other RainerScript objects), forward (omfwd, legacy @/@@; syslog-ng "
      "network destinations), file (omfile, legacy /path and -/path), action (other outputs), discard "
      "(stop, ~), control (call, set...)"};
  c[kName] = {"name", T::text,
              "a directive's name in lower case without '$' ('filecreatemode'); an action's type ('omfwd', "
              "'omfile', 'omusrmsg'); a module's load= ('imuxsock'); syslog-ng's driver ('network')"};
  c[kValue] = {
      "value", T::text,
      "a directive's argument; an include's pattern; a file action's path (without the '-' of no-sync); a "
      "forward's target (legacy: the action text); a syslog-ng destination's name"};
  c[kSelector] = {
      "selector", T::text,
      "the filter the action runs under: the legacy selector ('auth,authpriv.*'), a property filter, or "
      "'if <expression>' / 'else' from RainerScript (kept as text); NULL when unconditional"};
  c[kRuleset] = {"ruleset", T::text, "the ruleset(name=...) block holding the statement; NULL at top level"};
  c[kTarget] = {"target", T::text, "a forward's host name or address"};
  c[kPort] = {"port", T::text, "a forward's port (514 when not given for rsyslog)"};
  c[kProtocol] = {"protocol", T::text,
                  "a forward's transport: 'udp' or 'tcp' (rsyslog); syslog-ng's transport() as "
                  "written or the driver's own (tcp, udp)"};
  c[kTls] = {
      "tls", T::integer,
      "forward rows: 1 when the connection is TLS (rsyslog: tcp with stream driver gtls or ossl in mode 1; "
      "syslog-ng: transport(\"tls\") or a tls() block), 0 otherwise; NULL for other rows"};
  c[kStreamDriver] = {"stream_driver", T::text,
                      "rsyslog forwards over tcp: the stream driver in force (action's, "
                      "legacy $ActionSendStreamDriver, else the global default, else ptcp)"};
  c[kStreamDriverMode] = {"stream_driver_mode", T::text, "'1' for TLS, '0' plain (default)"};
  c[kStreamDriverAuthMode] = {"stream_driver_auth_mode", T::text,
                              "anon, x509/name, x509/fingerprint, x509/certvalid; "
                              "NULL when not set (anon)"};
  c[kPermittedPeers] = {"permitted_peers", T::text,
                        "StreamDriverPermittedPeers / $ActionSendStreamDriverPermittedPeer"};
  c[kFileCreateMode] = {
      "file_create_mode", T::text,
      "file rows: the mode new log files get, in force for this action (legacy lines: the last "
      "$FileCreateMode above; action(): its fileCreateMode, else the builtin:omfile module's, else "
      "0644); module rows: the module's setting"};
  c[kDirCreateMode] = {"dir_create_mode", T::text, "the same for directories (default 0700)"};
  c[kFileOwner] = {"file_owner", T::text, "fileOwner / $FileOwner in force; NULL: rsyslogd's own user"};
  c[kFileGroup] = {"file_group", T::text, "fileGroup / $FileGroup in force; NULL: rsyslogd's own group"};
  c[kUmask] = {"umask", T::text,
               "the last $Umask above an action (the process umask masks the create modes); NULL "
               "when none"};
  c[kParams] = {"params", T::text,
                "RainerScript objects: every parameter as a JSON object, names in lower case"};
  return TableDef{
      "rsyslog_config",
      "rsyslog 8.2302 (Debian 12) configuration: /etc/rsyslog.conf with $IncludeConfig and include(file=...) "
      "expanded in place (glob order; a directory includes its files; loops and nesting past 16 stop with a "
      "warning; a fifo or unreadable file is skipped with a warning), one row per directive, object and "
      "action. "
      "Also syslog-ng's network destinations (network(), syslog(), tcp(), udp() in destination blocks of "
      "/etc/syslog-ng/syslog-ng.conf and its @include files; nothing else of syslog-ng is read).",
      std::move(c),
      collect_rsyslog_config,
  };
}

// --- syslog-ng ------------------------------------------------------------------

class NgScanner {
 public:
  explicit NgScanner(std::string_view t) : t_(t) {}
  std::vector<SyslogNgDestination> run() {
    while (i_ < t_.size()) {
      skip();
      std::string w = word();
      if (w.empty()) {
        if (i_ < t_.size()) adv();
        continue;
      }
      if (w == "destination") {
        skip();
        std::string name = word();
        skip();
        if (i_ < t_.size() && t_[i_] == '{') body(name, i_ + 1);
      }
    }
    return std::move(out_);
  }

 private:
  void adv() {
    if (t_[i_] == '\n') ++line_;
    ++i_;
  }
  void skip() {
    while (i_ < t_.size()) {
      const char c = t_[i_];
      if (c == '#') {
        while (i_ < t_.size() && t_[i_] != '\n') ++i_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        adv();
      } else {
        return;
      }
    }
  }
  std::string word() {
    const std::size_t b = i_;
    while (i_ < t_.size() &&
           (std::isalnum(static_cast<unsigned char>(t_[i_])) != 0 || t_[i_] == '_' || t_[i_] == '-'))
      ++i_;
    return std::string(t_.substr(b, i_ - b));
  }
  std::string str() {
    const char q = t_[i_];
    ++i_;
    std::string s;
    while (i_ < t_.size() && t_[i_] != q) {
      if (t_[i_] == '\\' && i_ + 1 < t_.size()) ++i_;
      s += t_[i_];
      adv();
    }
    if (i_ < t_.size()) ++i_;
    return s;
  }
  // The text of a balanced (...) starting after '('; i_ ends after ')'.
  std::string group() {
    int depth = 1;
    const std::size_t b = i_;
    while (i_ < t_.size()) {
      const char c = t_[i_];
      if (c == '"' || c == '\'') {
        str();
        continue;
      }
      if (c == '(') ++depth;
      if (c == ')' && --depth == 0) {
        ++i_;
        return std::string(t_.substr(b, i_ - 1 - b));
      }
      adv();
    }
    return std::string(t_.substr(b));
  }
  void body(const std::string& name, std::size_t start) {
    i_ = start;
    int depth = 1;
    while (i_ < t_.size() && depth > 0) {
      skip();
      if (i_ >= t_.size()) break;
      const char c = t_[i_];
      if (c == '{') ++depth;
      if (c == '}') --depth;
      if (c == '{' || c == '}' || c == ';') {
        ++i_;
        continue;
      }
      if (c == '"' || c == '\'') {
        str();
        continue;
      }
      const int line = line_;
      std::string w = word();
      if (w.empty()) {
        adv();
        continue;
      }
      skip();
      if (i_ < t_.size() && t_[i_] == '(') {
        ++i_;
        const std::string args = group();
        static constexpr std::string_view kDrivers[] = {"network", "syslog", "tcp", "udp", "tcp6", "udp6"};
        for (auto d : kDrivers) {
          if (d == w) out_.push_back(destination(name, w, args, line));
        }
      }
    }
  }
  static std::optional<std::string> option(std::string_view args, std::string_view name) {
    std::size_t p = 0;
    while ((p = args.find(name, p)) != std::string_view::npos) {
      std::size_t k = p + name.size();
      const bool start_ok = p == 0 || !(std::isalnum(static_cast<unsigned char>(args[p - 1])) ||
                                        args[p - 1] == '_' || args[p - 1] == '-');
      while (k < args.size() && (args[k] == ' ' || args[k] == '\t')) ++k;
      if (start_ok && k < args.size() && args[k] == '(') {
        const auto close = args.find(')', k);
        std::string v(trim(
            args.substr(k + 1, close == std::string_view::npos ? std::string_view::npos : close - k - 1)));
        if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
        return v;
      }
      p = k;
    }
    return std::nullopt;
  }
  SyslogNgDestination destination(const std::string& name, const std::string& driver, std::string_view args,
                                  int line) {
    SyslogNgDestination d;
    d.destination = name;
    d.driver = driver;
    d.line = line;
    std::string_view a = trim(args);
    if (!a.empty() && (a[0] == '"' || a[0] == '\'')) {
      const auto close = a.find(a[0], 1);
      d.target =
          std::string(a.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
    } else {
      d.target = std::string(a.substr(0, a.find_first_of(" \t\n(")));
    }
    d.port = option(args, "port");
    d.transport = option(args, "transport");
    if (!d.transport && driver != "network" && driver != "syslog") d.transport = driver.substr(0, 3);
    if (d.transport) d.transport = to_lower(*d.transport);
    d.tls = d.transport == "tls" || option(args, "tls").has_value();
    return d;
  }

  std::string_view t_;
  std::size_t i_ = 0;
  int line_ = 1;
  std::vector<SyslogNgDestination> out_;
};

}  // namespace

std::vector<SyslogNgDestination> parse_syslog_ng_destinations(std::string_view text) {
  return NgScanner(text).run();
}

std::vector<std::string> syslog_ng_includes(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view l : split_lines(text)) {
    l = trim(l);
    if (l.substr(0, 8) != "@include") continue;
    const auto q = l.find('"');
    if (q == std::string_view::npos) continue;
    const auto e = l.find('"', q + 1);
    out.emplace_back(l.substr(q + 1, e == std::string_view::npos ? std::string_view::npos : e - q - 1));
  }
  return out;
}

VIGIL_REGISTER_TABLE(rsyslog_config_table());

}  // namespace vigil::collectors
