// GNOME settings as the dconf system databases give them, behind the
// `dconf_settings` table: the profile (dconf 0.40, engine/dconf-engine-
// profile.c), the keyfiles and locks that `dconf update` compiles
// (bin/dconf-update.vala), and the lookup order of dconf_engine_read()
// (engine/dconf-engine.c). Pure parsers and the evaluation; dconf.cpp reads
// the host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts.hpp"  // ParseIssue

namespace vigil::collectors {

inline constexpr std::string_view kDconfDir = "/etc/dconf";
inline constexpr std::string_view kDconfDbDir = "/etc/dconf/db";

// --- the profile ------------------------------------------------------------------

struct DconfSource {
  std::string kind;  // "user-db", "system-db", "service-db", "file-db"
  std::string name;  // the part after the colon
  int line = 0;
};
struct DconfProfile {
  std::vector<DconfSource> sources;
  std::vector<ParseIssue> issues;  // lines dconf ignores ("unknown dconf database description")
};
// Each line: blanks trimmed, '#' to the end is a comment, then
// "user-db:NAME", "system-db:NAME", "service-db:NAME" or "file-db:PATH".
DconfProfile parse_dconf_profile(std::string_view text);

// --- keyfiles and locks -------------------------------------------------------------

struct DconfKeyfileEntry {
  std::string path;   // "/" + group + "/" + key
  std::string value;  // the GVariant text as written
  int line = 0;
};
struct DconfKeyfile {
  std::vector<DconfKeyfileEntry> entries;  // every key=value line, in file order
  // Set when `dconf update` refuses the file (GKeyFile syntax, a bad group
  // or key name, a value that is not GVariant text): the whole database is
  // then not compiled and keeps its previous contents.
  std::optional<ParseIssue> error;
};
// GKeyFile's syntax (GLib 2.74) with dconf update's checks on top.
DconfKeyfile parse_dconf_keyfile(std::string_view text);

struct DconfLock {
  std::string path;  // the whole line, as dconf update takes it (no trimming)
  int line = 0;
};
// dconf update: every line that starts with '/' is a locked key; the rest is
// ignored. A CRLF file's "\r" stays part of the key (it then locks nothing).
std::vector<DconfLock> parse_dconf_locks(std::string_view text);

// --- GVariant text of a scalar ----------------------------------------------------------

struct GVariantText {
  bool valid = true;  // false: g_variant_parse() would refuse it
  std::string type;   // "u", "i", "b", "s", "d", "x", "t", "n", "q", "y", "h", "o", "g"; "" when not a scalar
  std::optional<std::int64_t> integer;  // integer types; booleans as 1/0
  std::string error;                    // why not valid
};
// The scalars of the GVariant text format, as g_variant_parse(NULL, text)
// infers them: "uint32 300" and "@u 300" are 'u', a bare "300" is 'i'
// (int32), true/false 'b', '...' or "..." 's'. Arrays, tuples, dictionaries
// and variants are reported with type "" and taken as valid.
GVariantText parse_gvariant_text(std::string_view text);

// --- evaluation ------------------------------------------------------------------------

struct DconfDbInput {
  std::string name;  // "local"
  struct File {
    std::string path;
    std::string text;
  };
  std::vector<File> keyfiles;   // <db>.d/*, in dconf update's strcmp order
  std::vector<File> lockfiles;  // <db>.d/locks/*
  bool stale = false;           // the compiled database is older than a source, or absent
};

struct DconfDefault {
  std::string path;
  std::string value;
  std::string type;
  std::string file;  // the schema file that declares it
};
// GNOME's own defaults for the keys screen-lock policies read
// (gsettings-desktop-schemas 43).
const std::vector<DconfDefault>& dconf_schema_defaults();

struct DconfSetting {
  std::string db;  // "" for a schema default
  std::string path;
  std::string value;
  GVariantText parsed;
  std::optional<bool> type_ok;  // against the schema, for the keys of dconf_schema_defaults()
  bool locked = false;
  std::string locked_by;  // the db whose lock is in force
  bool effective = false;
  bool user_writable = false;  // not locked and the profile starts with a user-db/service-db
  bool in_profile = false;
  std::optional<bool> stale;  // nullopt for a schema default
  bool is_default = false;
  std::string file;
  int line = 0;
};

struct DconfEvaluation {
  std::vector<DconfSetting> settings;
  std::vector<std::pair<std::string, std::string>> issues;  // where, message
};
// profile: the sources in force (the default profile is one user-db:user).
DconfEvaluation evaluate_dconf(const std::vector<DconfSource>& profile, const std::vector<DconfDbInput>& dbs);

}  // namespace vigil::collectors
