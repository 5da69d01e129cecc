// OpenSSL 3.0's configuration file reader (crypto/conf/conf_def.c
// def_load_bio), replayed line by line so that its quirks give the same
// values (checked against Debian 12's libcrypto 3.0.19 with NCONF_load):
//  - input is read in fgets() pieces of at most 510 bytes; trailing CR/LF are
//    cut; a piece without a newline (a long line, a NUL byte, the last line)
//    is joined with the next; a line ending in one '\' continues on the next
//    line (its leading blanks kept); a NUL byte at the start of a line ends
//    the file; a UTF-8 BOM is skipped in the main file only.
//  - '#' starts a comment outside quotes (' " and `) and escapes ('\').
//  - `[ name ]` switches section (words may be separated by blanks); a
//    section change in an included file carries over to its includer.
//  - `name = value`, `section::name = value`; a later value of the same
//    section and name replaces the earlier one (and moves to the end of the
//    section's order); values expand $name, ${name}, $(name),
//    $section::name, in the section then in [default], or fail the load.
//  - `.include [=] path`: a missing path is skipped; a directory reads its
//    *.cnf and *.conf entries (case-insensitive) in readdir() order, which
//    this reader replaces by name order (a warning says so); a directory
//    include while one is being read is skipped; and while the files of a
//    directory are read, the end of any file goes on with the directory's
//    next file (conf_def.c keeps one directory context), so a file included
//    from a directory's file ends that file's turn early. There is no loop
//    check in OpenSSL: a file that includes itself is read again, nested,
//    until the process runs out of descriptors, then the include fails and
//    the load goes on; here the nesting stops at kOpensslMaxNesting files (a
//    warning), which gives the same values unless a name is set on both
//    sides of the loop. A loop through a directory include ends by itself:
//    the second directory include is refused while the first is read.
//  - `.pragma [=] dollarid:on|off`, `abspath:on|off`, `includedir:dir`.
// OPENSSL_CONF and OPENSSL_CONF_INCLUDE are not followed: they belong to each
// program's environment.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "openssl_config.hpp"
#include "openssl_config_internal.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

// fgets(buf, 511) in BIO_gets(in, p, CONFBUFSIZE - 1).
constexpr std::size_t kPiece = 510;

bool ends_with_icase(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

std::string where(const std::string& file, int line) {
  return file + ":" + std::to_string(line);
}

struct OpenFile {
  std::string path;
  std::string text;
  std::size_t pos = 0;
  int line = 1;  // physical line of the next piece
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  bool told_nul = false;  // one NUL warning per file: a binary file has thousands
};

class Reader {
 public:
  explicit Reader(const OpensslConfLoader& loader) : loader_(loader) {}

  Result<OpensslConf> run(std::string_view main_path, std::string_view shown_as) {
    out_.sections.push_back("default");
    const std::string path(main_path);
    auto info = loader_.stat(path);
    if (info.is(Errc::not_found)) {
      out_.main_file_found = false;
      return std::move(out_);
    }
    if (!info) return make_error(info.error().code, path + ": " + info.error().message);
    OpenFile main;
    Status st = open(path, *info, main, "");
    if (!st) return st.error();
    if (!shown_as.empty()) {
      main.path = std::string(shown_as);
      out_.files.back() = main.path;
    }
    cur_ = std::move(main);
    st = read_all();
    if (!st) return st.error();
    return std::move(out_);
  }

 private:
  enum class Open { opened, skipped };

  void issue(const std::string& file, int line, std::string message) {
    out_.issues.push_back(ConfIssue{file, line, std::move(message)});
  }

  void fail(std::string message) {
    out_.loaded = false;
    out_.load_error = where(line_file_, line_no_) + ": " + message;
    stopped_ = true;
  }

  bool on_stack(const ConfPathInfo& info) const {
    const auto same = [&info](const OpenFile& f) { return f.device == info.device && f.inode == info.inode; };
    return (cur_ && same(*cur_)) || std::any_of(stack_.begin(), stack_.end(), same);
  }

  // Opens a regular file or a directory entry as fopen() would; `why` names
  // the include for messages ("" for the main file).
  Result<Open> open_entry(const std::string& path, OpenFile& file, const std::string& why) {
    auto info = loader_.stat(path);
    if (info.is(Errc::not_found)) {
      issue(why.empty() ? path : why, 0, path + " is absent (a dangling link?); OpenSSL skips it");
      return Open::skipped;
    }
    if (!info) return make_error(info.error().code, why + ": " + path + ": " + info.error().message);
    Status st = open(path, *info, file, why);
    if (!st) return st.error();
    return file.path.empty() ? Open::skipped : Open::opened;
  }

  Status open(const std::string& path, const ConfPathInfo& info, OpenFile& file, const std::string& why) {
    const std::string where_from = why.empty() ? path : why;
    if (info.kind == ConfPathKind::other) {
      return make_error(Errc::not_regular, where_from + ": " + path +
                                               " is not a regular file (OpenSSL would block on a fifo or "
                                               "read a device)");
    }
    if (info.kind == ConfPathKind::regular && on_stack(info)) {
      if (stack_.size() + 1 >= kOpensslMaxNesting) {
        issue(
            why, 0,
            ".include of " + path + " nests " + std::to_string(kOpensslMaxNesting) +
                " files deep (a loop): OpenSSL goes on re-opening it until the program runs out of file "
                "descriptors, then skips it and reads on; it is skipped here, so a name set on both sides of "
                "the loop may end with the other side's value");
        file.path.clear();
        return Status::success();
      }
      if (looped_.insert(path).second) {
        issue(why, 0,
              ".include of " + path + " while it is being read: an include loop, read again as OpenSSL does");
      }
    }
    if (++files_ > kOpensslMaxFiles) {
      return make_error(Errc::too_large,
                        where_from + ": more than " + std::to_string(kOpensslMaxFiles) + " files in all");
    }
    file = OpenFile{path, "", 0, 1, info.device, info.inode, false};
    if (info.kind == ConfPathKind::directory) {
      // fopen() of a directory succeeds and its first read fails: an empty file to OpenSSL.
      issue(where_from, 0,
            path + " is a directory named like a configuration file; OpenSSL reads it as empty");
    } else {
      auto text = loader_.read(path);
      if (!text) return make_error(text.error().code, where_from + ": " + path + ": " + text.error().message);
      bytes_ += text->size();
      if (bytes_ > kOpensslMaxBytes) {
        return make_error(Errc::too_large, where_from + ": more than " + std::to_string(kOpensslMaxBytes) +
                                               " bytes of configuration in all");
      }
      file.text = std::move(*text);
    }
    out_.files.push_back(path);
    return Status::success();
  }

  // get_next_file(): the directory's next entry that opens, or none.
  Result<std::optional<OpenFile>> next_dir_file() {
    while (dir_ && dir_next_ < dir_names_.size()) {
      const std::string path = dir_path_ + "/" + dir_names_[dir_next_++];
      OpenFile f;
      auto r = open_entry(path, f, dir_why_);
      if (!r) return std::move(r).error();
      if (*r == Open::opened) return std::optional<OpenFile>(std::move(f));
    }
    dir_ = false;
    return std::optional<OpenFile>();
  }

  // One BIO_gets(): up to kPiece bytes through a newline; "" at the end.
  std::string_view gets(OpenFile& f) {
    if (f.pos >= f.text.size()) return {};
    std::string_view rest(f.text);
    rest.remove_prefix(f.pos);
    auto nl = rest.substr(0, kPiece).find('\n');
    const std::size_t n = nl == std::string_view::npos ? std::min(kPiece, rest.size()) : nl + 1;
    f.pos += n;
    return rest.substr(0, n);
  }

  Status read_all() {
    std::string buf;
    bool again = false;
    bool first_call = true;
    while (!stopped_) {
      OpenFile& f = *cur_;
      const int piece_line = f.line;
      std::string_view piece = gets(f);
      const bool had_newline = !piece.empty() && piece.back() == '\n';
      if (had_newline) ++f.line;
      const auto nul = piece.find('\0');
      if (nul != std::string_view::npos && !f.told_nul) {
        f.told_nul = true;
        issue(f.path, piece_line,
              nul == 0 && !again ? "a NUL byte starts the line: OpenSSL stops reading the file here"
                                 : "a NUL byte: OpenSSL drops the rest of the line and joins the next one");
      }
      if (nul != std::string_view::npos) piece = piece.substr(0, nul);
      if (first_call) {
        if (piece.substr(0, 3) == "\xEF\xBB\xBF") piece.remove_prefix(3);
        first_call = false;
      }
      if (piece.empty() && !again) {
        Status st = end_of_file();
        if (!st) return st;
        if (!cur_) break;
        continue;
      }
      if (buf.empty()) {
        line_file_ = f.path;
        line_no_ = piece_line;
      }
      again = false;
      const std::size_t before = piece.size();
      while (!piece.empty() && (piece.back() == '\r' || piece.back() == '\n')) piece.remove_suffix(1);
      if (before != 0 && piece.size() == before) again = true;  // no line end: joined with the next piece
      buf.append(piece);
      if (!again && !buf.empty() && conf_is_esc(buf.back()) &&
          (buf.size() <= 1 || !conf_is_esc(buf[buf.size() - 2]))) {
        buf.pop_back();
        again = true;
      }
      if (again) continue;
      Status st = line(buf);
      buf.clear();
      if (!st) return st;
    }
    return Status::success();
  }

  Status end_of_file() {
    if (dir_) {
      auto next = next_dir_file();
      if (!next) return std::move(next).error();
      if (next->has_value()) {
        cur_ = std::move(**next);
        return Status::success();
      }
    }
    if (stack_.empty()) {
      cur_.reset();
    } else {
      cur_ = std::move(stack_.back());
      stack_.pop_back();
    }
    return Status::success();
  }

  const ConfValue* lookup(const std::string& section, std::string_view name) const {
    auto it = live_.find({section, std::string(name)});
    return it == live_.end() ? nullptr : &out_.values[it->second];
  }

  void ensure_section(const std::string& name) {
    if (std::find(out_.sections.begin(), out_.sections.end(), name) == out_.sections.end())
      out_.sections.push_back(name);
  }

  // str_copy() over the values read so far; a failure fails the load.
  std::optional<std::string> expand(const std::optional<std::string>& section, std::string_view from,
                                    bool* env_dependent) {
    const auto lookup_fn = [this](const std::string& sec, const std::string& name) {
      return lookup(sec, name);
    };
    ConfExpansion x = expand_conf_value(section, from, dollarid_, lookup_fn);
    if (!x.value) {
      fail(x.error);
      return std::nullopt;
    }
    *env_dependent = *env_dependent || x.env_dependent;
    return x.value;
  }

  std::size_t eat_name(std::string_view s, std::size_t i) const { return conf_eat_name(s, i, dollarid_); }

  Status line(std::string_view raw) {
    const std::string_view text = conf_clear_comments(raw);
    std::size_t s = conf_eat_ws(text, 0);
    if (s >= text.size()) return Status::success();
    if (text[s] == '[') {
      const std::size_t start = conf_eat_ws(text, s + 1);
      std::size_t ss = start, end = start, p = start;
      while (true) {
        end = eat_name(text, ss);
        p = conf_eat_ws(text, end);
        if (p < text.size() && text[p] == ']') break;
        if (p < text.size() && ss != p) {
          ss = p;
          continue;
        }
        fail("missing close square bracket; OpenSSL refuses the whole configuration");
        return Status::success();
      }
      bool env = false;
      auto name = expand(std::nullopt, text.substr(start, end - start), &env);
      if (!name) return Status::success();
      section_ = *name;
      ensure_section(section_);
      return Status::success();
    }
    std::size_t pname = s;
    std::size_t end = eat_name(text, s);
    std::string psection = section_;
    if (end + 1 < text.size() && text[end] == ':' && text[end + 1] == ':') {
      psection = std::string(text.substr(pname, end - pname));
      pname = end + 2;
      end = eat_name(text, pname);
    }
    const std::size_t p = conf_eat_ws(text, end);
    const bool equals = p < text.size() && text[p] == '=';
    const auto directive = [&](std::string_view word) {
      return text.substr(pname, word.size()) == word && (p != pname + word.size() || equals);
    };
    std::string_view rest = p < text.size() ? text.substr(p) : std::string_view();
    if (!rest.empty() && rest.front() == '=') rest = rest.substr(conf_eat_ws(rest, 1));
    rest = conf_trim_ws(rest);
    if (directive(".pragma")) return pragma(rest);
    if (directive(".include")) return include(psection, rest);
    if (!equals) {
      fail("missing equal sign in '" + std::string(conf_trim_ws(text.substr(s))) +
           "'; OpenSSL refuses the whole configuration");
      return Status::success();
    }
    const std::string name(text.substr(pname, end - pname));
    bool env = false;
    auto value = expand(psection, rest, &env);
    if (!value) return Status::success();
    if (env) {
      issue(line_file_, line_no_,
            name +
                ": $ENV:: comes from each program's environment; the reference is reported as written, and "
                "OpenSSL refuses the whole configuration in a program where it is unset and [default] has "
                "no such name");
    }
    ensure_section(psection);
    const std::pair<std::string, std::string> key{psection, name};
    if (auto it = live_.find(key); it != live_.end()) out_.values[it->second].effective = false;
    live_[key] = out_.values.size();
    out_.values.push_back(ConfValue{psection, name, std::move(*value), line_file_, line_no_, true, env});
    return Status::success();
  }

  Status pragma(std::string_view rest) {
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 >= rest.size()) {
      fail("invalid .pragma '" + std::string(rest) +
           "' (keyword:value expected); OpenSSL refuses the whole "
           "configuration");
      return Status::success();
    }
    const std::string key(conf_trim_ws(rest.substr(0, colon)));
    const std::string_view value = rest.substr(conf_eat_ws(rest, colon + 1));
    if (key == "dollarid" || key == "abspath") {
      bool on = false;
      if (iequals(value, "on") || iequals(value, "true")) {
        on = true;
      } else if (!iequals(value, "off") && !iequals(value, "false")) {
        fail(".pragma " + key + ": '" + std::string(value) + "' is not on, true, off or false");
        return Status::success();
      }
      (key == "dollarid" ? dollarid_ : abspath_) = on;
    } else if (key == "includedir") {
      includedir_ = std::string(value);
    } else {
      issue(line_file_, line_no_, "unknown .pragma '" + key + "'; OpenSSL ignores it");
    }
    return Status::success();
  }

  Status include(const std::string& psection, std::string_view rest) {
    bool env = false;
    auto target = expand(psection, rest, &env);
    if (!target) return Status::success();
    std::string path = *target;
    const std::string why = where(line_file_, line_no_);
    if (env) {
      issue(line_file_, line_no_, ".include " + path + " depends on each program's environment; not read");
      return Status::success();
    }
    if (includedir_ && (path.empty() || path.front() != '/')) {
      path = *includedir_ + (!includedir_->empty() && includedir_->back() == '/' ? "" : "/") + path;
    }
    if (path.empty() || path.front() != '/') {
      if (abspath_) {
        fail(".include of the relative path '" + path + "' with .pragma abspath:on");
        return Status::success();
      }
      issue(line_file_, line_no_,
            ".include of the relative path '" + path +
                "': OpenSSL opens it from each program's working directory; not read");
      return Status::success();
    }
    auto info = loader_.stat(path);
    if (info.is(Errc::not_found)) {
      issue(line_file_, line_no_, ".include " + path + " does not exist; OpenSSL skips it");
      return Status::success();
    }
    if (!info) return make_error(info.error().code, why + ": .include " + path + ": " + info.error().message);
    if (info->kind == ConfPathKind::directory) {
      if (dir_) {
        issue(line_file_, line_no_,
              ".include of the directory " + path +
                  " while another directory's files are read: OpenSSL refuses it (recursive directory "
                  "include) and goes on");
        return Status::success();
      }
      auto names = loader_.list_dir(path);
      if (!names)
        return make_error(names.error().code, why + ": .include " + path + ": " + names.error().message);
      std::vector<std::string> picked;
      for (const auto& n : *names) {
        if (ends_with_icase(n, ".conf") || ends_with_icase(n, ".cnf")) picked.push_back(n);
      }
      std::sort(picked.begin(), picked.end());
      if (picked.size() > 1) {
        issue(line_file_, line_no_,
              ".include " + path + ": OpenSSL reads its " + std::to_string(picked.size()) +
                  " *.cnf/*.conf files in readdir() order, which the filesystem decides; name order is "
                  "assumed here");
      }
      dir_ = true;
      dir_path_ = path;
      while (!dir_path_.empty() && dir_path_.back() == '/' && dir_path_.size() > 1) dir_path_.pop_back();
      dir_names_ = std::move(picked);
      dir_next_ = 0;
      dir_why_ = why;
      auto first = next_dir_file();
      if (!first) return std::move(first).error();
      if (first->has_value()) {
        stack_.push_back(std::move(*cur_));
        cur_ = std::move(**first);
      }
      return Status::success();
    }
    OpenFile f;
    Status st = open(path, *info, f, why);
    if (!st) return st;
    if (f.path.empty()) return Status::success();  // a loop, skipped
    stack_.push_back(std::move(*cur_));
    cur_ = std::move(f);
    return Status::success();
  }

  const OpensslConfLoader& loader_;
  OpensslConf out_;
  std::optional<OpenFile> cur_;
  std::vector<OpenFile> stack_;
  bool dir_ = false;
  std::string dir_path_;
  std::vector<std::string> dir_names_;
  std::size_t dir_next_ = 0;
  std::string dir_why_;
  std::string section_ = "default";
  bool dollarid_ = false;
  bool abspath_ = false;
  std::optional<std::string> includedir_;
  std::map<std::pair<std::string, std::string>, std::size_t> live_;
  std::string line_file_;
  int line_no_ = 0;
  bool stopped_ = false;
  int files_ = 0;
  std::size_t bytes_ = 0;
  std::set<std::string> looped_;
};

}  // namespace

Result<OpensslConf> load_openssl_conf(const OpensslConfLoader& loader, std::string_view main_path,
                                      std::string_view shown_as) {
  return Reader(loader).run(main_path, shown_as);
}

}  // namespace vigil::collectors
