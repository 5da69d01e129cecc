// store/config: vigil-store's YAML configuration, read strictly.
#include "config.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

using vigil::store::parse_store_config;

namespace {
const std::string kTls = "tls:\n  certificate: /etc/vigil/store.crt\n  private_key: /etc/vigil/store.key\n";
}

TEST_CASE("store config: defaults with only the TLS files", "[store-config]") {
  auto c = parse_store_config(kTls, "store.yaml");
  REQUIRE(c.ok());
  CHECK(c->listen_address == "127.0.0.1");
  CHECK(c->listen_port == 8443);
  CHECK(c->tls.min_version == "1.2");
  CHECK(c->tls.client_ca.empty());
  CHECK(c->database.backend == "sqlite");
  CHECK(c->limits.threads == 4);
  CHECK(c->limits.max_body_bytes == 64u * 1024u * 1024u);
  CHECK(c->log_level == vigil::log::Level::info);
}

TEST_CASE("store config: every key", "[store-config]") {
  const std::string yaml = R"(listen: "[::1]:0"
tls:
  certificate: /c.pem
  private_key: /k.pem
  client_ca: /ca.pem
  min_version: "1.3"
database:
  backend: sqlite
  path: /tmp/s.db
  busy_timeout_ms: 2500
limits:
  threads: 2
  max_connections: 10
  max_header_bytes: 8192
  max_body_bytes: 1000
  max_decoded_body_bytes: 5000
  request_timeout_seconds: 5
  idle_timeout_seconds: 7
  handshake_timeout_seconds: 3
log:
  level: debug
)";
  auto c = parse_store_config(yaml, "s.yaml");
  REQUIRE(c.ok());
  CHECK(c->listen_address == "::1");
  CHECK(c->listen_port == 0);
  CHECK(c->tls.client_ca == "/ca.pem");
  CHECK(c->tls.min_version == "1.3");
  CHECK(c->database.path == "/tmp/s.db");
  CHECK(c->database.busy_timeout.count() == 2500);
  CHECK(c->limits.threads == 2);
  CHECK(c->limits.max_connections == 10);
  CHECK(c->limits.max_header_bytes == 8192);
  CHECK(c->limits.max_body_bytes == 1000);
  CHECK(c->limits.max_decoded_body_bytes == 5000);
  CHECK(c->limits.request_timeout.count() == 5);
  CHECK(c->limits.idle_timeout.count() == 7);
  CHECK(c->limits.handshake_timeout.count() == 3);
  CHECK(c->log_level == vigil::log::Level::debug);
}

TEST_CASE("store config: listen addresses", "[store-config]") {
  struct Case {
    std::string listen, address;
    int port;  // -1: refused
  };
  const Case cases[] = {
      {"127.0.0.1:8443", "127.0.0.1", 8443},
      {"0.0.0.0:1", "0.0.0.0", 1},
      {"[::]:443", "::", 443},
      {"127.0.0.1:0", "127.0.0.1", 0},
      {"127.0.0.1", "", -1},
      {"127.0.0.1:65536", "", -1},
      {"127.0.0.1:x", "", -1},
      {"localhost:80", "", -1},
      {"::1:80", "", -1},
      {"[::1]", "", -1},
      {"[nope]:1", "", -1},
      {"127.0.0.1:", "", -1},
  };
  for (const auto& c : cases) {
    INFO(c.listen);
    auto r = parse_store_config("listen: \"" + c.listen + "\"\n" + kTls, "s.yaml");
    if (c.port < 0) {
      REQUIRE_FALSE(r.ok());
      CHECK_THAT(r.error().message, Catch::StartsWith("s.yaml:1: listen: "));
    } else {
      REQUIRE(r.ok());
      CHECK(r->listen_address == c.address);
      CHECK(r->listen_port == c.port);
    }
  }
}

TEST_CASE("store config: unknown keys and bad values are refused with file:line: key", "[store-config]") {
  struct Case {
    std::string yaml, error;
  };
  const Case cases[] = {
      {kTls + "listn: 127.0.0.1:1\n", "s.yaml:4: listn: unknown key"},
      {kTls + "limits:\n  thread: 2\n", "s.yaml:5: limits.thread: unknown key"},
      {kTls + "limits:\n  threads: 0\n", "s.yaml:5: limits.threads: 0 is out of range 1..256"},
      {kTls + "limits:\n  threads: -1\n", "s.yaml:5: limits.threads: '-1' is not a whole number"},
      {kTls + "limits:\n  max_body_bytes: 10MB\n",
       "s.yaml:5: limits.max_body_bytes: '10MB' is not a whole number"},
      {kTls + "limits:\n  request_timeout_seconds: [1]\n",
       "s.yaml:5: limits.request_timeout_seconds: expected a number"},
      {kTls + "limits: 3\n", "s.yaml:4: limits: expected a mapping"},
      {kTls + "log:\n  level: loud\n", "s.yaml:5: log.level: unknown log level 'loud'"},
      {kTls + "database:\n  backend: postgres\n", "s.yaml:5: database.backend: 'postgres' is not a backend"},
      {kTls + "database:\n  busy_timeout_ms: 1s\n", "s.yaml:5: database.busy_timeout_ms: '1s' is not"},
      {"tls:\n  certificate: /c\n  private_key: /k\n  min_version: \"1.1\"\n",
       "s.yaml:4: tls.min_version: '1.1' is not 1.2 or 1.3"},
      {"tls:\n  certificate: /c\n  private_key: /k\n  cert: /x\n", "s.yaml:4: tls.cert: unknown key"},
      {"tls:\n  certificate: /c\n", "s.yaml:2: tls.private_key: required"},
      {"listen: 127.0.0.1:1\n", "s.yaml:1: tls.certificate: required"},
      {"", "s.yaml:1: tls.certificate: required"},
      {kTls + "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n", "s.yaml:5: listen: repeated key"},
      {kTls + "limits:\n  max_body_bytes: 100\n  max_decoded_body_bytes: 10\n",
       "s.yaml: limits.max_decoded_body_bytes: smaller than max_body_bytes"},
      {"tls: [\n", "s.yaml:2: "},  // not YAML at all
      {"- a\n- b\n", "s.yaml:1: (top level): expected a mapping"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    auto r = parse_store_config(c.yaml, "s.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::StartsWith(c.error));
  }
}

TEST_CASE("store config: the file is read with a size cap and named in errors", "[store-config]") {
  vigil::test::TempDir dir;
  dir.write("store.yaml", kTls + "limits:\n  threads: 2\n");
  auto ok = vigil::store::load_store_config(dir.path() + "/store.yaml");
  REQUIRE(ok.ok());
  CHECK(ok->limits.threads == 2);
  CHECK(ok->source == dir.path() + "/store.yaml");

  dir.write("rel.yaml",
            "tls:\n  certificate: certs/s.pem\n  private_key: /abs/s.key\n"
            "database:\n  path: store.db\n");
  auto rel = vigil::store::load_store_config(dir.path() + "/rel.yaml");
  REQUIRE(rel.ok());
  CHECK(rel->tls.certificate == dir.path() + "/certs/s.pem");
  CHECK(rel->tls.private_key == "/abs/s.key");
  CHECK(rel->tls.client_ca.empty());
  CHECK(rel->database.path == dir.path() + "/store.db");

  dir.write("bad.yaml", kTls + "bogus: 1\n");
  auto bad = vigil::store::load_store_config(dir.path() + "/bad.yaml");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::StartsWith(dir.path() + "/bad.yaml:4: bogus: unknown key"));

  dir.write("big.yaml", kTls + "# " + std::string(2 * 1024 * 1024, 'x') + "\n");
  auto big = vigil::store::load_store_config(dir.path() + "/big.yaml");
  REQUIRE_FALSE(big.ok());
  CHECK(big.is(vigil::Errc::too_large));

  auto missing = vigil::store::load_store_config(dir.path() + "/none.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.is(vigil::Errc::not_found));
}
