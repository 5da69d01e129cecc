// vigil-store's configuration: a YAML file (default /etc/vigil/store.yaml),
// unknown keys and bad values refused with file:line (docs/store-api.md,
// "Configuration"). Every field has a default except the TLS files.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "log.hpp"
#include "result.hpp"

namespace vigil::store {

inline constexpr const char* kDefaultConfigPath = "/etc/vigil/store.yaml";

struct TlsConfig {
  std::string certificate;          // PEM chain, leaf first
  std::string private_key;          // PEM
  std::string client_ca;            // optional: when set, agents must present a certificate from it (mTLS)
  std::string min_version = "1.2";  // "1.2" or "1.3"
};

struct DatabaseConfig {
  std::string backend = "sqlite";  // the only one built so far
  std::string path = "/var/lib/vigil-store/store.db";
  std::chrono::milliseconds busy_timeout{10000};
};

struct LimitsConfig {
  unsigned threads = 4;            // io_context pool
  unsigned max_connections = 512;  // more are answered 503 and closed
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 64u * 1024u * 1024u;           // as received
  std::size_t max_decoded_body_bytes = 256u * 1024u * 1024u;  // after gzip
  std::chrono::seconds request_timeout{30};                   // whole request, first byte to last
  std::chrono::seconds idle_timeout{60};                      // keep-alive between requests
  std::chrono::seconds handshake_timeout{10};
};

struct StoreConfig {
  std::string source;  // the file it was read from ("" for defaults)
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 8443;  // 0: any free port (tests; see --port-file)
  TlsConfig tls;
  DatabaseConfig database;
  LimitsConfig limits;
  log::Level log_level = log::Level::info;
};

// Parses the YAML text; `where` names the file in errors ("store.yaml:12: ...").
Result<StoreConfig> parse_store_config(std::string_view yaml, const std::string& where);
// Reads the file (1 MiB at most); relative paths in it (TLS files, the
// database) are taken relative to the file's directory.
Result<StoreConfig> load_store_config(const std::string& path);

}  // namespace vigil::store
