// Command-line helpers for the commands outside cli.cpp (history, status,
// drift): options, usage errors, and the TIME values of --since/--from/--to.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"
#include "text_format.hpp"  // format_utc

namespace vigil::agent {

// "--name value", "--name=value", -h/--help, positionals; only the names in
// value_options are accepted (each takes a value).
struct CliArgs {
  std::multimap<std::string, std::string> options;
  std::vector<std::string> positional;
  bool help = false;

  std::optional<std::string> get(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;  // every value of a repeatable option
  bool has(const std::string& name) const { return options.count(name) > 0; }
};
// flag_options take no value ("--no-record"); they are kept with an empty value.
Result<CliArgs> parse_cli_args(const std::vector<std::string>& argv, std::size_t first,
                               const std::vector<std::string>& value_options,
                               const std::vector<std::string>& flag_options = {});

// Prints "vigil: MSG" and "Try 'vigil CMD--help'." and returns kExitUsage.
int cli_usage_error(std::ostream& err, const std::string& msg, const char* help_cmd);

// A point in time for the command line, in Unix milliseconds: ISO 8601 UTC
// ("2026-12-01T00:00:00Z", with optional fractional seconds, or a date
// "2026-12-01" meaning its midnight UTC), or a time before now_ms ("90s",
// "30m", "24h", "7d", "2w"). Anything else is Errc::invalid naming the value.
Result<std::int64_t> parse_cli_time(std::string_view text, std::int64_t now_ms);

}  // namespace vigil::agent
