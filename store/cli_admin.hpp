// `vigil-store token ...` and `vigil-store host ...`: administration on the
// database directly (no server needed), audited with actor "cli".
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "config.hpp"
#include "result.hpp"

namespace vigil::store {

inline constexpr const char* kAdminHelp = R"(Usage:
  vigil-store token create [--role enroll|admin|analyst|auditor] [--name N]
                           [--expires 30m|24h|7d|RFC3339] [--uses N]
  vigil-store token list
  vigil-store token revoke TOKEN_ID
  vigil-store host list
  vigil-store host allow-rekey HOST_ID

Options (every command):
  --config FILE     the store's configuration (default /etc/vigil/store.yaml);
                    its database section names the database
  --database PATH   the SQLite database file, instead of --config
  --help            this text

token create prints the new token once, on standard output; only its SHA-256
is stored. --role defaults to enroll; an enrollment token expires after 24h
unless --expires says otherwise, and --uses limits how many hosts may enroll
with it. Every change is written to the audit log (GET /v1/audit).
)";

using ConfigLoader = std::function<Result<StoreConfig>(const std::string& path)>;

// args start at the subcommand ("token", "create", ...). Exit status 0 on
// success, 1 when the command failed (no such token), 2 on a usage error.
int run_admin(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
              const ConfigLoader& load_config);
// With load_store_config (store/config.cpp) as the loader.
int run_admin(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace vigil::store
