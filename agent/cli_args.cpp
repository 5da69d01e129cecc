// Command-line helpers shared by the cache commands (see cli_args.hpp).
#include "cli_args.hpp"

#include <algorithm>
#include <ctime>

#include "cli.hpp"
#include "strings.hpp"

namespace vigil::agent {

std::optional<std::string> CliArgs::get(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> CliArgs::all(const std::string& name) const {
  std::vector<std::string> out;
  auto [lo, hi] = options.equal_range(name);
  for (auto it = lo; it != hi; ++it) out.push_back(it->second);
  return out;
}

Result<CliArgs> parse_cli_args(const std::vector<std::string>& argv, std::size_t first,
                               const std::vector<std::string>& value_options,
                               const std::vector<std::string>& flag_options) {
  CliArgs a;
  for (std::size_t i = first; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (s == "-h" || s == "--help") {
      a.help = true;
    } else if (s == "--") {
      a.positional.insert(a.positional.end(), argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
      break;
    } else if (s.size() > 2 && s.compare(0, 2, "--") == 0) {
      std::string name = s.substr(2), value;
      bool has_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      if (std::find(flag_options.begin(), flag_options.end(), name) != flag_options.end()) {
        if (has_value) return make_error(Errc::invalid, "option --" + name + " takes no value");
        a.options.emplace(name, std::string());
        continue;
      }
      if (std::find(value_options.begin(), value_options.end(), name) == value_options.end())
        return make_error(Errc::invalid, "unknown option --" + name);
      if (!has_value) {
        if (i + 1 >= argv.size()) return make_error(Errc::invalid, "option --" + name + " needs a value");
        value = argv[++i];
      }
      a.options.emplace(name, value);
    } else if (s.size() > 1 && s[0] == '-') {
      return make_error(Errc::invalid, "unknown option " + s);
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

int cli_usage_error(std::ostream& err, const std::string& msg, const char* help_cmd) {
  err << "vigil: " << terminal_safe(msg, true) << "\n";
  err << "Try 'vigil " << help_cmd << "--help'.\n";
  return kExitUsage;
}

namespace {

bool leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

std::optional<unsigned> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return v;
}

std::optional<std::int64_t> parse_iso(std::string_view s) {
  // YYYY-MM-DD
  auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  if (s.size() < 10 || !y || !mo || !d || s[4] != '-' || s[7] != '-') return std::nullopt;
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*mo < 1 || *mo > 12 || *d < 1) return std::nullopt;
  if (*d > kDays[*mo - 1] + (*mo == 2 && leap(*y) ? 1u : 0u)) return std::nullopt;
  std::int64_t ms = days_from_civil(*y, *mo, *d) * 86400000LL;
  if (s.size() == 10) return ms;
  // THH:MM:SS[.fff...]Z
  auto h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't') || !h || !mi || !sec || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  if (*h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  ms += (static_cast<std::int64_t>(*h) * 3600 + *mi * 60 + *sec) * 1000;
  std::size_t pos = 19;
  if (s[pos] == '.') {
    std::size_t start = ++pos;
    std::int64_t frac = 0, scale = 1;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 3) {
        frac = frac * 10 + (s[pos] - '0');
        scale *= 10;
      }
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
    ms += frac * 1000 / scale;
  }
  if (pos + 1 != s.size() || (s[pos] != 'Z' && s[pos] != 'z')) return std::nullopt;
  return ms;
}

}  // namespace

Result<std::int64_t> parse_cli_time(std::string_view text, std::int64_t now_ms) {
  const auto bad = [&] {
    return make_error(Errc::invalid, "'" + std::string(text) +
                                         "' is not a time: use ISO 8601 UTC (2026-12-01T00:00:00Z), a date "
                                         "(2026-12-01) or a time ago (90s, 30m, 24h, 7d, 2w)");
  };
  if (text.empty()) return bad();
  const char unit = text.back();
  static constexpr std::pair<char, std::int64_t> kUnits[] = {
      {'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}, {'w', 7 * 86400000LL}};
  for (const auto& [u, ms] : kUnits) {
    if (unit != u || text.size() < 2) continue;
    auto n = parse_int(text.substr(0, text.size() - 1));
    // At most a century back, so the arithmetic cannot overflow.
    if (!n || *n < 0 || text[0] == '+' || text[0] == '-' || *n > 36525LL * 86400000 / ms) return bad();
    return now_ms - *n * ms;
  }
  if (auto t = parse_iso(text)) return *t;
  return bad();
}

}  // namespace vigil::agent
