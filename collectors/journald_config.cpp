// The `journald_config` table: the [Journal] settings of journald.conf and
// its drop-ins as systemd-journald 252 (Debian 12) reads them (file order and
// precedence in systemd_conf.hpp), with the compiled-in default of every key
// nobody sets. Defaults are Debian's build: its shipped journald.conf lists
// them ("Entries in this file show the compile time defaults"), and Debian
// differs from upstream in ForwardToSyslog=yes (rsyslog reads the journal's
// syslog socket).
#include <map>
#include <optional>

#include "collector.hpp"
#include "strings.hpp"
#include "systemd_conf.hpp"

namespace vigil::collectors {

namespace {

enum class Kind { boolean, compress, storage, split_mode, level, other };

struct JournalKey {
  std::string_view name;
  Kind kind;
  std::optional<std::string_view> default_value;  // nullopt: computed at run time (see the doc)
};

// The 31 keys of journald-gperf.gperf in 252 (the binary's own "Journal.*" strings).
constexpr JournalKey kKeys[] = {
    {"Storage", Kind::storage, "auto"},
    {"Compress", Kind::compress, "yes"},
    {"Seal", Kind::boolean, "yes"},
    {"SplitMode", Kind::split_mode, "uid"},
    {"SyncIntervalSec", Kind::other, "5m"},
    {"RateLimitIntervalSec", Kind::other, "30s"},
    {"RateLimitBurst", Kind::other, "10000"},
    {"SystemMaxUse", Kind::other, std::nullopt},
    {"SystemKeepFree", Kind::other, std::nullopt},
    {"SystemMaxFileSize", Kind::other, std::nullopt},
    {"SystemMaxFiles", Kind::other, "100"},
    {"RuntimeMaxUse", Kind::other, std::nullopt},
    {"RuntimeKeepFree", Kind::other, std::nullopt},
    {"RuntimeMaxFileSize", Kind::other, std::nullopt},
    {"RuntimeMaxFiles", Kind::other, "100"},
    {"MaxRetentionSec", Kind::other, "0"},
    {"MaxFileSec", Kind::other, "1month"},
    {"ForwardToSyslog", Kind::boolean, "yes"},
    {"ForwardToKMsg", Kind::boolean, "no"},
    {"ForwardToConsole", Kind::boolean, "no"},
    {"ForwardToWall", Kind::boolean, "yes"},
    {"TTYPath", Kind::other, "/dev/console"},
    {"MaxLevelStore", Kind::level, "debug"},
    {"MaxLevelSyslog", Kind::level, "debug"},
    {"MaxLevelKMsg", Kind::level, "notice"},
    {"MaxLevelConsole", Kind::level, "info"},
    {"MaxLevelWall", Kind::level, "emerg"},
    {"LineMax", Kind::other, "48K"},
    {"ReadKMsg", Kind::boolean, "yes"},
    {"Audit", Kind::boolean, "no"},
};

const JournalKey* find_key(std::string_view name) {
  if (name == "RateLimitInterval") name = "RateLimitIntervalSec";  // the old name, same setting
  for (const auto& k : kKeys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

// The value as journald would hold it, or nullopt when journald refuses it
// (it logs and keeps the previous value).
std::optional<std::string> journald_value(Kind kind, std::string_view v) {
  static constexpr std::string_view kLevels[] = {"emerg",   "alert",  "crit", "err",
                                                 "warning", "notice", "info", "debug"};
  switch (kind) {
    case Kind::boolean: {
      const int b = systemd_boolean(v);
      if (b < 0) return std::nullopt;
      return std::string(b ? "yes" : "no");
    }
    case Kind::compress: {
      // config_parse_compress(): a boolean, or a size threshold (compression on).
      const int b = systemd_boolean(v);
      if (b >= 0) return std::string(b ? "yes" : "no");
      if (v.empty() || v.find_first_not_of("0123456789.KMGTPEB ") != std::string_view::npos)
        return std::nullopt;
      return std::string(v);
    }
    case Kind::storage:  // storage_from_string(): case-sensitive
      if (v == "volatile" || v == "persistent" || v == "auto" || v == "none") return std::string(v);
      return std::nullopt;
    case Kind::split_mode:
      if (v == "uid" || v == "none") return std::string(v);
      return std::nullopt;
    case Kind::level:  // log_level_from_string(): names, case-sensitive, or 0..7
      for (std::size_t i = 0; i < std::size(kLevels); ++i) {
        if (v == kLevels[i] || (v.size() == 1 && v[0] == static_cast<char>('0' + i)))
          return std::string(kLevels[i]);
      }
      return std::nullopt;
    case Kind::other:
      // Sizes, times, numbers and paths are taken as written; an empty one
      // fails parse_size()/parse_sec() (TTYPath= resets to the default).
      if (v.empty()) return std::nullopt;
      return std::string(v);
  }
  return std::nullopt;
}

Status collect_journald_config(CollectContext& ctx, std::vector<Row>& rows) {
  auto warn = [&ctx](std::string where, std::string message) {
    ctx.warn(std::move(where), std::move(message));
  };
  const SystemdConfFiles files = read_systemd_conf(ctx.host(), "journald.conf", "Journal", warn);
  if (!files.main_found) {
    ctx.warn("/etc/systemd/journald.conf", "file absent: only drop-ins and compiled-in defaults apply");
  }
  auto journal_dir = ctx.host().stat("/var/log/journal", true);
  const Value persistent_dir = bool_value(journal_dir && journal_dir->type == FileType::directory);

  struct Pending {
    Row row;
    std::string key;
    bool valid;
  };
  std::vector<Pending> found;
  std::map<std::string, std::size_t> last_valid;  // canonical key -> index into found
  for (const auto& f : files.files) {
    for (const auto& a : f.assignments) {
      const JournalKey* k = find_key(a.key);
      const std::string where = f.path + ":" + std::to_string(a.line);
      std::optional<std::string> v;
      if (k == nullptr) {
        ctx.warn(where, "unknown key '" + a.key + "' in [Journal]; journald ignores it");
      } else {
        v = journald_value(k->kind, a.value);
        if (!v)
          ctx.warn(where,
                   a.key + "=" + a.value + ": journald cannot parse the value and keeps the previous one");
      }
      const std::string canonical = k != nullptr ? std::string(k->name) : a.key;
      if (v) last_valid[canonical] = found.size();
      found.push_back(
          Pending{Row{text_value(sanitize_utf8(canonical)), v ? text_value(sanitize_utf8(*v)) : null_value(),
                      text_value(sanitize_utf8(a.value)), bool_value(false), bool_value(false),
                      text_value(sanitize_utf8(f.path)), int_value(a.line), persistent_dir},
                  canonical, v.has_value()});
    }
  }
  for (const auto& [key, index] : last_valid) found[index].row[4] = bool_value(true);
  for (auto& p : found) rows.push_back(std::move(p.row));
  for (const auto& k : kKeys) {
    if (last_valid.count(std::string(k.name)) != 0) continue;
    rows.push_back(Row{text_value(k.name), k.default_value ? text_value(*k.default_value) : null_value(),
                       null_value(), bool_value(true), bool_value(true), null_value(), null_value(),
                       persistent_dir});
  }
  return Status::success();
}

TableDef journald_config_table() {
  using T = ColumnType;
  return TableDef{
      "journald_config",
      "The [Journal] settings of systemd-journald 252 (Debian 12): /etc/systemd/journald.conf (the only main "
      "file 252 reads), then journald.conf.d/*.conf from /etc/systemd, /run/systemd, /usr/local/lib/systemd, "
      "/usr/lib/systemd and /lib/systemd, all drop-ins sorted by file name whatever their directory; a name "
      "in "
      "an earlier directory hides the same name later (a warning names the hidden file). Every assignment is "
      "a "
      "row in reading order; the last one journald accepts for a key is effective. A key nobody sets (or "
      "sets "
      "only to values journald refuses) is one row with is_default = 1 and its compiled-in default. "
      "Storage=auto "
      "keeps the journal on disk only when /var/log/journal exists: see var_log_journal.",
      {
          {"key", T::text,
           "the setting, case-sensitive as journald compares it (RateLimitInterval is reported "
           "under its current name RateLimitIntervalSec)"},
          {"value", T::text,
           "the value journald uses: booleans as 'yes'/'no', levels by name ('debug'), Storage and SplitMode "
           "as "
           "written (they are case-sensitive); sizes and times as written. NULL for a value journald "
           "refuses, "
           "and for a default computed at run time (SystemMaxUse: 10% of the file system, at most 4G; "
           "SystemKeepFree: 15%; SystemMaxFileSize: an eighth of SystemMaxUse; Runtime* alike on /run)"},
          {"raw_value", T::text, "the value as written; NULL on default rows"},
          {"is_default", T::integer, "1 for the compiled-in default of a key no file sets"},
          {"effective", T::integer, "1 for the one row per key that is in force"},
          {"file", T::text, "host path of the file; NULL on default rows"},
          {"line", T::integer, "1-based line; NULL on default rows"},
          {"var_log_journal", T::integer,
           "1 when /var/log/journal is a directory on the host (Storage=auto then stores persistently), 0 if "
           "not"},
      },
      collect_journald_config,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(journald_config_table());

}  // namespace vigil::collectors
