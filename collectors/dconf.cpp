// The `dconf_settings` table: GNOME settings of the dconf system databases,
// read from the keyfiles `dconf update` compiles (/etc/dconf/db/<db>.d/*)
// and their locks, in the order of the profile dconf 0.40 finds, with
// GNOME's schema defaults for the screen-lock keys. What dconf itself reads
// is the compiled /etc/dconf/db/<db>; a database older than its sources is
// reported as stale. Parsing and lookup are in dconf_parse.cpp.
#include "dconf.hpp"

#include <algorithm>
#include <cstring>

#include "collector.hpp"
#include "host.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr std::size_t kFileCap = 1024u * 1024u;
constexpr std::size_t kMaxFiles = 1000;

// dconf_engine_open_profile_file("user"): /etc first, then XDG_DATA_DIRS
// (unset for a session: /usr/local/share, /usr/share).
constexpr std::string_view kProfilePaths[] = {
    "/etc/dconf/profile/user", "/usr/local/share/dconf/profile/user", "/usr/share/dconf/profile/user"};

// Regular files of a directory (symlinks followed, as stat() does), without
// dotfiles, in strcmp order; dconf update's list_directory().
std::vector<std::string> list_regular(const Host& host, const std::string& dir, std::int64_t& newest,
                                      CollectContext& ctx) {
  std::vector<std::string> out;
  auto entries = host.list_dir(dir);
  if (!entries) {
    if (!entries.is(Errc::not_found)) ctx.warn(dir, "cannot be listed: " + entries.error().message);
    return out;
  }
  for (const auto& e : *entries) {
    if (e.name.empty() || e.name[0] == '.') continue;
    const std::string path = dir + "/" + e.name;
    auto st = host.stat(path, true);
    if (!st || st->type != FileType::regular) continue;
    newest = std::max(newest, st->mtime);
    if (out.size() == kMaxFiles) {
      ctx.warn(dir, "more than " + std::to_string(kMaxFiles) + " files; the rest are not read");
      break;
    }
    out.push_back(path);
  }
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return std::strcmp(a.c_str(), b.c_str()) < 0; });
  return out;
}

std::vector<DconfDbInput::File> read_all(const Host& host, const std::vector<std::string>& paths,
                                         CollectContext& ctx) {
  std::vector<DconfDbInput::File> out;
  for (const auto& p : paths) {
    auto content = host.read_file(p, ReadOptions{.max_bytes = kFileCap});
    if (!content) {
      ctx.warn(p, "cannot be read (" + content.error().message + "); dconf update would fail on it");
      continue;
    }
    out.push_back(DconfDbInput::File{p, std::move(content->data)});
  }
  return out;
}

Status collect(CollectContext& ctx, std::vector<Row>& rows) {
  const Host& host = ctx.host();
  auto etc = host.stat(kDconfDir, true);
  if (!etc || etc->type != FileType::directory) {
    ctx.warn(std::string(kDconfDir), "absent: no dconf on this host (no GNOME desktop); no settings");
    return Status::success();
  }

  // The profile a user session gets (DCONF_PROFILE and a per-user runtime
  // profile are set per session and cannot be known here).
  std::vector<DconfSource> profile{DconfSource{"user-db", "user", 0}};
  std::string profile_file;
  for (auto path : kProfilePaths) {
    auto content = host.read_file(path, ReadOptions{.max_bytes = kFileCap});
    if (content.is(Errc::not_found)) continue;
    profile_file = std::string(path);
    if (!content) {
      ctx.warn(profile_file,
               "cannot be read (" + content.error().message + "): dconf uses the default profile");
      break;
    }
    DconfProfile parsed = parse_dconf_profile(content->data);
    for (const auto& i : parsed.issues) ctx.warn(profile_file + ":" + std::to_string(i.line), i.message);
    profile = std::move(parsed.sources);
    if (profile.empty()) ctx.warn(profile_file, "names no database: every key is unwritable and unset");
    break;
  }
  if (profile_file.empty()) {
    ctx.warn("/etc/dconf/profile/user",
             "absent: dconf uses the default profile 'user-db:user' alone, so no system database applies");
  }
  for (const auto& s : profile) {
    if (s.kind == "file-db" || s.kind == "service-db")
      ctx.warn(profile_file, s.kind + ":" + s.name + " is not read; its values are not in this table");
  }
  if (auto mandatory = host.list_dir("/run/dconf/user"); mandatory && !mandatory->empty()) {
    ctx.warn("/run/dconf/user",
             "mandatory per-user profiles exist; they replace the profile for those uids "
             "and are not read");
  }

  std::vector<DconfDbInput> dbs;
  auto entries = host.list_dir(kDconfDbDir);
  if (entries) {
    for (const auto& e : *entries) {
      if (e.name.size() < 3 || e.name[0] == '.' || e.name.compare(e.name.size() - 2, 2, ".d") != 0) continue;
      const std::string dir = std::string(kDconfDbDir) + "/" + e.name;
      auto st = host.stat(dir, true);
      if (!st || st->type != FileType::directory) continue;
      DconfDbInput db;
      db.name = e.name.substr(0, e.name.size() - 2);
      std::int64_t newest = st->mtime;
      std::int64_t dir_mtime = st->mtime;
      if (auto locks = host.stat(dir + "/locks", true); locks && locks->type == FileType::directory) {
        newest = std::max(newest, locks->mtime);
        dir_mtime = std::max(dir_mtime, locks->mtime);
      }
      db.keyfiles = read_all(host, list_regular(host, dir, newest, ctx), ctx);
      db.lockfiles = read_all(host, list_regular(host, dir + "/locks", newest, ctx), ctx);
      const std::string binary = std::string(kDconfDbDir) + "/" + db.name;
      auto bin = host.stat(binary, true);
      if (!bin || bin->type != FileType::regular) {
        db.stale = true;
        ctx.warn(binary,
                 "no compiled database: dconf reads nothing from '" + db.name + "' until `dconf update`");
      } else if (bin->mtime < newest) {
        db.stale = true;
        ctx.warn(binary, bin->mtime < dir_mtime
                             ? "older than its keyfile directory: not yet `dconf update`d"
                             : "older than a keyfile edited in place; `dconf update` compares only the "
                               "directories' times and would not rebuild it");
      }
      dbs.push_back(std::move(db));
    }
  } else if (!entries.is(Errc::not_found)) {
    ctx.warn(std::string(kDconfDbDir), "cannot be listed: " + entries.error().message);
  }

  // Vendor overrides of the schema defaults are compiled into gschemas.compiled.
  if (auto overrides = host.glob("/usr/share/glib-2.0/schemas/*.gschema.override")) {
    for (const auto& f : *overrides) {
      auto content = host.read_file(f, ReadOptions{.max_bytes = kFileCap});
      if (content && (content->data.find("[org.gnome.desktop.session") != std::string::npos ||
                      content->data.find("[org.gnome.desktop.screensaver") != std::string::npos)) {
        ctx.warn(f,
                 "overrides defaults of org.gnome.desktop.session or .screensaver; the default rows do not "
                 "include it");
      }
    }
  }

  const DconfEvaluation eval = evaluate_dconf(profile, dbs);
  for (const auto& [where, message] : eval.issues) ctx.warn(where, message);
  for (const auto& s : eval.settings) {
    rows.push_back(Row{
        s.db.empty() ? null_value() : text_value(sanitize_utf8(s.db)),
        text_value(sanitize_utf8(s.path)),
        text_value(sanitize_utf8(s.value)),
        s.parsed.type.empty() ? null_value() : text_value(s.parsed.type),
        s.parsed.integer ? int_value(*s.parsed.integer) : null_value(),
        s.type_ok ? bool_value(*s.type_ok) : null_value(),
        bool_value(s.locked),
        s.locked_by.empty() ? null_value() : text_value(sanitize_utf8(s.locked_by)),
        bool_value(s.effective),
        bool_value(s.user_writable),
        s.is_default ? null_value() : bool_value(s.in_profile),
        s.stale ? bool_value(*s.stale) : null_value(),
        bool_value(s.is_default),
        text_value(sanitize_utf8(s.file)),
        s.line > 0 ? int_value(s.line) : null_value(),
    });
  }
  return Status::success();
}

TableDef dconf_settings_table() {
  using T = ColumnType;
  return TableDef{
      "dconf_settings",
      "GNOME settings from the dconf system databases as dconf 0.40 compiles and reads them: every key=value "
      "of /etc/dconf/db/<db>.d/* (dotfiles skipped, files in strcmp order, the last one setting a key wins), "
      "locks from <db>.d/locks/*, the databases in the order of the profile /etc/dconf/profile/user (else "
      "/usr/local/share or /usr/share/dconf/profile/user; none: 'user-db:user' alone, so no system database "
      "applies), and GNOME's schema defaults (gsettings-desktop-schemas 43) for idle-delay, lock-enabled, "
      "lock-delay and idle-activation-enabled as rows with is_default = 1. Users' own databases "
      "(~/.config/dconf/user) are not read. No /etc/dconf: no rows and a warning (no GNOME).",
      {
          {"db", T::text, "system database name (local, site, gdm...); NULL for a schema default"},
          {"path", T::text, "the key, e.g. /org/gnome/desktop/session/idle-delay"},
          {"value", T::text, "GVariant text as written: 'uint32 300', 'true', \"'string'\""},
          {"value_type", T::text,
           "GVariant type dconf stores: 'u' for 'uint32 300', 'i' for a bare '300' (int32), 'b', 's'...; "
           "NULL "
           "for containers"},
          {"value_int", T::integer,
           "the number of an integer value (uint32, int32...), 1/0 for true/false; NULL "
           "otherwise"},
          {"type_ok", T::integer,
           "for the four keys with a default row: 1 when the type is the schema's (u for idle-delay and "
           "lock-delay, b for the others); 0 when GSettings ignores the value (e.g. idle-delay=300 is an "
           "int32) "
           "and uses the default; NULL for other keys"},
          {"locked", T::integer,
           "1 when a locks file of a profile database after the first locks the key: users cannot change it"},
          {"locked_by", T::text, "the database whose lock is in force (the last in profile order); NULL"},
          {"effective", T::integer,
           "1 for the value GNOME uses unless the user set their own (see user_writable): with a lock, the "
           "first database at or after the locking one that sets the key; otherwise the first database in "
           "profile order that sets it; otherwise the schema default. A value of the wrong type (type_ok = "
           "0) "
           "is never effective: the default row is"},
          {"user_writable", T::integer,
           "1 when the key is not locked and the profile starts with user-db (or service-db): a user's own "
           "setting overrides the effective row"},
          {"in_profile", T::integer, "1 when the database is a system-db of the profile; NULL for defaults"},
          {"stale", T::integer,
           "1 when the compiled /etc/dconf/db/<db> is absent, older than its keyfiles, locks or their "
           "directories, or `dconf update` refuses a keyfile: dconf may read other values than these; NULL "
           "for defaults"},
          {"is_default", T::integer, "1 for a GNOME schema default row"},
          {"file", T::text, "the keyfile, or the schema file of a default"},
          {"line", T::integer, "line in the keyfile; NULL for defaults"},
      },
      collect,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(dconf_settings_table());

}  // namespace vigil::collectors
