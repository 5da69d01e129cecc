// Policy packs: YAML files of checks that judge facts with SQL, each mapped
// to ISO/IEC 27001 Annex A controls. This file parses and validates the
// structure; the engine validates the SQL against the fact tables.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "catalog.hpp"
#include "collector.hpp"
#include "result.hpp"

namespace vigil::agent {

enum class Severity { info, low, medium, high, critical };
const char* severity_name(Severity s) noexcept;

// What a check's query returning no rows means.
enum class OnEmpty { fail, pass, error };
const char* on_empty_name(OnEmpty o) noexcept;

struct Check {
  std::string id;
  std::string title;
  std::string description;
  Severity severity = Severity::medium;
  std::vector<std::string> controls_2022;
  std::vector<std::string> controls_2013;
  std::string applies_when;  // SQL; empty when the check always applies
  std::string applies_to;    // what applies_when looks for, in words ("hosts with sudo")
  std::string query;         // SQL with a `compliant` column
  OnEmpty on_empty = OnEmpty::fail;
  std::string remediation;
  int line = 0;  // where the check starts in its file (1-based)
};

// :scan_time, bound by the engine in every statement: the scan's start in
// Unix seconds, so every check of a scan judges ages against one instant
// (SQLite's 'now' is read per statement). A pack cannot define it.
inline constexpr std::string_view kScanTimeParameter = "scan_time";

struct PolicyPack {
  std::string id;
  std::string title;
  std::string version;
  std::string description;
  std::string source;  // file path, or "builtin:..." for the pack in the binary
  // Lowercase hex SHA-256 of the YAML text the pack was parsed from, so a
  // signed statement names exactly which text judged the host.
  std::string sha256;
  // Named SQL parameters (:name) with their values; lists become JSON arrays
  // (use them with json_each(:name)). kScanTimeParameter is not among them.
  std::map<std::string, collectors::Value> parameters;
  std::vector<Check> checks;
  std::vector<std::string> warnings;  // not fatal, shown by `policy lint`
};

// Parses one pack. Every problem found is reported in one error, one line
// each, in the form "<source>:<line>: check <id>: <reason>".
Result<PolicyPack> parse_policy(std::string_view yaml_text, const std::string& source,
                                const ControlCatalog& catalog = ControlCatalog::builtin());

// A pack as read, before parsing: a file's bytes, or a built-in pack by its
// name (text empty). The daemon keeps these for the policies it validated,
// so a scan parses what was validated, not what the files hold later.
struct PolicySource {
  std::string source;  // the file's path, or "builtin:NAME.yaml"
  std::string text;
};
// Lists and reads the files of paths as load_policy_paths does.
Result<std::vector<PolicySource>> read_policy_sources(const std::vector<std::string>& paths);
// Parses them; check ids must be unique across all packs.
Result<std::vector<PolicyPack>> parse_policy_sources(
    const std::vector<PolicySource>& sources, const ControlCatalog& catalog = ControlCatalog::builtin());

// Loads packs from files and directories (a directory contributes its *.yaml
// and *.yml files in name order) and built-in packs named "builtin:NAME"
// ("builtin:linux-filesystem"). Check ids must be unique across all packs.
Result<std::vector<PolicyPack>> load_policy_paths(const std::vector<std::string>& paths,
                                                  const ControlCatalog& catalog = ControlCatalog::builtin());

// The packs compiled into the binary: linux-baseline, the default of every
// scan, and linux-filesystem (the checks of the one whole-filesystem walk).
Result<PolicyPack> builtin_baseline();
Result<std::vector<PolicyPack>> builtin_packs();
// "builtin:linux-baseline" or "builtin:linux-baseline.yaml"; Errc::not_found otherwise.
Result<PolicyPack> builtin_pack(std::string_view name);

}  // namespace vigil::agent
