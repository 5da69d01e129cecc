// Times and JSON as the agent writes them for people; shared by the CLI,
// the reports and the daemon (which links nothing else of the agent).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>

namespace vigil::agent {

// "2026-12-01T10:00:00Z" (seconds; the milliseconds are dropped).
std::string format_utc(std::int64_t unix_ms);

// Pretty-printed JSON (two-space indent) with a final newline.
std::string pretty_json(const boost::json::value& v);

}  // namespace vigil::agent
