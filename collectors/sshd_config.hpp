// The OpenSSH server configuration as sshd 9.2 computes it (`sshd -T`):
// pure functions that tokenize lines and evaluate /etc/ssh/sshd_config with
// its Include and Match rules, behind the `sshd_config` and `sshd_match`
// tables. Files are read through a loader so tests can feed strings.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace vigil::collectors {

class CollectContext;

inline constexpr std::string_view kSshdConfigPath = "/etc/ssh/sshd_config";
inline constexpr std::string_view kSshdDir = "/etc/ssh";
// OpenSSH's SERVCONF_MAX_DEPTH: deeper Include nesting is fatal to sshd.
inline constexpr int kSshdMaxIncludeDepth = 16;
// sshd bounds only the depth; a wide fan-out (each file including 50 others,
// five levels deep) is bounded here so a hostile tree cannot stall a scan.
inline constexpr int kSshdMaxIncludedFiles = 1000;
inline constexpr std::size_t kSshdMaxIncludedBytes = 16u * 1024u * 1024u;

// One non-blank, non-comment line split the way sshd splits it.
struct SshdLine {
  std::string keyword;            // lowercased as written (aliases not yet mapped)
  std::vector<std::string> args;  // argv_split(3)-style words, quotes and escapes removed
  std::string rest;               // raw text after the keyword (ForceCommand keeps it verbatim)
};

// nullopt for a blank or comment line; Errc::parse for a keyword without an
// argument or an unbalanced quote (lines sshd rejects).
Result<std::optional<SshdLine>> tokenize_sshd_line(std::string_view line);

// sshd's time format ("90", "2m", "1h30m", units s m h d w in either case)
// in seconds; nullopt for anything sshd's convtime() refuses.
std::optional<std::int64_t> sshd_time_seconds(std::string_view text);

// What sshd knows about a keyword. canonical is the name `sshd -T` prints.
struct SshdKeyword {
  std::string_view name;
  std::string_view canonical;
  bool match_ok = false;    // allowed inside a Match block
  bool accumulate = false;  // every occurrence adds (AllowUsers, HostKey, Port...)
  bool each_arg = false;    // accumulating one value per argument (AllowUsers a b)
  bool ignored = false;     // deprecated/unsupported: sshd logs it and ignores it
  bool raw = false;         // the value is the rest of the line as written (ForceCommand)
};
const SshdKeyword* find_sshd_keyword(std::string_view lowercase_name) noexcept;

// A value as `sshd -T` reports it: enum words in their canonical case
// ("Yes" -> "yes", "without-password" -> "prohibit-password", "info" ->
// "INFO"); anything else (paths, user names, algorithm lists) as written.
// Sets *valid to false when sshd would refuse the value of an enum keyword.
std::string normalize_sshd_value(std::string_view canonical, std::string_view value, bool* valid = nullptr);
// The number behind a numeric keyword's value (time keywords in seconds);
// nullopt for keywords that are not numeric or values that are not numbers.
std::optional<std::int64_t> sshd_value_int(std::string_view canonical, std::string_view value);

struct SshdSetting {
  std::string keyword;  // canonical lowercase name
  std::string value;
  std::optional<std::int64_t> value_int;
  std::string file;  // empty for a compiled-in default
  int line = 0;      // 0 for a compiled-in default
  bool is_default = false;
};

struct SshdMatchSetting {
  std::string criteria;  // Match arguments as written; an enclosing Match of an Include is prefixed
  std::string keyword;
  std::string value;
  std::optional<std::int64_t> value_int;
  std::string file;
  int line = 0;
  std::string match_file;
  int match_line = 0;
};

// A line sshd would reject or ignore, or a file it could not read as a file.
struct SshdIssue {
  std::string file;
  int line = 0;  // 0 when not about one line
  std::string message;
};

struct SshdConfig {
  bool main_file_found = true;
  std::vector<SshdSetting> settings;    // effective global configuration, sorted by keyword
  std::vector<SshdMatchSetting> match;  // settings inside Match blocks, in file order
  std::vector<SshdIssue> issues;
};

// The files an evaluation reads. read returns the content of a host path
// (Errc::not_found when absent); glob returns the sorted existing matches of
// an absolute pattern (an empty list when nothing matches).
struct SshdLoader {
  std::function<Result<std::string>(const std::string& path)> read;
  std::function<Result<std::vector<std::string>>(const std::string& pattern)> glob;
};

// Evaluates the configuration starting at main_path. An absent main file gives
// the compiled-in defaults and main_file_found = false. Errors (the whole
// configuration cannot be known): Include nested deeper than 16 (a loop),
// an included file that cannot be read, a failing glob, an unreadable main file.
Result<SshdConfig> evaluate_sshd_config(const SshdLoader& loader,
                                        std::string_view main_path = kSshdConfigPath);

// evaluate_sshd_config on the context's host: reads go through Host (a
// directory matched by an Include reads as an empty file, as sshd's fopen()
// does), and the evaluation's issues and an absent main file become warnings
// of the context's table. Shared by every table built on sshd's configuration.
Result<SshdConfig> evaluate_sshd_config_on_host(CollectContext& ctx);

// The compiled-in defaults of OpenSSH 9.2 used for unset keywords, as
// (keyword, value) pairs; an accumulating keyword may appear several times.
const std::vector<std::pair<std::string_view, std::string_view>>& sshd_defaults();

}  // namespace vigil::collectors
