// The `time_sync` table: how the host's time synchronisation daemons are
// configured (not whether they run: that is the processes table's fact).
//  - chrony 4.3 (chrony.conf(5)): /etc/chrony/chrony.conf; `include PATTERN`
//    (glob, sorted, at least one match or chronyd refuses to start),
//    `confdir DIR...` (*.conf) and `sourcedir DIR...` (*.sources, only
//    server/pool/peer/refclock lines): the files of all listed directories in
//    name order, a name in an earlier directory hiding it in later ones;
//    nesting deeper than 10 is fatal to chronyd. Directives are not
//    case-sensitive; the last of a setting wins; sources accumulate.
//  - systemd-timesyncd 252: timesyncd.conf [Time] with the drop-in rules of
//    systemd_conf.hpp; NTP= and FallbackNTP= accumulate words and an empty
//    assignment clears the list; any FallbackNTP= replaces the compiled-in
//    list, which for Debian's build is 0..3.debian.pool.ntp.org (the
//    binary's NTP_SERVERS string). /run/systemd/timesync/synchronized is the
//    flag file timesyncd touches once synchronised.
//  - ntpsec 1.2.2 (/etc/ntpsec/ntp.conf) and classic ntpd (/etc/ntp.conf):
//    server/pool/peer lines, `includefile` followed.
#include "time_sync.hpp"

#include <map>
#include <set>

#include "collector.hpp"
#include "strings.hpp"
#include "systemd_conf.hpp"

namespace vigil::collectors {

namespace {

constexpr int kChronyMaxIncludeLevel = 10;  // conf.c MAX_INCLUDE_LEVEL
constexpr int kNtpMaxIncludeLevel = 5;      // ntpsec's ntp_config.c MAXINCLUDELEVEL
constexpr std::string_view kDebianFallbackNtp[] = {"0.debian.pool.ntp.org", "1.debian.pool.ntp.org",
                                                   "2.debian.pool.ntp.org", "3.debian.pool.ntp.org"};

std::vector<TimeConfLine> parse_words(std::string_view text, bool hash_anywhere,
                                      std::string_view comment_chars) {
  std::vector<TimeConfLine> out;
  int number = 0;
  for (std::string_view l : split_lines(text)) {
    ++number;
    l = l.substr(0, l.find('\0'));
    if (hash_anywhere) l = l.substr(0, l.find('#'));
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < l.size()) {
      while (i < l.size() && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r')) ++i;
      const std::size_t b = i;
      while (i < l.size() && l[i] != ' ' && l[i] != '\t' && l[i] != '\r') ++i;
      if (i > b) words.emplace_back(l.substr(b, i - b));
    }
    if (words.empty() || comment_chars.find(words[0][0]) != std::string_view::npos) continue;
    TimeConfLine t{to_lower(words[0]), {words.begin() + 1, words.end()}, number};
    out.push_back(std::move(t));
  }
  return out;
}

enum Col : std::size_t {
  kDaemon,
  kKind,
  kName,
  kValue,
  kOptions,
  kNts,
  kIburst,
  kIsDefault,
  kEffective,
  kFile,
  kLine
};

Row make_row(std::string_view daemon, std::string_view kind, std::string_view name, Value value,
             Value options, Value nts, Value iburst, bool is_default, bool effective, Value file,
             Value line) {
  return Row{text_value(daemon), text_value(kind),       text_value(sanitize_utf8(name)),
             std::move(value),   std::move(options),     std::move(nts),
             std::move(iburst),  bool_value(is_default), bool_value(effective),
             std::move(file),    std::move(line)};
}

bool is_source(std::string_view d) {
  return d == "server" || d == "pool" || d == "peer";
}

Row source_row(std::string_view daemon, const TimeConfLine& t, const std::string& file) {
  std::vector<std::string> opts(t.args.begin() + (t.args.empty() ? 0 : 1), t.args.end());
  return make_row(daemon, t.directive, t.directive,
                  t.args.empty() ? null_value() : text_value(sanitize_utf8(t.args[0])),
                  opts.empty() ? null_value() : text_value(sanitize_utf8(join(opts, " "))),
                  bool_value(has_time_option(opts, "nts")), bool_value(has_time_option(opts, "iburst")),
                  false, true, text_value(sanitize_utf8(file)), int_value(t.line));
}

class Chrony {
 public:
  Chrony(CollectContext& ctx, std::vector<Row>& rows) : ctx_(ctx), rows_(rows) {}

  void run() {
    const std::string main = "/etc/chrony/chrony.conf";
    auto st = ctx_.host().stat(main, true);
    if (!st) {
      if (!st.is(Errc::not_found)) ctx_.warn(main, st.error().message);
      return;  // chrony not configured here: no chrony rows
    }
    read(main, 0, false);
    // The last occurrence of a setting is the one chronyd uses.
    std::map<std::string, std::size_t> last;
    for (std::size_t i = first_; i < rows_.size(); ++i) {
      if (std::get<std::string>(rows_[i][kKind]) == "setting") {
        rows_[i][kEffective] = bool_value(false);
        last[std::get<std::string>(rows_[i][kName])] = i;
      }
    }
    for (const auto& [name, i] : last) rows_[i][kEffective] = bool_value(true);
    // Defaults of the settings a clock policy asks about: off unless given.
    for (std::string_view name : {"makestep", "rtcsync"}) {
      if (last.count(std::string(name)) == 0) {
        rows_.push_back(make_row("chrony", "setting", name, null_value(), null_value(), null_value(),
                                 null_value(), true, true, null_value(), null_value()));
      }
    }
  }

 private:
  void read(const std::string& path, int level, bool sources_only) {
    if (open_.count(path) != 0) {
      ctx_.warn(path,
                "include loop: chronyd nests it until 'Maximum include level reached' and exits; not read "
                "again");
      return;
    }
    if (level > kChronyMaxIncludeLevel) {
      ctx_.warn(path,
                "included more than 10 levels deep: chronyd exits ('Maximum include level reached'); "
                "not read further");
      return;
    }
    auto content = ctx_.host().read_file(path);
    if (!content) {
      ctx_.warn(path, content.error().message + "; not read");
      return;
    }
    open_.insert(path);
    for (const auto& t : parse_chrony_conf(content->data)) {
      const std::string where = path + ":" + std::to_string(t.line);
      if (sources_only && !is_source(t.directive) && t.directive != "refclock") {
        ctx_.warn(where,
                  "'" + t.directive + "' is not allowed in a .sources file; chronyd ignores the file's line");
        continue;
      }
      if (is_source(t.directive)) {
        rows_.push_back(source_row("chrony", t, path));
      } else if (t.directive == "include") {
        settings_row(t, path);
        include(t, where, level);
      } else if (t.directive == "confdir" || t.directive == "sourcedir") {
        settings_row(t, path);
        directories(t, level, t.directive == "sourcedir");
      } else {
        settings_row(t, path);
      }
    }
    open_.erase(path);
  }

  void settings_row(const TimeConfLine& t, const std::string& file) {
    // include/confdir/sourcedir are repeatable: kind 'include', never "last wins".
    const bool repeatable =
        t.directive == "include" || t.directive == "confdir" || t.directive == "sourcedir";
    rows_.push_back(make_row("chrony", repeatable ? "include" : "setting", t.directive,
                             text_value(sanitize_utf8(join(t.args, " "))), null_value(), null_value(),
                             null_value(), false, true, text_value(sanitize_utf8(file)), int_value(t.line)));
  }

  void include(const TimeConfLine& t, const std::string& where, int level) {
    if (t.args.empty()) return;
    auto files = ctx_.host().glob(resolve_relative("/etc/chrony", t.args[0]));
    if (!files) {
      ctx_.warn(where, "include " + t.args[0] + ": " + files.error().message);
      return;
    }
    if (files->empty()) {
      ctx_.warn(where, "include " + t.args[0] + " matches no file: chronyd refuses to start");
    }
    for (const auto& f : *files) read(f, level + 1, false);
  }

  void directories(const TimeConfLine& t, int level, bool sources) {
    std::vector<DropinListing> dirs;
    for (const auto& d : t.args) {
      auto entries = ctx_.host().list_dir(d);
      if (!entries) continue;  // a missing directory is silently skipped (sourcedir /run/chrony-dhcp)
      DropinListing l{d, {}};
      for (const auto& e : *entries) l.names.push_back(e.name);
      dirs.push_back(std::move(l));
    }
    const std::string_view suffix = sources ? ".sources" : ".conf";
    std::map<std::string, std::string> by_name;  // chrony sorts by file name, first directory wins
    for (const auto& d : dirs) {
      for (const auto& n : d.names) {
        if (n.size() <= suffix.size() || n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0)
          continue;
        by_name.emplace(n, d.dir + "/" + n);
      }
    }
    for (const auto& [name, path] : by_name) read(path, level + 1, sources);
  }

  CollectContext& ctx_;
  std::vector<Row>& rows_;
  std::size_t first_ = rows_.size();
  std::set<std::string> open_;  // files being read, to stop include loops
};

void collect_timesyncd(CollectContext& ctx, std::vector<Row>& rows) {
  const Host& host = ctx.host();
  const bool binary = host.stat("/lib/systemd/systemd-timesyncd", true).ok() ||
                      host.stat("/usr/lib/systemd/systemd-timesyncd", true).ok();
  const bool conf = host.stat("/etc/systemd/timesyncd.conf", true).ok();
  if (!binary && !conf) return;  // systemd-timesyncd is not on this host

  auto warn = [&ctx](std::string where, std::string message) {
    ctx.warn(std::move(where), std::move(message));
  };
  const SystemdConfFiles files = read_systemd_conf(host, "timesyncd.conf", "Time", warn);
  static constexpr std::pair<std::string_view, std::string_view> kSettings[] = {
      {"RootDistanceMaxSec", "5"},
      {"PollIntervalMinSec", "32"},
      {"PollIntervalMaxSec", "2048"},
      {"ConnectionRetrySec", "30"},
      {"SaveIntervalSec", "60"}};
  std::vector<std::size_t> servers, fallbacks;  // row indexes still in the list
  bool fallback_set = false;
  std::map<std::string, std::size_t> last_setting;
  for (const auto& f : files.files) {
    for (const auto& a : f.assignments) {
      const std::string where = f.path + ":" + std::to_string(a.line);
      const bool ntp = a.key == "NTP" || a.key == "Servers";
      if (ntp || a.key == "FallbackNTP") {
        auto& list = ntp ? servers : fallbacks;
        if (!ntp) fallback_set = true;
        if (a.value.empty()) {
          for (auto i : list) rows[i][kEffective] = bool_value(false);  // an empty assignment clears the list
          list.clear();
          continue;
        }
        for (auto w : split_ws(a.value)) {
          list.push_back(rows.size());
          rows.push_back(make_row("timesyncd", ntp ? "server" : "fallback", ntp ? "NTP" : "FallbackNTP",
                                  text_value(sanitize_utf8(w)), null_value(), bool_value(false), null_value(),
                                  false, true, text_value(sanitize_utf8(f.path)), int_value(a.line)));
        }
        continue;
      }
      bool known = false;
      for (const auto& [k, d] : kSettings) known = known || k == a.key;
      if (!known) {
        ctx.warn(where, "unknown key '" + a.key + "' in [Time]; timesyncd ignores it");
        continue;
      }
      if (auto it = last_setting.find(a.key); it != last_setting.end())
        rows[it->second][kEffective] = bool_value(false);
      last_setting[a.key] = rows.size();
      rows.push_back(make_row("timesyncd", "setting", a.key, text_value(sanitize_utf8(a.value)), null_value(),
                              null_value(), null_value(), false, true, text_value(sanitize_utf8(f.path)),
                              int_value(a.line)));
    }
  }
  if (!fallback_set) {
    for (auto s : kDebianFallbackNtp) {
      rows.push_back(make_row("timesyncd", "fallback", "FallbackNTP", text_value(s), null_value(),
                              bool_value(false), null_value(), true, true, null_value(), null_value()));
    }
  }
  for (const auto& [k, d] : kSettings) {
    if (last_setting.count(std::string(k)) == 0) {
      rows.push_back(make_row("timesyncd", "setting", k, text_value(d), null_value(), null_value(),
                              null_value(), true, true, null_value(), null_value()));
    }
  }
  const std::string flag = "/run/systemd/timesync/synchronized";
  auto st = host.stat(flag, false);
  rows.push_back(make_row("timesyncd", "status", "synchronized", text_value(st ? "1" : "0"), null_value(),
                          null_value(), null_value(), false, true, text_value(flag), null_value()));
}

void read_ntp(CollectContext& ctx, std::vector<Row>& rows, std::string_view daemon, const std::string& path,
              int level, std::set<std::string>& seen) {
  if (level > kNtpMaxIncludeLevel || !seen.insert(path).second) {
    ctx.warn(path, "includefile nested too deep or looping; not read again");
    return;
  }
  auto content = ctx.host().read_file(path);
  if (!content) {
    if (level > 0 || !content.is(Errc::not_found)) ctx.warn(path, content.error().message + "; not read");
    return;
  }
  for (const auto& t : parse_ntp_conf(content->data)) {
    if (is_source(t.directive)) {
      rows.push_back(source_row(daemon, t, path));
    } else {
      rows.push_back(make_row(daemon, t.directive == "includefile" ? "include" : "setting", t.directive,
                              t.args.empty() ? null_value() : text_value(sanitize_utf8(join(t.args, " "))),
                              null_value(), null_value(), null_value(), false, true,
                              text_value(sanitize_utf8(path)), int_value(t.line)));
      if (t.directive == "includefile" && !t.args.empty()) {
        read_ntp(ctx, rows, daemon, resolve_relative("/etc", t.args[0]), level + 1, seen);
      }
    }
  }
}

Status collect_time_sync(CollectContext& ctx, std::vector<Row>& rows) {
  Chrony(ctx, rows).run();
  collect_timesyncd(ctx, rows);
  std::set<std::string> seen;
  read_ntp(ctx, rows, "ntpsec", "/etc/ntpsec/ntp.conf", 0, seen);
  read_ntp(ctx, rows, "ntp", "/etc/ntp.conf", 0, seen);
  return Status::success();
}

TableDef time_sync_table() {
  using T = ColumnType;
  return TableDef{
      "time_sync",
      "Time synchronisation configuration of chrony 4.3 (/etc/chrony/chrony.conf with include/confdir/"
      "sourcedir), systemd-timesyncd 252 (timesyncd.conf and drop-ins; only when its binary or config is on "
      "the host), ntpsec (/etc/ntpsec/ntp.conf) and ntpd (/etc/ntp.conf, includefile followed). "
      "Configuration "
      "only: whether a daemon runs is the processes table's fact. A daemon whose files are absent has no "
      "rows.",
      {
          {"daemon", T::text, "'chrony', 'timesyncd', 'ntpsec' or 'ntp'"},
          {"kind", T::text,
           "'server', 'pool', 'peer' (a time source line), 'fallback' (timesyncd FallbackNTP), 'setting' "
           "(any "
           "other directive or key), 'include' (include/confdir/sourcedir/includefile lines, which add "
           "files), "
           "'status' (timesyncd's synchronised flag)"},
          {"name", T::text,
           "the directive (chrony and ntp: lower case) or key (timesyncd: NTP, FallbackNTP, "
           "PollIntervalMaxSec...); "
           "'synchronized' for the status row"},
          {"value", T::text,
           "a source's host name or address; a setting's arguments as written (space-joined). Status row: "
           "'1' "
           "when /run/systemd/timesync/synchronized exists, else '0'. NULL on chrony's default rows for "
           "makestep "
           "and rtcsync, meaning the directive is not given (no clock steps after start; RTC not "
           "synchronised); '' for a directive given without arguments (rtcsync)"},
          {"options", T::text,
           "a source line's options after the host, space-joined (iburst nts prefer maxpoll 10); "
           "NULL when none"},
          {"nts", T::integer,
           "1 when a source line has the nts option (NTS-authenticated), 0 if not; NULL for "
           "non-source rows"},
          {"iburst", T::integer, "1 when a source line has iburst; NULL for non-source rows and timesyncd"},
          {"is_default", T::integer,
           "1 for a compiled-in default: timesyncd's Debian FallbackNTP servers and [Time] settings, "
           "chrony's "
           "unset makestep/rtcsync"},
          {"effective", T::integer,
           "1 when in force: sources accumulate (all 1) except timesyncd servers cleared by a later empty "
           "NTP= or "
           "FallbackNTP=; for a setting, the last occurrence; the compiled-in FallbackNTP rows only when no "
           "file "
           "sets FallbackNTP"},
          {"file", T::text, "host path of the file; NULL on default rows; the flag path on the status row"},
          {"line", T::integer, "1-based line; NULL on default and status rows"},
      },
      collect_time_sync,
  };
}

}  // namespace

std::vector<TimeConfLine> parse_chrony_conf(std::string_view text) {
  return parse_words(text, false, "!;#%");
}

std::vector<TimeConfLine> parse_ntp_conf(std::string_view text) {
  return parse_words(text, true, "");
}

bool has_time_option(const std::vector<std::string>& args, std::string_view option) {
  for (const auto& a : args) {
    if (iequals(a, option)) return true;
  }
  return false;
}

VIGIL_REGISTER_TABLE(time_sync_table());

}  // namespace vigil::collectors
