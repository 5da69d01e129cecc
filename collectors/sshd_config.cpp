// The `sshd_config` and `sshd_match` tables: /etc/ssh/sshd_config evaluated
// the way OpenSSH 9.2's sshd evaluates it (servconf.c) and `sshd -T` shows it.
//  - First value wins, except for accumulating keywords (AllowUsers, Port...).
//  - Include globs expand in sorted order, in place, relative to /etc/ssh;
//    nesting deeper than 16 is fatal to sshd, so an include loop is an error.
//  - An included file starts in its includer's Match state and hands it back
//    at its end, so a Match block ends at the end of the file it is in.
//  - sshd parses once with no connection (Match blocks off) and once per
//    connection. `sshd -T` uses an empty connection, which only "Match all"
//    matches: settings under an unconditional "Match all" override the global
//    ones, while "Match all" inside an Include under "Match User x" is as
//    conditional as that block (sshd passes SSHCFG_NEVERMATCH down).
// Lines sshd refuses make it refuse the whole file; here they are warnings
// and the rest is still reported, so policies still see what is configured.
#include "sshd_config.hpp"

#include <algorithm>
#include <exception>
#include <map>

#include "collector.hpp"
#include "host.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

struct Scope {
  bool conditional = false;  // not every connection: a Match other than an unconditional "Match all"
  std::string criteria;
  std::string match_file;
  int match_line = 0;
};

struct Occurrence {
  const SshdKeyword* keyword = nullptr;
  std::vector<std::string> values;
  std::string file;
  int line = 0;
  int scope = -1;  // index into scopes_, -1 outside any Match block
};

std::string where(std::string_view file, int line) {
  return std::string(file) + ":" + std::to_string(line);
}

// Checks a Match line the way match_cfg_line() does, without a connection.
std::string match_problem(const std::vector<std::string>& args) {
  if (args.empty()) return "Match needs at least one criterion";
  if (iequals(args[0], "all"))
    return args.size() == 1 ? "" : "'all' cannot be combined with other Match criteria";
  static constexpr std::string_view kCriteria[] = {"user",         "group",     "host",   "address",
                                                   "localaddress", "localport", "rdomain"};
  for (std::size_t i = 0; i < args.size(); i += 2) {
    bool known = false;
    for (auto c : kCriteria) known = known || iequals(args[i], c);
    if (!known) return "unsupported Match criterion '" + args[i] + "'";
    if (i + 1 >= args.size()) return "missing Match criteria for " + args[i];
  }
  return "";
}

class Evaluator {
 public:
  explicit Evaluator(const SshdLoader& loader) : loader_(loader) {}

  Result<SshdConfig> run(std::string_view main_path) {
    auto text = loader_.read(std::string(main_path));
    if (text.is(Errc::not_found)) {
      out_.main_file_found = false;
    } else if (!text) {
      return make_error(text.error().code, std::string(main_path) + ": " + text.error().message);
    } else {
      Status st = parse_file(std::string(main_path), *text, 0, -1, -1);
      if (!st) return st.error();
    }
    build_effective();
    return std::move(out_);
  }

 private:
  void issue(const std::string& file, int line, std::string message) {
    out_.issues.push_back(SshdIssue{file, line, std::move(message)});
  }

  // scope: the Match state the file starts in (its includer's). base: the
  // conditional scope an enclosing Include sits in, or -1; a Match inside
  // this file only applies when base does too.
  Status parse_file(const std::string& file, std::string_view text, int depth, int scope, int base) {
    int number = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      std::size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      const std::string_view raw = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++number;
      if (nl == text.size() && raw.empty()) break;
      auto tok = tokenize_sshd_line(raw);
      if (!tok) {
        issue(file, number, tok.error().message + "; sshd refuses this configuration");
        continue;
      }
      if (!tok->has_value()) continue;
      SshdLine& line = **tok;
      if (line.keyword == "match") {
        scope = open_match(file, number, line.args, base);
      } else if (line.keyword == "include") {
        Status st = include(file, number, line.args, depth, scope);
        if (!st) return st;
      } else {
        setting(file, number, line, scope);
      }
    }
    return Status::success();
  }

  int open_match(const std::string& file, int number, const std::vector<std::string>& args, int base) {
    const std::string problem = match_problem(args);
    if (!problem.empty()) issue(file, number, problem + "; sshd refuses this configuration");
    const bool all = problem.empty() && iequals(args[0], "all");
    Scope s;
    s.criteria = join(args, " ");
    if (base >= 0) {
      // sshd only reaches this Match when the enclosing block matched, so both must hold.
      s.criteria = all ? scopes_[static_cast<std::size_t>(base)].criteria
                       : scopes_[static_cast<std::size_t>(base)].criteria + " " + s.criteria;
    }
    s.conditional = !all || base >= 0;
    s.match_file = file;
    s.match_line = number;
    scopes_.push_back(std::move(s));
    return static_cast<int>(scopes_.size()) - 1;
  }

  Status include(const std::string& file, int number, const std::vector<std::string>& args, int depth,
                 int scope) {
    if (args.empty()) issue(file, number, "Include without a file name; sshd refuses this configuration");
    const bool conditional = scope >= 0 && scopes_[static_cast<std::size_t>(scope)].conditional;
    for (const auto& arg : args) {
      if (arg.empty() || arg.front() == '~') {
        issue(file, number, "Include '" + arg + "' is not an absolute or /etc/ssh-relative path; skipped");
        continue;
      }
      const std::string pattern = resolve_relative(kSshdDir, arg);
      auto matches = loader_.glob(pattern);
      if (!matches) {
        return make_error(matches.error().code,
                          where(file, number) + ": Include " + pattern + ": " + matches.error().message);
      }
      for (const auto& path : *matches) {
        if (depth + 1 > kSshdMaxIncludeDepth) {
          return make_error(Errc::loop, where(file, number) + ": Include of " + path + " nests deeper than " +
                                            std::to_string(kSshdMaxIncludeDepth) +
                                            " levels (an include loop?); sshd refuses this configuration");
        }
        if (++included_files_ > kSshdMaxIncludedFiles) {
          return make_error(Errc::too_large, where(file, number) + ": Include of " + path + ": more than " +
                                                 std::to_string(kSshdMaxIncludedFiles) +
                                                 " included files in all");
        }
        auto text = loader_.read(path);
        if (!text) {
          return make_error(text.error().code,
                            where(file, number) + ": included file " + path + ": " + text.error().message);
        }
        included_bytes_ += text->size();
        if (included_bytes_ > kSshdMaxIncludedBytes) {
          return make_error(Errc::too_large, where(file, number) + ": Include of " + path + ": more than " +
                                                 std::to_string(kSshdMaxIncludedBytes) +
                                                 " bytes included in all");
        }
        Status st = parse_file(path, *text, depth + 1, scope, conditional ? scope : -1);
        if (!st) return st;
      }
    }
    return Status::success();
  }

  void setting(const std::string& file, int number, const SshdLine& line, int scope) {
    const SshdKeyword* kw = find_sshd_keyword(line.keyword);
    if (kw == nullptr) {
      issue(file, number, "Bad configuration option: " + line.keyword + "; sshd refuses this configuration");
      return;
    }
    if (scope >= 0 && scopes_[static_cast<std::size_t>(scope)].conditional && !kw->match_ok) {
      issue(file, number,
            "Directive '" + line.keyword +
                "' is not allowed within a Match block; sshd refuses "
                "this configuration");
      return;
    }
    if (kw->ignored) {
      issue(file, number, "Deprecated or unsupported option " + line.keyword + "; sshd ignores it");
      return;
    }
    if (line.args.empty() && !kw->raw) {
      issue(file, number, line.keyword + " without a value; sshd refuses this configuration");
      return;
    }
    Occurrence occ{kw, {}, file, number, scope};
    if (kw->raw) {
      std::string_view rest = line.rest;
      // VersionAddendum alone cuts a trailing comment; ForceCommand keeps it.
      if (kw->canonical == "versionaddendum") rest = trim(rest.substr(0, rest.find('#')));
      occ.values.emplace_back(rest);
    } else if (kw->each_arg) {
      occ.values = line.args;
    } else {
      occ.values.push_back(join(line.args, " "));
    }
    for (auto& v : occ.values) {
      bool valid = true;
      v = normalize_sshd_value(kw->canonical, v, &valid);
      if (!valid)
        issue(file, number, "unsupported value '" + v + "' for " + line.keyword + "; sshd refuses it");
    }
    occurrences_.push_back(std::move(occ));
  }

  SshdSetting make_setting(const Occurrence& o, const std::string& value) const {
    const std::string name(o.keyword->canonical);
    return SshdSetting{name, value, sshd_value_int(name, value), o.file, o.line, false};
  }

  void build_effective() {
    struct Candidates {
      std::vector<const Occurrence*> startup;    // sshd's parse without a connection
      std::vector<const Occurrence*> match_all;  // overrides from unconditional "Match all" blocks
    };
    std::map<std::string, Candidates, std::less<>> by_keyword;
    for (const auto& o : occurrences_) {
      const Scope* s = o.scope >= 0 ? &scopes_[static_cast<std::size_t>(o.scope)] : nullptr;
      if (s != nullptr) {
        for (const auto& v : o.values) {
          out_.match.push_back(SshdMatchSetting{s->criteria, std::string(o.keyword->canonical), v,
                                                sshd_value_int(o.keyword->canonical, v), o.file, o.line,
                                                s->match_file, s->match_line});
        }
        if (s->conditional) continue;
      }
      auto& c = by_keyword[std::string(o.keyword->canonical)];
      c.startup.push_back(&o);
      if (s != nullptr && o.keyword->match_ok) c.match_all.push_back(&o);
    }
    for (const auto& [name, c] : by_keyword) {
      const auto& chosen = c.match_all.empty() ? c.startup : c.match_all;
      if (!chosen.front()->keyword->accumulate) {
        out_.settings.push_back(make_setting(*chosen.front(), chosen.front()->values.front()));
        continue;
      }
      std::vector<std::string> subsystems;
      for (const Occurrence* o : chosen) {
        for (const auto& v : o->values) {
          if (name == "subsystem") {
            const auto words = split_ws(v);
            const std::string sub(words.empty() ? std::string_view() : words.front());
            bool seen = false;
            for (const auto& s : subsystems) seen = seen || s == sub;
            if (seen) {
              issue(o->file, o->line,
                    "Subsystem '" + sub +
                        "' already defined; sshd 9.2 refuses this "
                        "configuration (the first definition is reported)");
              continue;
            }
            subsystems.push_back(sub);
          }
          out_.settings.push_back(make_setting(*o, v));
        }
      }
    }
    for (const auto& [name, value] : sshd_defaults()) {
      if (by_keyword.find(name) != by_keyword.end()) continue;
      out_.settings.push_back(
          SshdSetting{std::string(name), std::string(value), sshd_value_int(name, value), "", 0, true});
    }
    std::stable_sort(out_.settings.begin(), out_.settings.end(),
                     [](const SshdSetting& a, const SshdSetting& b) { return a.keyword < b.keyword; });
  }

  const SshdLoader& loader_;
  int included_files_ = 0;
  std::size_t included_bytes_ = 0;
  SshdConfig out_;
  std::vector<Scope> scopes_;
  std::vector<Occurrence> occurrences_;
};

Value opt_int(const std::optional<std::int64_t>& v) {
  return v ? int_value(*v) : null_value();
}
Value opt_text(const std::string& s) {
  return s.empty() ? null_value() : text_value(sanitize_utf8(s));
}
Value opt_line(int line) {
  return line > 0 ? int_value(line) : null_value();
}

Status collect_settings(CollectContext& ctx, std::vector<Row>& rows) {
  auto config = evaluate_sshd_config_on_host(ctx);
  if (!config) return config.error();
  for (const auto& s : config->settings) {
    rows.push_back(Row{text_value(s.keyword), text_value(sanitize_utf8(s.value)), opt_int(s.value_int),
                       opt_text(s.file), opt_line(s.line), bool_value(s.is_default)});
  }
  return Status::success();
}

Status collect_match(CollectContext& ctx, std::vector<Row>& rows) {
  auto config = evaluate_sshd_config_on_host(ctx);
  if (!config) return config.error();
  for (const auto& m : config->match) {
    rows.push_back(Row{text_value(sanitize_utf8(m.criteria)), text_value(m.keyword),
                       text_value(sanitize_utf8(m.value)), opt_int(m.value_int), opt_text(m.file),
                       opt_line(m.line), opt_text(m.match_file), opt_line(m.match_line)});
  }
  return Status::success();
}

constexpr const char* kValueDoc =
    "the value as sshd -T prints it: yes/no and other enum words in canonical case (without-password reads "
    "prohibit-password, delayed and all read yes, loglevel/syslogfacility upper case); paths, user names, "
    "algorithm lists and times as written; several words joined by one space";
constexpr const char* kValueIntDoc =
    "the number behind a numeric keyword (port, maxauthtries, maxsessions, clientalivecountmax, "
    "x11displayoffset, requiredrsasize, maxstartups and persourcemaxstartups when a plain number) and time "
    "keywords in seconds (logingracetime, clientaliveinterval, unusedconnectiontimeout: 90, 2m, 1h30m); "
    "NULL otherwise";

TableDef settings_table() {
  using T = ColumnType;
  return TableDef{
      "sshd_config",
      "The effective global OpenSSH server configuration as sshd 9.2 computes it from /etc/ssh/sshd_config "
      "and "
      "its Includes (what `sshd -T` prints without -C): first value wins; one row per occurrence for "
      "AllowUsers, "
      "DenyUsers, AllowGroups, DenyGroups, AcceptEnv (one per word), HostKey, HostCertificate, "
      "ListenAddress, "
      "Port and Subsystem; settings of an unconditional 'Match all' block override; other Match blocks are "
      "in "
      "sshd_match. Keywords left unset have OpenSSH 9.2's compiled-in default (is_default = 1). Lines sshd "
      "would refuse are warnings. An absent file gives the defaults and a warning; an include loop, an "
      "unreadable included file (device, fifo, too large) is an error.",
      {
          {"keyword", T::text,
           "canonical lowercase keyword (aliases mapped: challengeresponseauthentication -> "
           "kbdinteractiveauthentication, pubkeyacceptedkeytypes -> pubkeyacceptedalgorithms...)"},
          {"value", T::text, kValueDoc},
          {"value_int", T::integer, kValueIntDoc},
          {"file", T::text, "host path of the file that set it; NULL for a default"},
          {"line", T::integer, "1-based line in that file; NULL for a default"},
          {"is_default", T::integer,
           "1 when the keyword is unset and the value is sshd's compiled-in default"},
      },
      collect_settings,
  };
}

TableDef match_table() {
  using T = ColumnType;
  return TableDef{
      "sshd_match",
      "Settings inside Match blocks of /etc/ssh/sshd_config and its Includes, one row per setting (per word "
      "for AllowUsers-style keywords), in file order. They apply only to connections the criteria match "
      "(and, for 'Match all' outside any other block, to every connection: sshd_config shows those too). "
      "A Match block ends at the next Match or at the end of the file it is in.",
      {
          {"criteria", T::text,
           "the Match arguments as written, e.g. 'User backup Address 10.0.0.0/8'; for a block inside a file "
           "included from another Match block, that block's criteria come first (both must match)"},
          {"keyword", T::text, "canonical lowercase keyword"},
          {"value", T::text, kValueDoc},
          {"value_int", T::integer, kValueIntDoc},
          {"file", T::text, "host path of the file holding the setting"},
          {"line", T::integer, "1-based line of the setting"},
          {"match_file", T::text, "host path of the file holding the Match line"},
          {"match_line", T::integer, "1-based line of the Match line"},
      },
      collect_match,
  };
}

}  // namespace

Result<SshdConfig> evaluate_sshd_config(const SshdLoader& loader, std::string_view main_path) {
  return Evaluator(loader).run(main_path);
}

Result<SshdConfig> evaluate_sshd_config_on_host(CollectContext& ctx) {
  const Host& host = ctx.host();
  SshdLoader loader;
  loader.read = [&ctx, &host](const std::string& path) -> Result<std::string> {
    auto content = host.read_file(path);
    if (content) return std::move(content->data);
    if (content.is(Errc::not_regular)) {
      // fopen() of a directory works and reading it yields nothing, so sshd
      // takes a directory matched by an Include glob as an empty file.
      auto st = host.stat(path, true);
      if (st && st->type == FileType::directory) {
        ctx.warn(path, "a directory matched by Include; sshd reads it as an empty file");
        return std::string();
      }
    }
    return std::move(content).error();
  };
  loader.glob = [&host](const std::string& pattern) { return host.glob(pattern); };
  auto config = evaluate_sshd_config(loader);
  if (!config) return config;
  if (!config->main_file_found) {
    ctx.warn(std::string(kSshdConfigPath), "file absent: sshd's compiled-in defaults are reported");
  }
  for (const auto& i : config->issues) ctx.warn(i.line > 0 ? where(i.file, i.line) : i.file, i.message);
  return config;
}

VIGIL_REGISTER_TABLE(settings_table());
VIGIL_REGISTER_TABLE(match_table());

}  // namespace vigil::collectors
