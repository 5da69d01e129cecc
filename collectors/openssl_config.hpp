// The system OpenSSL configuration as OpenSSL 3.0 (Debian 12's libssl3)
// loads it for a program that does not choose its own: the file reader of
// crypto/conf/conf_def.c (sections, values, $var expansion, quotes and
// escapes, line continuation, .include of files and directories, .pragma),
// then the module step of conf_mod.c and conf_ssl.c that decides which
// section's SSL_CONF commands every TLS context starts with
// (openssl_conf -> ssl_conf -> system_default). Pure functions over a loader,
// behind the `openssl_config` table.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace vigil::collectors {

// OPENSSLDIR "/openssl.cnf": Debian builds with OPENSSLDIR=/usr/lib/ssl,
// where openssl.cnf is a symlink to /etc/ssl/openssl.cnf.
inline constexpr std::string_view kOpensslConfPath = "/usr/lib/ssl/openssl.cnf";
// OpenSSL has no limit on includes (a loop ends when it runs out of file
// descriptors); these bound what a hostile tree can make a scan read.
inline constexpr int kOpensslMaxFiles = 1000;
inline constexpr std::size_t kOpensslMaxBytes = 16u * 1024u * 1024u;
// Nesting of .include (OpenSSL stops only when it runs out of descriptors).
inline constexpr std::size_t kOpensslMaxNesting = 64;
// conf_def.c MAX_CONF_VALUE_LENGTH: a longer expansion fails the load.
inline constexpr std::size_t kOpensslMaxValueLength = 65536;

enum class ConfPathKind { absent, regular, directory, other };

struct ConfPathInfo {
  ConfPathKind kind = ConfPathKind::absent;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
};

// stat() follows symlinks (Errc::not_found for a missing path); read returns
// the content of a regular file; list_dir the entry names, sorted.
struct OpensslConfLoader {
  std::function<Result<ConfPathInfo>(const std::string& path)> stat;
  std::function<Result<std::string>(const std::string& path)> read;
  std::function<Result<std::vector<std::string>>(const std::string& path)> list_dir;
};

struct ConfValue {
  std::string section;
  std::string name;   // as written (OpenSSL compares names case-sensitively)
  std::string value;  // after quotes, escapes and $variables
  std::string file;
  int line = 0;                // physical line where the logical line starts
  bool effective = false;      // the occurrence OpenSSL keeps: the last of its section and name
  bool env_dependent = false;  // expands $ENV::NAME, which each program takes from its environment
};

struct ConfIssue {
  std::string file;
  int line = 0;  // 0 when not about one line
  std::string message;
};

struct OpensslConf {
  bool main_file_found = true;
  // False when OpenSSL's loader fails (a syntax error, an undefined $var, a
  // bad .pragma...): the program then runs with no configuration at all.
  bool loaded = true;
  std::string load_error;             // "file:line: why" when !loaded
  std::vector<ConfValue> values;      // every occurrence, in reading order
  std::vector<std::string> sections;  // sections that exist, in order of creation ("default" first)
  std::vector<ConfIssue> issues;
  std::vector<std::string> files;  // files read, in order
};

// Reads main_path and what it includes. Errors (the configuration cannot be
// known): an unreadable main or included file (a fifo OpenSSL would block
// on, a device, too large, an I/O error) or the caps above. An absent main
// file is main_file_found = false. shown_as, when given, names the main file
// in values and issues (the path a symlink resolves to).
Result<OpensslConf> load_openssl_conf(const OpensslConfLoader& loader,
                                      std::string_view main_path = kOpensslConfPath,
                                      std::string_view shown_as = {});

// --- what applies to TLS contexts ---------------------------------------------

struct OpensslConfigRow {
  std::optional<std::string> section;  // nullopt for a compiled-in default
  std::string key;
  std::string value;
  std::string file;  // empty for a compiled-in default
  int line = 0;
  std::string role;
  std::optional<std::string> command;  // canonical SSL_CONF command the key names
  bool effective = false;
  bool in_force = false;
  bool is_default = false;
};

struct OpensslConfigReport {
  std::vector<OpensslConfigRow> rows;
  std::vector<ConfIssue> issues;
};

// The canonical name of an SSL_CONF file command in OpenSSL 3.0.19
// (ssl_conf.c, compared case-insensitively), or nullopt. *certificate is set
// for the commands only a program's own configuration may use (Certificate,
// VerifyCAFile...): the system default is applied without
// SSL_CONF_FLAG_CERTIFICATE, so OpenSSL ignores them there.
std::optional<std::string> ssl_conf_command(std::string_view key, bool* certificate = nullptr);

// The last @SECLEVEL=n of a cipher string (0-5), as ssl_cipher_process_rulestr() reads it.
std::optional<int> cipher_string_seclevel(std::string_view cipher_string);

// Runs the module step over a loaded configuration: roles, what is in force,
// and Debian 12's compiled-in defaults for what the file does not set.
OpensslConfigReport evaluate_openssl_config(const OpensslConf& conf);

}  // namespace vigil::collectors
