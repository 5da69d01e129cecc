// Local accounts from /etc/passwd, /etc/shadow and /etc/group: pure parsers
// (text in, entries out) used by the `users` and `groups` tables and by any
// collector that maps numeric ids to names with the host's own databases.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::collectors {

// A line the parser skipped the way glibc's files backend skips it, or kept
// the way glibc reads it although it is not well formed (a short passwd line,
// a uid written " 0"): glibc resolves such a line to an account, so hiding it
// would hide an account from policies. The message says which.
struct ParseIssue {
  int line = 0;
  std::string message;
};

struct PasswdEntry {
  std::string name;
  std::string password;  // the passwd field: "x" means "see shadow"
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string gecos;
  std::string home;
  std::string shell;
  int line = 0;  // 1-based line in the file
};

struct ShadowEntry {
  std::string name;
  std::string hash;
  std::optional<std::int64_t> last_change;  // days since 1970-01-01; 0 = must change
  std::optional<std::int64_t> min_days;
  std::optional<std::int64_t> max_days;
  std::optional<std::int64_t> warn_days;
  std::optional<std::int64_t> inactive_days;
  std::optional<std::int64_t> expire_date;  // days since 1970-01-01
  int line = 0;
};

struct GroupEntry {
  std::string name;
  std::string password;
  std::uint32_t gid = 0;
  std::vector<std::string> members;
  int line = 0;
};

std::vector<PasswdEntry> parse_passwd(std::string_view text, std::vector<ParseIssue>* issues = nullptr);
std::vector<ShadowEntry> parse_shadow(std::string_view text, std::vector<ParseIssue>* issues = nullptr);
std::vector<GroupEntry> parse_group(std::string_view text, std::vector<ParseIssue>* issues = nullptr);

// Classifies a password field: "empty" (no password needed), "locked" ('!'
// before a hash), "none" ('*', '!', '!!' or similar: no password can match),
// "hashed" (a crypt(3) hash).
std::string password_state(std::string_view field);
// crypt(3) scheme of a hash: "yescrypt", "sha512", "sha256", "md5", "bcrypt",
// "des", ... or "" when the field holds no hash. A leading '!' is ignored.
std::string hash_algorithm(std::string_view field);

// False for the shells that run one fixed program instead of a command
// interpreter (nologin, false, true, sync, shutdown, halt); true otherwise,
// including the empty field, which login(1) and sshd read as /bin/sh.
bool is_login_shell(std::string_view shell);

}  // namespace vigil::collectors
