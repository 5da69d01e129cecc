// The daemon's configuration, /etc/vigil/vigil.yaml (docs/configuration.md):
// read strictly, every default in one place. `vigil run` loads it at start
// and on SIGHUP; a bad file is refused with FILE:LINE: KEY: reason.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cache.hpp"
#include "http_client.hpp"
#include "log.hpp"
#include "result.hpp"

namespace vigil::agent {

inline constexpr const char* kDefaultConfigPath = "/etc/vigil/vigil.yaml";
inline constexpr std::size_t kMaxConfigBytes = 1024u * 1024u;

struct ScheduleConfig {
  std::string name;
  std::vector<std::string> policies;  // files, directories, builtin:NAME (absolute or builtin)
  std::chrono::seconds interval{3600};
  std::chrono::seconds splay{0};
};

struct StoreShipConfig {
  bool ship = true;
  std::chrono::seconds interval{300};
  std::string url;  // empty: the enrolled one
  TlsOptions tls;   // each empty field: the enrolled one
  std::size_t batch_count = 100;
  std::size_t batch_bytes = 8u * 1024 * 1024;
  std::chrono::seconds timeout{120};
};

struct DaemonConfig {
  std::string source;  // the file it came from; "" for the built-in defaults
  std::string root = "/";
  std::string state_dir = kDefaultStateDir;
  log::Level log_level = log::Level::info;
  std::map<std::string, std::string> scope;
  std::vector<ScheduleConfig> schedules;  // never empty once parsed
  std::size_t evidence_rows = 100;
  std::chrono::seconds check_timeout{10};
  std::chrono::nanoseconds collector_budget{std::chrono::seconds(30)};  // ScanOptions::collector_budget
  std::chrono::seconds quarantine{6 * 3600};
  RetentionPolicy retention;
  StoreShipConfig store;
};

// How `vigil run` was asked to start.
struct DaemonOptions {
  std::string config_path = kDefaultConfigPath;
  bool config_given = false;  // --config: the file must exist (else a missing default file means defaults)
  std::string vigil_program;  // the `vigil` that runs the daemon's jobs (an absolute path)
};

// The built-in schedules (docs/configuration.md) and defaults.
DaemonConfig default_daemon_config();

// Parses the YAML text; `where` names the file in errors. Relative paths
// are taken relative to base_dir.
Result<DaemonConfig> parse_daemon_config(std::string_view yaml, const std::string& where,
                                         const std::string& base_dir);
// The text of the file at path as its configuration (relative paths are
// taken from the file's directory); an empty path: the built-in defaults.
Result<DaemonConfig> daemon_config_from_text(const std::string& path, std::string_view text);
// Reads the file (1 MiB at most). Errc::not_found when it does not exist.
Result<DaemonConfig> load_daemon_config(const std::string& path);

// A configuration with the text it was parsed from ("" for the defaults):
// the daemon hands the text to each job, which parses the same.
struct DaemonConfigFile {
  DaemonConfig config;
  std::string text;
};
Result<DaemonConfigFile> read_daemon_config_file(const std::string& path);
// opts.config_path; when it does not exist and was not named with
// --config, the built-in defaults.
Result<DaemonConfigFile> load_daemon_config_or_defaults(const DaemonOptions& opts);

}  // namespace vigil::agent
