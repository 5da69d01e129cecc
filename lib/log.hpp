// Logging for both programs: one line per event on stderr,
//   <6>vigil-store: event=ingest host=h-1 accepted=3
// with the syslog priority prefix journald reads (<3> error, <4> warning,
// <6> info, <7> debug) when stderr goes to the journal (JOURNAL_STREAM set)
// or when asked, else "warning: ..." style level words. key=value fields;
// values with spaces or quotes are quoted. Never log secrets or file contents.
// Thread-safe: a line is written with one write(2).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "result.hpp"

namespace vigil::log {

enum class Level { debug, info, warning, error };

Result<Level> parse_level(std::string_view s);  // "debug", "info", "warning", "error"
const char* level_name(Level l) noexcept;

struct Options {
  std::string program = "vigil";
  Level min_level = Level::info;
  bool syslog_prefixes = false;  // init() sets it from JOURNAL_STREAM
};

// Once at start (and on reload); before it, defaults apply.
void init(const Options& opts);
void set_level(Level l);
bool enabled(Level l) noexcept;

using Field = std::pair<std::string_view, std::string>;
void write(Level l, std::string_view event, std::initializer_list<Field> fields = {});

// The formatted line without the newline (for tests).
std::string format_line(Level l, std::string_view program, bool syslog_prefixes, std::string_view event,
                        std::initializer_list<Field> fields);

}  // namespace vigil::log
