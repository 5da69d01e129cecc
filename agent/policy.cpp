// Policy pack parsing and structural validation (see policy.hpp).
#include "policy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include "crypto.hpp"
#include "embedded.hpp"
#include "strings.hpp"
#include "unique_fd.hpp"

namespace vigil::agent {

namespace {
constexpr std::string_view kBuiltinPrefix = "builtin:";
}  // namespace

namespace {

constexpr std::size_t kMaxPolicyBytes = 4u * 1024u * 1024u;

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  auto ok_first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!ok_first(id.front())) return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return ok_first(c) || c == '.' || c == '-' || c == '_'; });
}

bool valid_param_name(std::string_view n) {
  if (n.empty() || n.size() > 64 || !((n[0] >= 'a' && n[0] <= 'z') || n[0] == '_')) return false;
  return std::all_of(n.begin(), n.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// Collects problems with their position so a pack reports all of them at once.
class Problems {
 public:
  explicit Problems(std::string source) : source_(std::move(source)) {}
  void add(const YAML::Node& at, std::string_view check_id, const std::string& reason) {
    add_line(at.IsDefined() ? at.Mark().line + 1 : 0, check_id, reason);
  }
  void add_line(int line, std::string_view check_id, const std::string& reason) {
    std::string msg = source_;
    if (line > 0) msg += ":" + std::to_string(line);
    msg += ": ";
    if (!check_id.empty()) msg += "check " + std::string(check_id) + ": ";
    msg += reason;
    lines_.push_back(std::move(msg));
  }
  bool empty() const { return lines_.empty(); }
  std::string text() const { return join(lines_, "\n"); }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<std::string> lines_;
};

// A mapping's keys must be known and unique (yaml-cpp keeps duplicates silently).
void check_keys(const YAML::Node& map, const std::set<std::string>& allowed, std::string_view what,
                std::string_view check_id, Problems& problems) {
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      problems.add(kv.first, check_id, std::string(what) + ": keys must be plain strings");
      continue;
    }
    const std::string key = kv.first.Scalar();
    if (allowed.count(key) == 0) {
      std::string known;
      for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
      problems.add(kv.first, check_id,
                   "unknown key '" + key + "' in " + std::string(what) + " (known: " + known + ")");
    }
    if (!seen.insert(key).second)
      problems.add(kv.first, check_id, "duplicate key '" + key + "' in " + std::string(what));
  }
}

// A required or optional non-empty string scalar.
std::string scalar(const YAML::Node& map, const char* key, bool required, std::string_view check_id,
                   Problems& problems) {
  YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) {
    if (required) problems.add(map, check_id, std::string("missing required key '") + key + "'");
    return {};
  }
  if (!n.IsScalar()) {
    problems.add(n, check_id, std::string("'") + key + "' must be a string");
    return {};
  }
  std::string v = n.Scalar();
  if (required && trim(v).empty()) problems.add(n, check_id, std::string("'") + key + "' is empty");
  return v;
}

std::vector<std::string> string_list(const YAML::Node& n, const std::string& what, std::string_view check_id,
                                     Problems& problems) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (!item.IsScalar())
        problems.add(item, check_id, what + ": items must be strings");
      else
        out.push_back(item.Scalar());
    }
  } else {
    problems.add(n, check_id, what + ": must be a list of strings");
  }
  return out;
}

constexpr std::size_t kMaxParameterBytes = 1024 * 1024;

bool is_yaml_float(std::string_view s) {
  // YAML 1.2 core schema: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

// A plain (unquoted) scalar is typed as YAML 1.2's core schema says: SQL
// compares numbers and text differently (any integer sorts before any text),
// so a number that silently stayed text would turn `x <= :limit` into a pass.
std::optional<collectors::Value> typed_scalar(const YAML::Node& n, const std::string& what,
                                              Problems& problems) {
  if (n.IsNull()) {
    problems.add(n, "", what + " has no value (null); quote it if text is meant");
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return collectors::Value(s);  // quoted: text
  if (auto i = parse_int(s)) return collectors::Value(*i);
  if (s == "true" || s == "True" || s == "TRUE") return collectors::Value(std::int64_t{1});
  if (s == "false" || s == "False" || s == "FALSE") return collectors::Value(std::int64_t{0});
  bool all_digits = !s.empty();
  for (std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0; i < s.size(); ++i) {
    all_digits = all_digits && std::isdigit(static_cast<unsigned char>(s[i])) != 0;
  }
  if (all_digits) {
    problems.add(n, "", what + ": integer " + s + " is out of range");
    return std::nullopt;
  }
  if (is_yaml_float(s)) return collectors::Value(std::strtod(s.c_str(), nullptr));
  return collectors::Value(s);
}

void parse_parameters(const YAML::Node& node, PolicyPack& pack, Problems& problems) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    problems.add(node, "", "'parameters' must be a mapping of name to value");
    return;
  }
  std::size_t total_bytes = 0;
  for (const auto& kv : node) {
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    if (!valid_param_name(name)) {
      problems.add(kv.first, "", "parameter name '" + name + "' must match [a-z_][a-z0-9_]*");
      continue;
    }
    if (name == kScanTimeParameter) {
      problems.add(
          kv.first, "",
          "parameter name 'scan_time' is reserved: the engine binds the scan's start (Unix seconds)");
      continue;
    }
    if (pack.parameters.count(name) != 0) {
      problems.add(kv.first, "", "duplicate parameter '" + name + "'");
      continue;
    }
    const YAML::Node& v = kv.second;
    const std::string what = "parameter '" + name + "'";
    if (v.IsScalar() || v.IsNull()) {
      auto value = typed_scalar(v, what, problems);
      if (!value) continue;
      if (const auto* t = std::get_if<std::string>(&*value)) total_bytes += t->size();
      pack.parameters[name] = std::move(*value);
    } else if (v.IsSequence()) {
      boost::json::array arr;
      for (const auto& item : v) {
        if (!item.IsScalar()) {
          problems.add(item, "", what + ": list items must be scalars");
          continue;
        }
        auto sv = typed_scalar(item, what, problems);
        if (!sv) continue;
        if (const auto* i = std::get_if<std::int64_t>(&*sv))
          arr.emplace_back(*i);
        else if (const auto* d = std::get_if<double>(&*sv))
          arr.emplace_back(*d);
        else
          arr.emplace_back(std::get<std::string>(*sv));
        // Aliases can repeat one large anchored scalar many times: count as we go.
        total_bytes += item.Scalar().size() + 4;
        if (total_bytes > kMaxParameterBytes) break;
      }
      pack.parameters[name] = boost::json::serialize(arr);
    } else {
      problems.add(v, "", what + " must be a scalar or a list of scalars");
    }
    if (total_bytes > kMaxParameterBytes) {
      problems.add(v, "", "parameters: more than " + std::to_string(kMaxParameterBytes) + " bytes in all");
      return;
    }
  }
}

void parse_controls(const YAML::Node& node, Check& check, const ControlCatalog& catalog, PolicyPack& pack,
                    Problems& problems) {
  if (!node.IsDefined() || node.IsNull()) {
    problems.add_line(check.line, check.id, "missing required key 'controls'");
    return;
  }
  if (!node.IsMap()) {
    problems.add(node, check.id,
                 "'controls' must be a mapping with iso27001-2022 (and optionally iso27001-2013)");
    return;
  }
  check_keys(node, {"iso27001-2022", "iso27001-2013"}, "controls", check.id, problems);
  if (YAML::Node n = node["iso27001-2022"]; n.IsDefined()) {
    check.controls_2022 = string_list(n, "iso27001-2022", check.id, problems);
    for (const auto& c : check.controls_2022) {
      if (!catalog.has_2022(c))
        problems.add(n, check.id, "unknown ISO/IEC 27001:2022 Annex A control '" + c + "'");
    }
  }
  if (check.controls_2022.empty())
    problems.add(node, check.id, "controls: iso27001-2022 needs at least one control");
  if (YAML::Node n = node["iso27001-2013"]; n.IsDefined()) {
    check.controls_2013 = string_list(n, "iso27001-2013", check.id, problems);
    for (const auto& c : check.controls_2013) {
      if (!catalog.has_2013(c)) {
        problems.add(n, check.id, "unknown ISO/IEC 27001:2013 Annex A control '" + c + "'");
        continue;
      }
      // A 2013 id that does not lead to any of the check's 2022 controls is
      // probably a slip; it is legal, so it is a warning.
      auto mapped = catalog.map_2013(c);
      bool overlaps = std::any_of(mapped.begin(), mapped.end(), [&](const std::string& m) {
        return std::find(check.controls_2022.begin(), check.controls_2022.end(), m) !=
               check.controls_2022.end();
      });
      if (!overlaps) {
        pack.warnings.push_back(problems.source() + ":" + std::to_string(n.Mark().line + 1) + ": check " +
                                check.id + ": 2013 control " + c + " maps to " + join(mapped, ", ") +
                                ", none of which is among its 2022 controls");
      }
    }
  }
}

void parse_check(const YAML::Node& node, const ControlCatalog& catalog, PolicyPack& pack,
                 std::set<std::string>& ids, Problems& problems) {
  Check check;
  check.line = node.Mark().line + 1;
  if (!node.IsMap()) {
    problems.add(node, "", "each check must be a mapping");
    return;
  }
  check.id = scalar(node, "id", true, "", problems);
  if (!check.id.empty() && !valid_id(check.id)) {
    problems.add(node["id"], check.id, "id must be lower-case letters, digits, '.', '-' or '_'");
  }
  if (!check.id.empty() && !ids.insert(check.id).second)
    problems.add(node["id"], check.id, "duplicate check id");
  const std::string& cid = check.id;
  check_keys(node,
             {"id", "title", "description", "severity", "controls", "applies_when", "applies_to", "query",
              "on_empty", "remediation"},
             "check", cid, problems);
  check.title = scalar(node, "title", true, cid, problems);
  check.description = scalar(node, "description", false, cid, problems);
  check.remediation = scalar(node, "remediation", true, cid, problems);
  check.query = scalar(node, "query", true, cid, problems);
  check.applies_when = scalar(node, "applies_when", false, cid, problems);
  check.applies_to = scalar(node, "applies_to", false, cid, problems);
  if (!check.applies_to.empty() && check.applies_when.empty())
    problems.add(node["applies_to"], cid, "applies_to describes applies_when, which the check does not have");
  if (!check.applies_when.empty() && check.applies_to.empty())
    pack.warnings.push_back(problems.source() + ":" + std::to_string(check.line) + ": check " + cid +
                            ": applies_when without applies_to: a not_applicable verdict cannot say why");

  const std::string sev = scalar(node, "severity", true, cid, problems);
  static const std::map<std::string, Severity> kSeverities = {{"info", Severity::info},
                                                              {"low", Severity::low},
                                                              {"medium", Severity::medium},
                                                              {"high", Severity::high},
                                                              {"critical", Severity::critical}};
  if (auto it = kSeverities.find(sev); it != kSeverities.end()) {
    check.severity = it->second;
  } else if (!sev.empty()) {
    problems.add(node["severity"], cid,
                 "severity '" + sev + "' is not one of info, low, medium, high, critical");
  }

  const std::string on_empty = scalar(node, "on_empty", false, cid, problems);
  if (on_empty.empty() || on_empty == "fail")
    check.on_empty = OnEmpty::fail;
  else if (on_empty == "pass")
    check.on_empty = OnEmpty::pass;
  else if (on_empty == "error")
    check.on_empty = OnEmpty::error;
  else if (on_empty == "not_applicable") {
    problems.add(node["on_empty"], cid,
                 "on_empty cannot be not_applicable: use applies_when to say when a check applies");
  } else {
    problems.add(node["on_empty"], cid, "on_empty '" + on_empty + "' is not one of fail, pass, error");
  }

  parse_controls(node["controls"], check, catalog, pack, problems);
  pack.checks.push_back(std::move(check));
}

// Policy files come from the scanning machine, not the host root; they are
// still read with the same care: regular files only (a fifo would block),
// and never more than the cap, whatever the size said a moment before.
Result<std::string> read_policy_file(const std::filesystem::path& path) {
  const std::string shown = path.string();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return make_error(err == ENOENT ? Errc::not_found : Errc::io, shown + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return make_error(Errc::io, shown + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return make_error(Errc::not_regular, shown + ": not a regular file");
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(Errc::io, shown + ": " + std::strerror(errno));
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > kMaxPolicyBytes) {
      return make_error(Errc::too_large, shown + ": over the " + std::to_string(kMaxPolicyBytes) +
                                             " byte limit for a policy file");
    }
  }
  return data;
}

}  // namespace

const char* severity_name(Severity s) noexcept {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::low:
      return "low";
    case Severity::medium:
      return "medium";
    case Severity::high:
      return "high";
    case Severity::critical:
      return "critical";
  }
  return "medium";
}

const char* on_empty_name(OnEmpty o) noexcept {
  switch (o) {
    case OnEmpty::fail:
      return "fail";
    case OnEmpty::pass:
      return "pass";
    case OnEmpty::error:
      return "error";
  }
  return "fail";
}

Result<PolicyPack> parse_policy(std::string_view yaml_text, const std::string& source,
                                const ControlCatalog& catalog) {
  Problems problems(source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (!e.mark.is_null())
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    return make_error(Errc::parse, where + ": invalid YAML: " + e.msg);
  }
  PolicyPack pack;
  pack.source = source;
  pack.sha256 = crypto::sha256_hex(yaml_text);
  try {
    if (!root.IsMap()) return make_error(Errc::parse, source + ": a policy pack must be a YAML mapping");
    check_keys(root, {"id", "title", "version", "description", "parameters", "checks"}, "policy pack", "",
               problems);
    pack.id = scalar(root, "id", true, "", problems);
    if (!pack.id.empty() && !valid_id(pack.id)) {
      problems.add(root["id"], "", "pack id must be lower-case letters, digits, '.', '-' or '_'");
    }
    pack.title = scalar(root, "title", true, "", problems);
    pack.version = scalar(root, "version", true, "", problems);
    pack.description = scalar(root, "description", false, "", problems);
    parse_parameters(root["parameters"], pack, problems);
    YAML::Node checks = root["checks"];
    if (!checks.IsDefined() || !checks.IsSequence() || checks.size() == 0) {
      problems.add(checks.IsDefined() ? checks : root, "", "'checks' must be a non-empty list");
    } else {
      std::set<std::string> ids;
      for (const auto& c : checks) parse_check(c, catalog, pack, ids, problems);
    }
  } catch (const YAML::Exception& e) {
    problems.add_line(e.mark.is_null() ? 0 : e.mark.line + 1, "", e.msg);
  }
  if (!problems.empty()) return make_error(Errc::parse, problems.text());
  return pack;
}

Result<std::vector<PolicySource>> read_policy_sources(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;  // a "builtin:" entry stays as written
  for (const auto& p : paths) {
    std::error_code ec;
    if (p.rfind(kBuiltinPrefix, 0) == 0) {
      files.emplace_back(p);
    } else if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      // The error_code forms throughout: increment() may fail too.
      for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
        auto ext = it->path().extension().string();
        std::error_code type_ec;
        if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file(type_ec)) found.push_back(it->path());
      }
      if (ec) return make_error(Errc::io, p + ": " + ec.message());
      std::sort(found.begin(), found.end());
      if (found.empty())
        return make_error(Errc::not_found, p + ": no *.yaml or *.yml policy files in directory");
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      files.emplace_back(p);
    } else {
      return make_error(Errc::not_found, p + ": no such policy file or directory");
    }
  }
  std::vector<PolicySource> sources;
  std::vector<std::string> errors;
  for (const auto& f : files) {
    if (f.native().rfind(kBuiltinPrefix, 0) == 0) {
      sources.push_back({f.native(), {}});
    } else if (auto text = read_policy_file(f)) {
      sources.push_back({f.string(), std::move(*text)});
    } else {
      errors.push_back(text.error().message);
    }
  }
  if (!errors.empty()) return make_error(Errc::parse, join(errors, "\n"));
  return sources;
}

Result<std::vector<PolicyPack>> parse_policy_sources(const std::vector<PolicySource>& sources,
                                                     const ControlCatalog& catalog) {
  std::vector<PolicyPack> packs;
  std::vector<std::string> errors;
  std::map<std::string, std::string> owner;  // check id -> source
  for (const auto& src : sources) {
    Result<PolicyPack> pack = src.source.rfind(kBuiltinPrefix, 0) == 0 ? builtin_pack(src.source)
                                                                      : parse_policy(src.text, src.source, catalog);
    if (!pack) {
      errors.push_back(pack.error().message);
      continue;
    }
    for (const auto& c : pack->checks) {
      auto [it, inserted] = owner.emplace(c.id, pack->source);
      if (!inserted) {
        errors.push_back(pack->source + ":" + std::to_string(c.line) + ": check " + c.id +
                         ": duplicate check id (also in " + it->second + ")");
      }
    }
    packs.push_back(std::move(*pack));
  }
  if (!errors.empty()) return make_error(Errc::parse, join(errors, "\n"));
  return packs;
}

Result<std::vector<PolicyPack>> load_policy_paths(const std::vector<std::string>& paths,
                                                  const ControlCatalog& catalog) {
  auto sources = read_policy_sources(paths);
  if (!sources) return std::move(sources).error();
  return parse_policy_sources(*sources, catalog);
}

namespace {

struct BuiltinPack {
  std::string_view source;  // "builtin:linux-baseline.yaml"
  const std::string_view* text;
};
constexpr BuiltinPack kBuiltinPacks[] = {
    {embedded::kBaselinePolicyName, &embedded::baseline_policy},
    {embedded::kFilesystemPolicyName, &embedded::filesystem_policy},
};

}  // namespace

Result<PolicyPack> builtin_pack(std::string_view name) {
  std::vector<std::string> known;
  for (const auto& b : kBuiltinPacks) {
    const std::string_view without_ext = b.source.substr(0, b.source.size() - 5);  // ".yaml"
    if (name == b.source || name == without_ext) return parse_policy(*b.text, std::string(b.source));
    known.emplace_back(without_ext);
  }
  return make_error(Errc::not_found, std::string(name) + ": no such built-in policy pack (built in: " +
                                         join(known, ", ") + ")");
}

Result<PolicyPack> builtin_baseline() {
  return builtin_pack(embedded::kBaselinePolicyName);
}

Result<std::vector<PolicyPack>> builtin_packs() {
  std::vector<std::string> sources;
  for (const auto& b : kBuiltinPacks) sources.emplace_back(b.source);
  return load_policy_paths(sources);
}

}  // namespace vigil::agent
