// lib/log.hpp: one line per event on stderr, built in memory and written
// with one write(2) so that lines from several threads never interleave.
#include "log.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>

namespace vigil::log {
namespace {

std::atomic<Level> g_min_level{Level::info};
std::atomic<bool> g_syslog{false};
std::mutex g_program_mu;  // guards g_program only; the write itself needs no lock
std::string g_program = "vigil";

// Control characters would split a line in the journal or fake a new one.
bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

void append_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out += v;
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

const char* syslog_prefix(Level l) noexcept {
  switch (l) {
    case Level::debug:
      return "<7>";
    case Level::info:
      return "<6>";
    case Level::warning:
      return "<4>";
    case Level::error:
      return "<3>";
  }
  return "<6>";
}

void write_all(std::string_view s) noexcept {
  // One write(2) for the line; a short write (a full pipe) continues, EINTR retries.
  while (!s.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a failure to log
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

Result<Level> parse_level(std::string_view s) {
  if (s == "debug") return Level::debug;
  if (s == "info") return Level::info;
  if (s == "warning") return Level::warning;
  if (s == "error") return Level::error;
  return make_error(Errc::invalid,
                    "unknown log level '" + std::string(s) + "' (one of debug, info, warning, error)");
}

const char* level_name(Level l) noexcept {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warning:
      return "warning";
    case Level::error:
      return "error";
  }
  return "info";
}

void init(const Options& opts) {
  {
    std::lock_guard lock(g_program_mu);
    g_program = opts.program;
  }
  g_min_level.store(opts.min_level);
  const char* js = std::getenv("JOURNAL_STREAM");
  g_syslog.store(opts.syslog_prefixes || (js != nullptr && *js != '\0'));
}

void set_level(Level l) {
  g_min_level.store(l);
}

bool enabled(Level l) noexcept {
  return static_cast<int>(l) >= static_cast<int>(g_min_level.load());
}

std::string format_line(Level l, std::string_view program, bool syslog_prefixes, std::string_view event,
                        std::initializer_list<Field> fields) {
  std::string out;
  out.reserve(64 + event.size());
  if (syslog_prefixes) {
    // journald keeps the priority; the level word would only repeat it.
    out += syslog_prefix(l);
    out += program;
    out += ": ";
  } else {
    out += program;
    out += ": ";
    out += level_name(l);
    out += ": ";
  }
  out += "event=";
  append_value(out, event);
  for (const auto& [k, v] : fields) {
    out += ' ';
    out += k;
    out += '=';
    append_value(out, v);
  }
  return out;
}

void write(Level l, std::string_view event, std::initializer_list<Field> fields) {
  if (!enabled(l)) return;
  std::string program;
  {
    std::lock_guard lock(g_program_mu);
    program = g_program;
  }
  std::string line = format_line(l, program, g_syslog.load(), event, fields);
  line += '\n';
  write_all(line);
}

}  // namespace vigil::log
