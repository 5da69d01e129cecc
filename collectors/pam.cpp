// The `pam` and `pam_args` tables: the PAM stacks of every /etc/pam.d
// service file as Debian 12's libpam 1.5.2 builds them (pam_handlers.c).
//  - A logical line ends at '#'; a trailing '\' joins the next line that is
//    not blank or a comment. Words split on blanks, "[...]" is one word.
//  - Debian's "@include FILE" inserts FILE's lines in place; "include" and
//    "substack" controls insert only the lines of the including line's type.
//  - Lines libpam rejects (unknown type, missing control or module) make it
//    fail that stack: they are warnings, the rest of the stack is reported.
// The `pam_config` table (pwquality.conf, faillock.conf) is in login_defs.cpp.
#include "pam.hpp"

#include <exception>
#include <map>

#include "collector.hpp"
#include "host.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr std::size_t kPamMaxBytes = 16u * 1024u * 1024u;
constexpr std::size_t kMaxIssues = 1000;

std::string where(std::string_view file, int line) {
  return line > 0 ? std::string(file) + ":" + std::to_string(line) : std::string(file);
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n';
}

bool is_type(std::string_view t) {
  return t == "auth" || t == "account" || t == "password" || t == "session";
}

bool is_keyword_control(std::string_view c) {
  return c == "required" || c == "requisite" || c == "sufficient" || c == "optional";
}

class PamEvaluator {
 public:
  explicit PamEvaluator(const PamLoader& loader) : loader_(loader) {}

  Result<PamStacks> run(std::string_view dir) {
    dir_ = std::string(dir);
    auto names = loader_.list(dir_);
    if (names.is(Errc::not_found)) {
      out_.dir_found = false;
      return std::move(out_);
    }
    if (!names) return make_error(names.error().code, dir_ + ": " + names.error().message);
    for (const auto& name : *names) {
      service_ = name;
      positions_.clear();
      const std::string path = dir_ + "/" + name;
      auto text = fetch(path);
      if (text.is(Errc::too_large) && bytes_ > kPamMaxBytes) return text.error();
      if (!text) {
        issue(path, 0,
              "cannot be read (" + text.error().message + "); libpam fails every stack of this service");
        continue;
      }
      std::vector<std::string> via{name};
      Status st = expand(path, **text, "", 0, via, false);
      if (!st) return st.error();
    }
    return std::move(out_);
  }

 private:
  // A file included from many services repeats its problems once per
  // expansion; past a bound the report would only grow, not say more.
  void issue(const std::string& file, int line, std::string message) {
    if (out_.issues.size() < kMaxIssues) {
      out_.issues.push_back(PamIssue{file, line, std::move(message)});
    } else if (out_.issues.size() == kMaxIssues) {
      out_.issues.push_back(PamIssue{dir_, 0, "more problems in the PAM configuration are not listed"});
    }
  }

  // Each file is split into lines once, so its line problems are told once.
  const std::vector<PamLine>& lines_of(const std::string& file, const std::string& text) {
    auto l = lines_.find(file);
    if (l != lines_.end()) return l->second;
    std::vector<PamIssue> found;
    auto lines = assemble_pam_lines(text, file, found);
    for (auto& i : found) issue(i.file, i.line, std::move(i.message));
    return lines_.emplace(file, std::move(lines)).first->second;
  }

  // Each file is read once however often it is included.
  Result<const std::string*> fetch(const std::string& path) {
    if (auto f = files_.find(path); f != files_.end()) return &f->second;
    if (auto f = failed_.find(path); f != failed_.end()) return f->second;
    auto text = loader_.read(path);
    if (!text) {
      failed_.emplace(path, text.error());
      return text.error();
    }
    bytes_ += text->size();
    if (bytes_ > kPamMaxBytes) {
      return make_error(Errc::too_large, path + ": more than " + std::to_string(kPamMaxBytes) +
                                             " bytes of PAM configuration in all");
    }
    return &files_.emplace(path, std::move(*text)).first->second;
  }

  std::string display(const std::string& path) const {
    const std::string prefix = dir_ + "/";
    return path.compare(0, prefix.size(), prefix) == 0 ? path.substr(prefix.size()) : path;
  }

  std::string stack_name(std::string_view type) const {
    return "the " + std::string(type.empty() ? "auth" : type) + " stack of service " + service_;
  }

  // type: the only type kept ("" at the top of a service file: all of them).
  Status expand(const std::string& file, const std::string& text, const std::string& type, int depth,
                std::vector<std::string>& via, bool in_substack) {
    if (++expansions_ > kPamMaxExpansions) {
      return make_error(Errc::too_large, file + ": more than " + std::to_string(kPamMaxExpansions) +
                                             " file expansions in all (service " + service_ + ")");
    }
    for (const PamLine& pl : lines_of(file, text)) {
      auto words = split_pam_words(pl.text);
      if (words.empty()) continue;
      if (words[0].raw == "@include") {
        if (words.size() < 2) {
          issue(file, pl.line, "@include without a file name; ignored");
          continue;
        }
        Status st = descend(file, pl.line, "@include", words[1].value, type, depth, via, in_substack);
        if (!st) return st;
        continue;
      }
      std::string t = to_lower(words[0].value);
      const bool optional_load = !t.empty() && t.front() == '-';
      if (optional_load) t.erase(0, 1);
      if (!is_type(t)) {
        issue(file, pl.line,
              "illegal module type '" + words[0].value + "'; libpam makes " + stack_name(type) + " fail");
        continue;
      }
      if (!type.empty() && t != type) continue;
      if (words.size() < 2) {
        issue(file, pl.line, "no control flag; libpam makes " + stack_name(t) + " fail");
        continue;
      }
      const std::string keyword = to_lower(words[1].value);
      if (keyword == "include" || keyword == "substack") {
        if (words.size() < 3) {
          issue(file, pl.line, keyword + " without a file name; libpam makes " + stack_name(t) + " fail");
          continue;
        }
        Status st = descend(file, pl.line, keyword, words[2].value, t, depth, via,
                            in_substack || keyword == "substack");
        if (!st) return st;
        continue;
      }
      const bool bracketed = words[1].raw.front() == '[';
      if (!bracketed && !is_keyword_control(keyword)) {
        issue(file, pl.line,
              "unknown control '" + words[1].raw + "'; libpam treats every result as a failure");
      }
      if (words.size() < 3) {
        issue(file, pl.line, "no module path; libpam makes " + stack_name(t) + " fail");
        continue;
      }
      PamRule r;
      r.service = service_;
      r.type = t;
      r.optional_load = optional_load;
      r.control = bracketed || !is_keyword_control(keyword) ? words[1].raw : keyword;
      r.module_path = words[2].value;
      const auto slash = r.module_path.rfind('/');
      r.module = slash == std::string::npos ? r.module_path : r.module_path.substr(slash + 1);
      for (std::size_t i = 3; i < words.size(); ++i) {
        r.args.push_back(PamArg{std::move(words[i].raw), std::move(words[i].value)});
      }
      r.file = file;
      r.line = pl.line;
      r.via = via;
      r.in_substack = in_substack;
      r.position = ++positions_[t];
      if (out_.rules.size() >= kPamMaxRules) {
        return make_error(Errc::too_large, where(file, pl.line) + ": more than " +
                                               std::to_string(kPamMaxRules) + " PAM rules");
      }
      out_.rules.push_back(std::move(r));
    }
    return Status::success();
  }

  Status descend(const std::string& file, int line, const std::string& kind, const std::string& target,
                 const std::string& type, int depth, std::vector<std::string>& via, bool in_substack) {
    const std::string path = !target.empty() && target.front() == '/' ? target : dir_ + "/" + target;
    if (depth + 1 > kPamMaxDepth) {
      return make_error(Errc::loop, where(file, line) + ": " + kind + " " + path + " nests deeper than " +
                                        std::to_string(kPamMaxDepth) +
                                        " levels (an include loop?) in service " + service_);
    }
    auto text = fetch(path);
    if (text.is(Errc::too_large) && bytes_ > kPamMaxBytes) return text.error();
    if (!text) {
      const std::string what =
          text.is(Errc::not_found) ? "is absent" : "cannot be read (" + text.error().message + ")";
      issue(file, line,
            kind + " " + path + ": the file " + what + "; " +
                (kind == "@include" ? "libpam logs it and its lines are missing from service " + service_
                                    : "libpam makes " + stack_name(type) + " fail"));
      return Status::success();
    }
    via.push_back(display(path));
    Status st = expand(path, **text, type, depth + 1, via, in_substack);
    via.pop_back();
    return st;
  }

  const PamLoader& loader_;
  std::string dir_;
  std::string service_;
  std::map<std::string, int> positions_;
  std::map<std::string, std::string> files_;
  std::map<std::string, std::vector<PamLine>> lines_;
  std::map<std::string, Error> failed_;
  std::size_t bytes_ = 0;
  int expansions_ = 0;
  PamStacks out_;
};

PamLoader host_pam_loader(const Host& host) {
  PamLoader l;
  l.read = [&host](const std::string& path) -> Result<std::string> {
    auto content = host.read_file(path);
    if (!content) return std::move(content).error();
    return std::move(content->data);
  };
  l.list = [&host](const std::string& dir) -> Result<std::vector<std::string>> {
    auto entries = host.list_dir(dir);
    if (!entries) return std::move(entries).error();
    std::vector<std::string> names;
    for (const auto& e : *entries) {
      if (e.type == FileType::directory) continue;
      if (e.type == FileType::symlink) {
        auto st = host.stat(dir + "/" + e.name, true);
        if (st && st->type == FileType::directory) continue;
      }
      names.push_back(e.name);
    }
    return names;
  };
  return l;
}

Result<PamStacks> evaluate_on_host(CollectContext& ctx) {
  auto stacks = evaluate_pam(host_pam_loader(ctx.host()));
  if (!stacks) return stacks;
  if (!stacks->dir_found) {
    ctx.warn(std::string(kPamDir),
             "directory absent: no PAM stacks (libpam would read /etc/pam.conf instead)");
  }
  for (const auto& i : stacks->issues) ctx.warn(where(i.file, i.line), i.message);
  return stacks;
}

std::vector<std::string> arg_raws(const PamRule& r) {
  std::vector<std::string> out;
  for (const auto& a : r.args) out.push_back(a.raw);
  return out;
}

Status collect_pam(CollectContext& ctx, std::vector<Row>& rows) {
  auto stacks = evaluate_on_host(ctx);
  if (!stacks) return stacks.error();
  for (const auto& r : stacks->rules) {
    rows.push_back(Row{text_value(sanitize_utf8(r.service)), text_value(r.type), bool_value(r.optional_load),
                       text_value(sanitize_utf8(r.control)), text_value(sanitize_utf8(r.module)),
                       text_value(sanitize_utf8(r.module_path)),
                       text_value(sanitize_utf8(join(arg_raws(r), " "))), text_value(sanitize_utf8(r.file)),
                       int_value(r.line), text_value(sanitize_utf8(join(r.via, " > "))),
                       bool_value(r.in_substack), int_value(r.position)});
  }
  return Status::success();
}

Status collect_pam_args(CollectContext& ctx, std::vector<Row>& rows) {
  auto stacks = evaluate_on_host(ctx);
  if (!stacks) return stacks.error();
  for (const auto& r : stacks->rules) {
    for (std::size_t i = 0; i < r.args.size(); ++i) {
      const std::string& v = r.args[i].value;
      const auto eq = v.find('=');
      const std::string_view name = std::string_view(v).substr(0, eq);
      // Modules read argv in order, so a later argument of the same name wins.
      bool last = true;
      for (std::size_t j = i + 1; j < r.args.size() && last; ++j) {
        last = std::string_view(r.args[j].value).substr(0, r.args[j].value.find('=')) != name;
      }
      rows.push_back(Row{text_value(sanitize_utf8(r.service)), text_value(r.type), int_value(r.position),
                         text_value(sanitize_utf8(r.module)), text_value(sanitize_utf8(name)),
                         eq == std::string::npos ? null_value() : text_value(sanitize_utf8(v.substr(eq + 1))),
                         bool_value(last), text_value(sanitize_utf8(r.file)), int_value(r.line)});
    }
  }
  return Status::success();
}

using T = ColumnType;

TableDef pam_table() {
  return TableDef{
      "pam",
      "The PAM stacks of every file in /etc/pam.d (common-* too) as Debian 12's libpam builds them: one row "
      "per "
      "module line, with Debian's '@include FILE' and the 'include'/'substack' controls expanded in place "
      "(an "
      "include keeps only the lines of its own type). Lines libpam rejects, absent included files and CRLF "
      "endings are warnings; an include loop or nesting deeper than 16 is an error. No /etc/pam.d: no rows "
      "and a warning.",
      {
          {"service", T::text, "the /etc/pam.d file the stack belongs to ('sshd', 'common-auth')"},
          {"type", T::text, "auth, account, password or session (lower case, without a leading '-')"},
          {"optional_load", T::integer, "1 when written '-type': a module that cannot be loaded is skipped"},
          {"control", T::text,
           "as written for '[value=action ...]'; required, requisite, sufficient, optional in lower case"},
          {"module", T::text, "basename of module_path ('pam_unix.so')"},
          {"module_path", T::text, "the module as written (name or absolute path)"},
          {"arguments", T::text,
           "the arguments as written, joined by one space ('' for none); '[a b]' kept whole"},
          {"file", T::text, "host path of the file holding the line"},
          {"line", T::integer, "1-based line (the first of a continued line)"},
          {"via", T::text,
           "the chain of files from the service file to file, joined by ' > ' ('sshd > common-auth')"},
          {"in_substack", T::integer,
           "1 when reached through a substack (done and die end only the substack)"},
          {"position", T::integer, "1-based order of the rule within its service and type"},
      },
      collect_pam,
  };
}

TableDef pam_args_table() {
  return TableDef{
      "pam_args",
      "One row per argument of each rule of the pam table, split at the first '=': 'minlen=14' is name "
      "minlen, "
      "value 14; 'nullok' is name nullok, value NULL. Bracketed arguments are given as the module receives "
      "them "
      "('[a=b c]' is name a, value 'b c').",
      {
          {"service", T::text, "as in pam"},
          {"type", T::text, "as in pam"},
          {"position", T::integer, "as in pam: joins a row to its rule with service and type"},
          {"module", T::text, "basename of the module"},
          {"name", T::text, "the argument before the first '='"},
          {"value", T::text, "the argument after the first '='; NULL for a flag"},
          {"effective", T::integer,
           "1 for the last argument of this name on its rule (modules parse argv in order, so it wins)"},
          {"file", T::text, "host path of the file holding the line"},
          {"line", T::integer, "1-based line"},
      },
      collect_pam_args,
  };
}

}  // namespace

std::vector<PamWord> split_pam_words(std::string_view line) {
  std::vector<PamWord> out;
  std::size_t i = 0;
  for (;;) {
    while (i < line.size() && is_blank(line[i])) ++i;
    if (i >= line.size()) break;
    const std::size_t start = i;
    PamWord w;
    if (line[i] == '[') {
      // Up to the first ']' not written "\]"; the next word may follow at once.
      for (++i; i < line.size() && line[i] != ']'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == ']') ++i;
        w.value += line[i];
      }
      if (i < line.size()) ++i;
    } else {
      while (i < line.size() && !is_blank(line[i])) ++i;
      w.value = std::string(line.substr(start, i - start));
    }
    w.raw = std::string(line.substr(start, i - start));
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<PamLine> assemble_pam_lines(std::string_view text, const std::string& file,
                                        std::vector<PamIssue>& issues) {
  std::vector<PamLine> out;
  PamLine pending;
  bool open = false;
  bool crlf = false;
  int number = 0;
  auto finish = [&] {
    if (pending.text.size() > kPamMaxLine) {
      issues.push_back(PamIssue{file, pending.line,
                                "line longer than " + std::to_string(kPamMaxLine) +
                                    " bytes; libpam cuts or refuses it (read whole here)"});
    }
    out.push_back(std::move(pending));
    pending = PamLine{};
    open = false;
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view l = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++number;
    if (!l.empty() && l.back() == '\r') {
      l.remove_suffix(1);
      crlf = true;
    }
    l = l.substr(0, l.find('\0'));  // fgets() text ends at a NUL for libpam too
    const auto first = l.find_first_not_of(" \t");
    // Blank and comment lines are skipped, even inside a continued line.
    if (first == std::string_view::npos || l[first] == '#') continue;
    if (!open) pending.line = number;
    open = true;
    const auto hash = l.find('#', first);
    if (hash != std::string_view::npos) {
      pending.text += l.substr(0, hash);  // a comment ends the line, a '\' before it included
      finish();
      continue;
    }
    const auto last = l.find_last_not_of(" \t");
    if (l[last] == '\\') {
      pending.text += l.substr(0, last);
      pending.text += ' ';
      continue;
    }
    pending.text += l;
    finish();
  }
  if (open) {
    issues.push_back(
        PamIssue{file, pending.line,
                 "the file ends inside a continued line; libpam stops reading the file with an error"});
  }
  if (crlf) {
    issues.push_back(
        PamIssue{file, 0,
                 "CRLF line endings: libpam keeps the '\\r' in the last word of each line (a module "
                 "it cannot load, a blank line that fails the stack); read here as LF"});
  }
  return out;
}

Result<PamStacks> evaluate_pam(const PamLoader& loader, std::string_view dir) {
  return PamEvaluator(loader).run(dir);
}

VIGIL_REGISTER_TABLE(pam_table());
VIGIL_REGISTER_TABLE(pam_args_table());

}  // namespace vigil::collectors
