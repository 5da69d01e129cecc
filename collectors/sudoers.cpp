// The `sudoers_rules`, `sudoers_defaults` and `sudoers_aliases` tables:
// /etc/sudoers read the way sudo 1.9.13's sudoers plugin reads it (toke.l,
// gram.y), written from sudoers(5):
//  - "#include"/"#includedir" only at the very start of a line (with a blank
//    after); "@include"/"@includedir" after optional blanks. Relative paths
//    are relative to the including file's directory.
//  - @includedir reads, in byte order, the entries whose names neither end in
//    '~' nor contain '.', and silently skips entries that are not regular
//    files (sudo stat()s them first), so a fifo there is skipped, not read.
//  - '#' starts a comment unless a uid/gid follows ("#0", "%#1000").
//  - A trailing backslash continues a line, but not inside a comment.
//  - Since 1.9.4 sudo recovers from a syntax error by skipping the line, so a
//    bad line is a warning and the rest is still reported.
#include "sudoers.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <string_view>
#include <utility>

#include "collector.hpp"
#include "host.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

std::string where(std::string_view file, int line) {
  return std::string(file) + ":" + std::to_string(line);
}

class Walker {
 public:
  Walker(const SudoersLoader& loader, std::string_view short_host) : loader_(loader), host_(short_host) {}

  Result<Sudoers> run(std::string_view main_path) {
    const std::string path(main_path);
    auto text = loader_.read(path);
    if (text.is(Errc::not_found)) {
      out_.main_file_found = false;
      return std::move(out_);
    }
    if (!text) return make_error(text.error().code, path + ": " + text.error().message);
    if (Status st = parse(path, *text, 0); !st) return st.error();
    return std::move(out_);
  }

 private:
  Status parse(const std::string& path, std::string_view text, int depth) {
    out_.files.push_back(path);
    return parse_sudoers(
        path, text, out_, [this, depth](const SudoersInclude& inc) { return include(inc, depth); }, host_);
  }

  Status include(const SudoersInclude& inc, int depth) {
    const std::string at = where(inc.file, inc.line);
    if (depth + 1 > kSudoersMaxIncludeDepth) {
      return make_error(Errc::loop, at + ": include of " + inc.path + " nests deeper than " +
                                        std::to_string(kSudoersMaxIncludeDepth) +
                                        " levels (an include loop?); sudo refuses this policy");
    }
    if (!inc.directory) return read_and_parse(inc.path, inc, depth, false);
    auto names = loader_.list_dir(inc.path);
    if (names.is(Errc::not_found) || names.is(Errc::invalid)) {
      // sudo ignores a missing (or non-directory) include dir without a word.
      out_.issues.push_back(SudoersIssue{
          inc.file, inc.line, "includedir " + inc.path + ": " + names.error().message + "; sudo ignores it"});
      return Status::success();
    }
    if (!names)
      return make_error(names.error().code, at + ": includedir " + inc.path + ": " + names.error().message);
    std::sort(names->begin(), names->end());
    for (const auto& name : *names) {
      const std::string path = inc.path == "/" ? "/" + name : inc.path + "/" + name;
      if (name.empty() || name.back() == '~' || name.find('.') != std::string::npos) {
        out_.issues.push_back(SudoersIssue{
            path, 0,
            "skipped: sudo does not read files in an includedir whose name ends in '~' or contains '.'"});
        continue;
      }
      if (Status st = read_and_parse(path, inc, depth, true); !st) return st;
    }
    return Status::success();
  }

  Status read_and_parse(const std::string& path, const SudoersInclude& inc, int depth, bool in_dir) {
    const std::string at = where(inc.file, inc.line);
    if (++files_ > kSudoersMaxFiles) {
      return make_error(Errc::too_large, at + ": include of " + path + ": more than " +
                                             std::to_string(kSudoersMaxFiles) + " sudoers files in all");
    }
    auto text = loader_.read(path);
    if (text.is(Errc::not_found)) {
      out_.issues.push_back(SudoersIssue{inc.file, inc.line,
                                         "included file " + path + " is absent" +
                                             (in_dir ? "" : "; sudo reports an error for this include")});
      return Status::success();
    }
    if (in_dir && text.is(Errc::not_regular)) {
      // sudo stat()s each includedir entry and skips what is not a regular
      // file without opening it, so the policy does not depend on it.
      out_.issues.push_back(SudoersIssue{path, 0, "not a regular file; sudo skips it in an includedir"});
      return Status::success();
    }
    if (!text)
      return make_error(text.error().code, at + ": included file " + path + ": " + text.error().message);
    bytes_ += text->size();
    if (bytes_ > kSudoersMaxBytes) {
      return make_error(Errc::too_large, at + ": include of " + path + ": more than " +
                                             std::to_string(kSudoersMaxBytes) + " bytes of sudoers in all");
    }
    return parse(path, *text, depth + 1);
  }

  const SudoersLoader& loader_;
  std::string host_;
  Sudoers out_;
  int files_ = 0;
  std::size_t bytes_ = 0;
};

Value opt_text(const std::optional<std::string>& s) {
  return s ? text_value(sanitize_utf8(*s)) : null_value();
}
Value text(const std::string& s) {
  return text_value(sanitize_utf8(s));
}

// The short host name for %h in include paths, as sudo takes it from the
// host name (up to the first '.'); empty when /etc/hostname is absent.
std::string short_host_name(const Host& host) {
  auto content = host.read_file("/etc/hostname", ReadOptions{4096});
  if (!content) return "";
  const auto words = split_ws(content->data);
  if (words.empty()) return "";
  return std::string(words.front().substr(0, words.front().find('.')));
}

Result<Sudoers> evaluate_on_host(CollectContext& ctx) {
  const Host& host = ctx.host();
  SudoersLoader loader;
  loader.read = [&host](const std::string& path) -> Result<std::string> {
    auto content = host.read_file(path);
    if (!content) return std::move(content).error();
    return std::move(content->data);
  };
  loader.list_dir = [&host](const std::string& dir) -> Result<std::vector<std::string>> {
    auto entries = host.list_dir(dir);
    if (!entries) return std::move(entries).error();
    std::vector<std::string> names;
    for (auto& e : *entries) names.push_back(std::move(e.name));
    return names;
  };
  auto s = evaluate_sudoers(loader, kSudoersPath, short_host_name(host));
  if (!s) return s;
  if (!s->main_file_found) {
    ctx.warn(std::string(kSudoersPath),
             "file absent: no sudo policy (sudo itself refuses to run without it)");
  }
  for (const auto& i : s->issues) ctx.warn(i.line > 0 ? where(i.file, i.line) : i.file, i.message);
  return s;
}

Status collect_rules(CollectContext& ctx, std::vector<Row>& rows) {
  auto s = evaluate_on_host(ctx);
  if (!s) return s.error();
  const bool authenticate = s->authenticate();
  for (const auto& r : s->rules) {
    rows.push_back(Row{text(r.users), text(r.hosts), opt_text(r.runas), text(r.options), text(r.tags),
                       text(r.command), bool_value(r.nopasswd), bool_value(authenticate), text(r.file),
                       int_value(r.line)});
  }
  return Status::success();
}

Status collect_defaults(CollectContext& ctx, std::vector<Row>& rows) {
  auto s = evaluate_on_host(ctx);
  if (!s) return s.error();
  // sudo applies Defaults in file order: the last global entry of a name is in force.
  std::map<std::string_view, const SudoersDefault*> last;
  for (const auto& d : s->defaults) {
    if (d.scope.empty()) last[d.name] = &d;
  }
  for (const auto& d : s->defaults) {
    const bool effective = d.scope.empty() && last[d.name] == &d;
    rows.push_back(Row{text(d.scope), text(d.name), opt_text(d.value), bool_value(d.negated),
                       d.op.empty() ? null_value() : text_value(d.op), bool_value(effective), text(d.file),
                       int_value(d.line)});
  }
  return Status::success();
}

Status collect_aliases(CollectContext& ctx, std::vector<Row>& rows) {
  auto s = evaluate_on_host(ctx);
  if (!s) return s.error();
  for (const auto& a : s->aliases) {
    rows.push_back(Row{text(a.kind), text(a.name), text(a.members), text(a.file), int_value(a.line)});
  }
  return Status::success();
}

constexpr const char* kFileDoc = "host path of the file holding the line";
constexpr const char* kLineDoc = "1-based line (the first line of a continued one)";
constexpr const char* kCommon =
    " Read from /etc/sudoers and its @include/#include files and @includedir directories as sudo 1.9.13 "
    "does (includedir entries ending in '~' or containing '.', and entries that are not regular files, are "
    "skipped with a warning). Lines sudo rejects are warnings and skipped. An absent /etc/sudoers gives no "
    "rows "
    "and a warning; an include loop (deeper than 128), more than 1000 files, or an included file that cannot "
    "be read (fifo, device, too large) is an error.";

TableDef rules_table() {
  using T = ColumnType;
  return TableDef{
      "sudoers_rules",
      std::string("sudo user specifications, one row per command entry, in file order. Aliases are not "
                  "expanded: a rule naming an alias shows the alias name (see sudoers_aliases).") +
          kCommon,
      {
          {"users", T::text, "the user list as written: users, %groups, #uids, +netgroups, aliases, ALL"},
          {"hosts", T::text, "the host list as written (ALL on most hosts)"},
          {"runas", T::text,
           "the Runas specification in effect, as written inside the parentheses ('ALL : ALL', 'root'); NULL "
           "when none was written (sudo then runs as runas_default, root unless a Defaults changes it)"},
          {"options", T::text,
           "option specs in effect (CWD, CHROOT, TIMEOUT, NOTBEFORE, ...), e.g. 'CWD=/tmp'"},
          {"tags", T::text,
           "tags in effect for this command, comma-separated (NOPASSWD, NOEXEC, SETENV, LOG_INPUT...): a tag "
           "carries over to later commands of the same list until the opposite tag; '' when none. Implied "
           "tags "
           "(SETENV for ALL) are not added"},
          {"command", T::text,
           "the command as written: a path with arguments, ALL, a Cmnd_Alias, with any '!'"},
          {"nopasswd", T::integer, "1 when the NOPASSWD tag is in effect for this command"},
          {"authenticate", T::integer,
           "0 when the global Defaults turn authentication off (!authenticate, the last one wins), else 1; "
           "scoped Defaults (Defaults:user !authenticate) are in sudoers_defaults and not applied here"},
          {"file", T::text, kFileDoc},
          {"line", T::integer, kLineDoc},
      },
      collect_rules,
  };
}

TableDef defaults_table() {
  using T = ColumnType;
  return TableDef{
      "sudoers_defaults",
      std::string("sudo Defaults settings, one row per entry (a line listing several gives several rows), in "
                  "file order; the last global setting of a name is the one sudo uses.") +
          kCommon,
      {
          {"scope", T::text,
           "'' for a global Defaults, else ':users', '@hosts', '>runas' or '!commands' as written"},
          {"name", T::text, "the setting, e.g. use_pty, secure_path, env_keep, authenticate"},
          {"value", T::text, "the value with quotes and escapes removed; NULL for a flag"},
          {"negated", T::integer, "1 for '!flag' (an odd number of '!')"},
          {"operator", T::text, "'=', '+=' or '-='; NULL for a flag"},
          {"effective", T::integer,
           "1 for the last global entry of its name (the one in force for flags and '=' values; '+=' and "
           "'-=' of a list modify the entries before them); 0 for scoped entries"},
          {"file", T::text, kFileDoc},
          {"line", T::integer, kLineDoc},
      },
      collect_defaults,
  };
}

TableDef aliases_table() {
  using T = ColumnType;
  return TableDef{
      "sudoers_aliases",
      std::string("sudo alias definitions, one row per alias (a line defining several gives several rows).") +
          kCommon,
      {
          {"kind", T::text,
           "User_Alias, Runas_Alias, Host_Alias or Cmnd_Alias (Cmd_Alias is reported as Cmnd_Alias)"},
          {"name", T::text, "the alias name"},
          {"members", T::text, "the member list as written"},
          {"file", T::text, kFileDoc},
          {"line", T::integer, kLineDoc},
      },
      collect_aliases,
  };
}

}  // namespace

bool Sudoers::authenticate() const {
  bool on = true;
  for (const auto& d : defaults) {
    if (d.scope.empty() && d.name == "authenticate" && !d.value) on = !d.negated;
  }
  return on;
}

Result<Sudoers> evaluate_sudoers(const SudoersLoader& loader, std::string_view main_path,
                                 std::string_view short_host) {
  return Walker(loader, short_host).run(main_path);
}

VIGIL_REGISTER_TABLE(rules_table());
VIGIL_REGISTER_TABLE(defaults_table());
VIGIL_REGISTER_TABLE(aliases_table());

}  // namespace vigil::collectors
