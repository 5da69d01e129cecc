// agent/text_format.hpp: times and JSON as the agent writes them for people.
#include "text_format.hpp"

#include <boost/json.hpp>
#include <ctime>

namespace vigil::agent {

namespace json = boost::json;

namespace {

void pretty(const json::value& v, std::string& out, int indent) {
  const std::string ind(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    std::size_t i = 0;
    for (const auto& kv : o) {
      out += ind + "  " + json::serialize(json::string(kv.key())) + ": ";
      pretty(kv.value(), out, indent + 2);
      out += (++i < o.size()) ? ",\n" : "\n";
    }
    out += ind + "}";
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < a.size(); ++i) {
      out += ind + "  ";
      pretty(a[i], out, indent + 2);
      out += (i + 1 < a.size()) ? ",\n" : "\n";
    }
    out += ind + "]";
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string pretty_json(const json::value& v) {
  std::string out;
  pretty(v, out, 0);
  out += "\n";
  return out;
}

std::string format_utc(std::int64_t unix_ms) {
  std::int64_t secs = unix_ms / 1000 - (unix_ms % 1000 < 0 ? 1 : 0);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_ms) + "ms";
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace vigil::agent
