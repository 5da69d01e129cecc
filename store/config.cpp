// store/config.hpp: the YAML configuration, read strictly. Every key is
// known; an unknown one is a typo that would otherwise leave a default in
// place silently, so it is refused with its file and line.
#include "config.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <optional>

#include "file_io.hpp"
#include "yaml_reader.hpp"

namespace vigil::store {
namespace {

// A configuration file is a few hundred bytes; a megabyte is a mistake.
constexpr std::size_t kMaxConfigBytes = 1024u * 1024u;

using Parser = YamlReader;

Status parse_listen(const Parser& p, const YAML::Node& n, StoreConfig& c) {
  auto s = p.text(n, "listen");
  if (!s) return s.error();
  const std::string& v = *s;
  std::string host, port;
  if (!v.empty() && v.front() == '[') {
    const auto close = v.find(']');
    if (close == std::string::npos || close + 1 >= v.size() || v[close + 1] != ':')
      return p.fail(n, "listen", "'" + v + "' is not [IPv6]:PORT");
    host = v.substr(1, close - 1);
    port = v.substr(close + 2);
    in6_addr a6{};
    if (::inet_pton(AF_INET6, host.c_str(), &a6) != 1)
      return p.fail(n, "listen", "'" + host + "' is not an IPv6 address");
  } else {
    const auto colon = v.rfind(':');
    if (colon == std::string::npos) return p.fail(n, "listen", "'" + v + "' is not ADDRESS:PORT");
    host = v.substr(0, colon);
    port = v.substr(colon + 1);
    in_addr a4{};
    if (::inet_pton(AF_INET, host.c_str(), &a4) != 1)
      return p.fail(n, "listen", "'" + host + "' is not an IPv4 address (IPv6 goes in brackets: [::1]:8443)");
  }
  std::uint32_t pv = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), pv);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || pv > 65535)
    return p.fail(n, "listen", "'" + port + "' is not a port (0..65535)");
  c.listen_address = host;
  c.listen_port = static_cast<std::uint16_t>(pv);
  return {};
}

Status parse_tls(const Parser& p, const YAML::Node& n, TlsConfig& t) {
  return p.each(n, "tls", [&](const std::string& key, const YAML::Node& v) -> Status {
    std::string* target = nullptr;
    if (key == "tls.certificate")
      target = &t.certificate;
    else if (key == "tls.private_key")
      target = &t.private_key;
    else if (key == "tls.client_ca")
      target = &t.client_ca;
    else if (key != "tls.min_version")
      return p.unknown(v, key);
    auto s = p.text(v, key);
    if (!s) return s.error();
    if (target == nullptr) {
      if (*s != "1.2" && *s != "1.3") return p.fail(v, key, "'" + *s + "' is not 1.2 or 1.3");
      t.min_version = *s;
      return {};
    }
    if (s->empty()) return p.fail(v, key, "empty path");
    *target = *s;
    return {};
  });
}

Status parse_database(const Parser& p, const YAML::Node& n, DatabaseConfig& d) {
  return p.each(n, "database", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key == "database.backend") {
      auto s = p.text(v, key);
      if (!s) return s.error();
      if (*s != "sqlite") return p.fail(v, key, "'" + *s + "' is not a backend (only sqlite is built)");
      d.backend = *s;
    } else if (key == "database.path") {
      auto s = p.text(v, key);
      if (!s) return s.error();
      if (s->empty()) return p.fail(v, key, "empty path");
      d.path = *s;
    } else if (key == "database.busy_timeout_ms") {
      auto i = p.integer(v, key, 0, 600000);
      if (!i) return i.error();
      d.busy_timeout = std::chrono::milliseconds(*i);
    } else {
      return p.unknown(v, key);
    }
    return {};
  });
}

Status parse_limits(const Parser& p, const YAML::Node& n, LimitsConfig& l) {
  constexpr std::uint64_t kGiB = 1024u * 1024u * 1024u;
  return p.each(n, "limits", [&](const std::string& key, const YAML::Node& v) -> Status {
    auto count = [&](unsigned& out, std::uint64_t max) -> Status {
      auto i = p.integer(v, key, 1, max);
      if (!i) return i.error();
      out = static_cast<unsigned>(*i);
      return {};
    };
    auto bytes = [&](std::size_t& out, std::uint64_t min, std::uint64_t max) -> Status {
      auto i = p.integer(v, key, min, max);
      if (!i) return i.error();
      out = static_cast<std::size_t>(*i);
      return {};
    };
    auto seconds = [&](std::chrono::seconds& out) -> Status {
      auto i = p.integer(v, key, 1, 3600);
      if (!i) return i.error();
      out = std::chrono::seconds(static_cast<std::int64_t>(*i));
      return {};
    };
    if (key == "limits.threads") return count(l.threads, 256);
    if (key == "limits.max_connections") return count(l.max_connections, 100000);
    if (key == "limits.max_header_bytes") return bytes(l.max_header_bytes, 1024, 1024 * 1024);
    if (key == "limits.max_body_bytes") return bytes(l.max_body_bytes, 1, 4 * kGiB);
    if (key == "limits.max_decoded_body_bytes") return bytes(l.max_decoded_body_bytes, 1, 4 * kGiB);
    if (key == "limits.request_timeout_seconds") return seconds(l.request_timeout);
    if (key == "limits.idle_timeout_seconds") return seconds(l.idle_timeout);
    if (key == "limits.handshake_timeout_seconds") return seconds(l.handshake_timeout);
    return p.unknown(v, key);
  });
}

Result<StoreConfig> parse_node(const YAML::Node& root, const std::string& where) {
  Parser p(where);
  StoreConfig c;
  c.source = where;
  std::optional<YAML::Node> tls_node;  // where a missing TLS file is reported
  Status st = p.each(root, "", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key == "listen") return parse_listen(p, v, c);
    if (key == "tls") {
      tls_node.emplace(v);
      return parse_tls(p, v, c.tls);
    }
    if (key == "database") return parse_database(p, v, c.database);
    if (key == "limits") return parse_limits(p, v, c.limits);
    if (key == "log") return p.log_section(v, c.log_level);
    return p.unknown(v, key);
  });
  if (!st.ok()) return st.error();
  const YAML::Node& at = tls_node ? *tls_node : root;
  if (c.tls.certificate.empty()) return p.fail(at, "tls.certificate", "required (PEM certificate chain)");
  if (c.tls.private_key.empty()) return p.fail(at, "tls.private_key", "required (PEM private key)");
  if (c.limits.max_decoded_body_bytes < c.limits.max_body_bytes)
    return make_error(Errc::invalid, where + ": limits.max_decoded_body_bytes: smaller than max_body_bytes");
  return c;
}

}  // namespace

Result<StoreConfig> parse_store_config(std::string_view yaml, const std::string& where) {
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (!root || root.IsNull())
      return make_error(Errc::invalid, where + ":1: tls.certificate: required (the file is empty)");
    return parse_node(root, where);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    return make_error(Errc::parse, where + ":" + std::to_string(line) + ": " + e.msg);
  }
}

Result<StoreConfig> load_store_config(const std::string& path) {
  ReadOptions opts;
  opts.max_bytes = kMaxConfigBytes;
  auto text = read_file(path, opts);
  if (!text) return text.error();
  auto config = parse_store_config(*text, path);
  if (!config) return config;
  // Relative file names are the config file's neighbours, not whatever
  // directory the store was started in (systemd starts it in /).
  const std::string dir = parent_directory(path);
  for (std::string* p :
       {&config->tls.certificate, &config->tls.private_key, &config->tls.client_ca, &config->database.path})
    if (!p->empty() && p->front() != '/') *p = (dir == "/" ? "" : dir) + "/" + *p;
  return config;
}

}  // namespace vigil::store
