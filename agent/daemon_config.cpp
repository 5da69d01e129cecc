// agent/daemon_config.hpp: vigil.yaml, read strictly (docs/configuration.md).
#include "daemon_config.hpp"

#include <algorithm>
#include <set>

#include "file_io.hpp"
#include "yaml_reader.hpp"

namespace vigil::agent {
namespace {

constexpr std::uint64_t kMaxInterval = 30ull * 24 * 3600;

bool name_char(char c, bool dot_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || (dot_ok && c == '.');
}

bool valid_name(std::string_view s, bool dot_ok) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return name_char(c, dot_ok); });
}

class ConfigParser {
 public:
  ConfigParser(const std::string& where, std::string base_dir) : p_(where), base_(std::move(base_dir)) {}

  Result<DaemonConfig> parse(const YAML::Node& root) {
    DaemonConfig c = default_daemon_config();
    c.source = p_.where();
    if (!root || root.IsNull()) return c;
    bool schedules_given = false;
    Status st = p_.each(root, "", [&](const std::string& key, const YAML::Node& v) -> Status {
      if (key == "root") return absolute_dir(v, key, c.root);
      if (key == "state_dir") return absolute_dir(v, key, c.state_dir);
      if (key == "log") return p_.log_section(v, c.log_level);
      if (key == "scope") return parse_scope(v, c);
      if (key == "schedules") {
        schedules_given = true;
        return parse_schedules(v, c);
      }
      if (key == "scan") return parse_scan(v, c);
      if (key == "budgets") return parse_budgets(v, c);
      if (key == "retention") return parse_retention(v, c);
      if (key == "store") return parse_store(v, c.store);
      return p_.unknown(v, key);
    });
    if (!st.ok()) return st.error();
    if (schedules_given && c.schedules.empty())
      return p_.fail(root["schedules"], "schedules", "at least one schedule is needed");
    return c;
  }

 private:
  Status absolute_dir(const YAML::Node& v, const std::string& key, std::string& out) {
    auto s = p_.text(v, key);
    if (!s) return s.error();
    if (s->empty() || s->front() != '/') return p_.fail(v, key, "'" + *s + "' is not an absolute path");
    out = *s;
    return {};
  }

  std::string resolve(const std::string& path) const {
    if (path.empty() || path.front() == '/' || path.rfind("builtin:", 0) == 0) return path;
    return (base_ == "/" ? "" : base_) + "/" + path;
  }

  Status seconds(const YAML::Node& v, const std::string& key, std::chrono::seconds& out, std::uint64_t min,
                 std::uint64_t max) {
    auto i = p_.integer(v, key, min, max);
    if (!i) return i.error();
    out = std::chrono::seconds(static_cast<std::int64_t>(*i));
    return {};
  }

  Status parse_scope(const YAML::Node& n, DaemonConfig& c) {
    return p_.each(n, "scope", [&](const std::string& key, const YAML::Node& v) -> Status {
      const std::string name = key.substr(std::string("scope.").size());
      if (!valid_name(name, true))
        return p_.fail(v, key, "a scope tag name is 1 to 64 letters, digits, '_', '-' or '.'");
      auto s = p_.text(v, key);
      if (!s) return s.error();
      if (s->empty() || s->size() > 256) return p_.fail(v, key, "a scope tag value is 1 to 256 characters");
      c.scope[name] = *s;
      return {};
    });
  }

  Status parse_schedules(const YAML::Node& n, DaemonConfig& c) {
    c.schedules.clear();
    std::set<std::string> names;
    return p_.items(n, "schedules", [&](const std::string& at, const YAML::Node& item) -> Status {
      ScheduleConfig s;
      bool have_name = false, have_policies = false, have_interval = false;
      Status st = p_.each(item, at, [&](const std::string& key, const YAML::Node& v) -> Status {
        const std::string field = key.substr(at.size() + 1);
        if (field == "name") {
          auto t = p_.text(v, key);
          if (!t) return t.error();
          if (!valid_name(*t, false))
            return p_.fail(v, key, "'" + *t + "': a name is 1 to 64 letters, digits, '_' or '-'");
          if (!names.insert(*t).second) return p_.fail(v, key, "a schedule named '" + *t + "' already exists");
          s.name = *t;
          have_name = true;
          return {};
        }
        if (field == "policies") {
          have_policies = true;
          return p_.items(v, key, [&](const std::string& pk, const YAML::Node& pv) -> Status {
            auto t = p_.text(pv, pk);
            if (!t) return t.error();
            if (t->empty()) return p_.fail(pv, pk, "empty path");
            s.policies.push_back(resolve(*t));
            return {};
          });
        }
        if (field == "interval_seconds") {
          have_interval = true;
          return seconds(v, key, s.interval, 60, kMaxInterval);
        }
        if (field == "splay_seconds") return seconds(v, key, s.splay, 0, kMaxInterval);
        return p_.unknown(v, key);
      });
      if (!st.ok()) return st;
      if (!have_name) return p_.fail(item, at + ".name", "required");
      if (!have_policies || s.policies.empty())
        return p_.fail(item, at + ".policies", "required: a list of at least one policy pack");
      if (!have_interval) return p_.fail(item, at + ".interval_seconds", "required");
      if (s.splay > s.interval) return p_.fail(item, at + ".splay_seconds", "larger than interval_seconds");
      c.schedules.push_back(std::move(s));
      return {};
    });
  }

  Status parse_scan(const YAML::Node& n, DaemonConfig& c) {
    return p_.each(n, "scan", [&](const std::string& key, const YAML::Node& v) -> Status {
      if (key == "scan.evidence_rows") {
        auto i = p_.integer(v, key, 0, 1000000);
        if (!i) return i.error();
        c.evidence_rows = static_cast<std::size_t>(*i);
        return {};
      }
      if (key == "scan.check_timeout_seconds") return seconds(v, key, c.check_timeout, 1, 3600);
      return p_.unknown(v, key);
    });
  }

  Status parse_budgets(const YAML::Node& n, DaemonConfig& c) {
    return p_.each(n, "budgets", [&](const std::string& key, const YAML::Node& v) -> Status {
      if (key == "budgets.collector_seconds") {
        std::chrono::seconds budget{};
        if (Status st = seconds(v, key, budget, 1, 3600); !st.ok()) return st;
        c.collector_budget = budget;
        return {};
      }
      if (key == "budgets.quarantine_seconds") return seconds(v, key, c.quarantine, 60, kMaxInterval);
      return p_.unknown(v, key);
    });
  }

  Status parse_retention(const YAML::Node& n, DaemonConfig& c) {
    return p_.each(n, "retention", [&](const std::string& key, const YAML::Node& v) -> Status {
      auto i = p_.integer(v, key, 0, 1000000);
      if (!i) return i.error();
      const auto value = static_cast<std::int64_t>(*i);
      if (key == "retention.keep_days")
        c.retention.max_age_days = value;
      else if (key == "retention.keep_mib")
        c.retention.max_bytes = value * 1024 * 1024;
      else if (key == "retention.keep_scans")
        c.retention.max_scans = value;
      else
        return p_.unknown(v, key);
      return {};
    });
  }

  Status parse_store(const YAML::Node& n, StoreShipConfig& s) {
    return p_.each(n, "store", [&](const std::string& key, const YAML::Node& v) -> Status {
      auto path = [&](std::string& out) -> Status {
        auto t = p_.text(v, key);
        if (!t) return t.error();
        if (t->empty()) return p_.fail(v, key, "empty path");
        out = resolve(*t);
        return {};
      };
      if (key == "store.ship") {
        auto b = p_.boolean(v, key);
        if (!b) return b.error();
        s.ship = *b;
        return {};
      }
      if (key == "store.interval_seconds") return seconds(v, key, s.interval, 10, 86400);
      if (key == "store.timeout_seconds") return seconds(v, key, s.timeout, 1, 3600);
      if (key == "store.url") {
        auto t = p_.text(v, key);
        if (!t) return t.error();
        if (auto u = split_store_url(*t); !u) return p_.fail(v, key, u.error().message);
        s.url = *t;
        return {};
      }
      if (key == "store.ca_file") return path(s.tls.ca_file);
      if (key == "store.client_cert") return path(s.tls.client_cert);
      if (key == "store.client_key") return path(s.tls.client_key);
      if (key == "store.pin") {
        auto t = p_.text(v, key);
        if (!t) return t.error();
        if (t->rfind("sha256//", 0) != 0 || t->size() <= 8)
          return p_.fail(v, key, "a pin is sha256//BASE64 (several joined by ';')");
        s.tls.pinned_public_key = *t;
        return {};
      }
      if (key == "store.batch_count") {
        auto i = p_.integer(v, key, 1, 1000);
        if (!i) return i.error();
        s.batch_count = static_cast<std::size_t>(*i);
        return {};
      }
      if (key == "store.batch_bytes") {
        auto i = p_.integer(v, key, 1024, 64u * 1024 * 1024);
        if (!i) return i.error();
        s.batch_bytes = static_cast<std::size_t>(*i);
        return {};
      }
      return p_.unknown(v, key);
    });
  }

  YamlReader p_;
  std::string base_;
};

}  // namespace

DaemonConfig default_daemon_config() {
  DaemonConfig c;
  c.schedules.push_back({"baseline", {"builtin:linux-baseline"}, std::chrono::seconds(3600), std::chrono::seconds(600)});
  c.schedules.push_back(
      {"filesystem", {"builtin:linux-filesystem"}, std::chrono::seconds(86400), std::chrono::seconds(3600)});
  return c;
}

Result<DaemonConfig> parse_daemon_config(std::string_view yaml, const std::string& where,
                                         const std::string& base_dir) {
  auto root = load_yaml(std::string(yaml), where);
  if (!root) return root.error();
  try {
    return ConfigParser(where, base_dir).parse(*root);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    return make_error(Errc::parse, where + ":" + std::to_string(line) + ": " + e.msg);
  }
}

Result<DaemonConfig> daemon_config_from_text(const std::string& path, std::string_view text) {
  if (path.empty()) return default_daemon_config();
  return parse_daemon_config(text, path, parent_directory(path));
}

Result<DaemonConfig> load_daemon_config(const std::string& path) {
  auto file = read_daemon_config_file(path);
  if (!file) return file.error();
  return std::move(file->config);
}

Result<DaemonConfigFile> read_daemon_config_file(const std::string& path) {
  ReadOptions opts;
  opts.max_bytes = kMaxConfigBytes;
  auto text = read_file(path, opts);
  if (!text) return text.error();
  auto config = daemon_config_from_text(path, *text);
  if (!config) return config.error();
  return DaemonConfigFile{std::move(*config), std::move(*text)};
}

Result<DaemonConfigFile> load_daemon_config_or_defaults(const DaemonOptions& opts) {
  auto file = read_daemon_config_file(opts.config_path);
  if (!file && file.is(Errc::not_found) && !opts.config_given) return DaemonConfigFile{default_daemon_config(), ""};
  return file;
}

}  // namespace vigil::agent
