// Helpers of the end-to-end tests of shipping (issue 6): the real
// `vigil-store serve` on 127.0.0.1 with certificates made at test time, its
// admin CLI, the people's API over HTTPS, and an agent state directory that
// scans a fixture host copy and enrolls it. See docs/architecture.md,
// "End-to-end tests".
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "background_process.hpp"
#include "e2e_support.hpp"
#include "http_client.hpp"
#include "test_support.hpp"
#include "tls_certs.hpp"

namespace vigil::e2e {

struct StoreConfig {
  // The server's certificate and key; empty: pki.server_cert / server_key.
  std::string certificate, private_key;
  int request_timeout_seconds = 10;
  // Extra lines under `limits:` (each "  key: value\n").
  std::string limits;
};

// vigil-store serve on a database in dir: started by start(), stopped by
// stop() (SIGTERM, exit 0) or kill() (SIGKILL), started again on the same
// port and database by start(). The destructor stops a running store.
class StoreProcess {
 public:
  StoreProcess(const test::TempDir& dir, const test::TestPki& pki, StoreConfig config = {});
  ~StoreProcess();
  StoreProcess(const StoreProcess&) = delete;
  StoreProcess& operator=(const StoreProcess&) = delete;

  // Writes the config (port 0 the first time, then the port it took) and
  // waits for the port file; fails the test with the store's stderr when
  // the store does not come up.
  void start();
  // The certificate the next start() serves.
  void set_certificate(const std::string& cert, const std::string& key);
  void stop();
  void kill();
  bool running();

  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::string& config_path() const { return config_path_; }
  const std::string& database_path() const { return database_; }
  // What the store wrote to stderr in its last run.
  std::string log() const;

  // vigil-store ARGS --config F (token list, host allow-rekey ...).
  Run admin(std::vector<std::string> args) const;
  // `vigil-store token create --config F --role ROLE`: the printed token.
  std::string create_token(const std::string& role, const std::vector<std::string>& extra = {}) const;

 private:
  void write_config() const;

  const test::TestPki& pki_;
  StoreConfig config_;
  std::string dir_, config_path_, database_, port_file_, log_file_;
  int port_ = 0;
  std::unique_ptr<test::BackgroundProcess> proc_;
};

struct ApiResponse {
  long status = 0;
  std::string body;
  boost::json::value json;  // null when the body is not JSON
  std::map<std::string, std::string> headers;
  std::string header(const std::string& lowercase_name) const;
};

// HTTPS to a running store with the agent's client (agent/http_client),
// trusting only pki.ca_cert.
class StoreApi {
 public:
  StoreApi(const StoreProcess& store, const test::TestPki& pki);
  // A people's request; token "" sends no Authorization. body: JSON text.
  ApiResponse call(const std::string& method, const std::string& path, const std::string& token,
                   std::optional<std::string> body = std::nullopt);
  ApiResponse get(const std::string& path, const std::string& token) { return call("GET", path, token); }
  // A raw POST with the headers given (host-signed ingest).
  ApiResponse post(const std::string& path, const agent::HttpHeaders& headers, const std::string& body);

 private:
  std::unique_ptr<agent::HttpClient> client_;
};

// An agent state directory scanning its own copy of a fixture host.
class AgentHost {
 public:
  // fixture: a host under tests/fixtures/hosts; machine_id replaces its
  // /etc/machine-id when not empty (two hosts of one store need two ids).
  explicit AgentHost(const std::string& fixture, const std::string& machine_id = "");
  const std::string& root() const { return root_.path(); }
  const std::string& state_dir() const { return state_.path(); }
  const test::TempDir& root_dir() const { return root_; }

  // vigil scan --root R --state-dir D on the checks the tests use.
  Run scan(std::vector<std::string> extra = {}) const;
  Run enroll(const StoreProcess& store, const test::TestPki& pki, const std::string& token) const;
  Run ship(std::vector<std::string> extra = {}) const;
  // vigil status --format json.
  boost::json::object status() const;
  std::int64_t outbox_depth() const;
  // The same, read in this process (read only, no quick_check): cheap
  // enough to poll while a `vigil ship` runs.
  std::int64_t cache_outbox_depth() const;
  // The host id of enrollment.json.
  std::string host_id() const;
  // The envelopes of the cache in sequence order (read only).
  std::vector<std::string> envelopes() const;
  // An Authorization header value for a request by this host.
  std::string authorization(const std::string& method, const std::string& target,
                            const std::string& body) const;

 private:
  test::TempDir root_, state_;
};

// The checks the scans run: few, so that a scan is quick, and one that
// fails on debian12-stock until its sshd_config says "PermitRootLogin no".
inline constexpr const char* kFlipCheck = "ssh.root-login-disabled";

// {"host_id":…,"envelopes":[…]} for POST /v1/evidence.
std::string evidence_body(const std::string& host_id, const std::vector<std::string>& envelopes);

// The sequences of an exported bundle's envelopes, in order.
std::vector<std::int64_t> bundle_sequences(const boost::json::value& bundle);

// vigil ship --format json (plus extra): its JSON summary.
boost::json::object ship_json(const AgentHost& host, std::vector<std::string> extra = {});
// A JSON number member as an integer.
std::int64_t num(const boost::json::value& v, const char* key);
// The result of one check in an answer of GET /v1/hosts/{id}.
boost::json::object host_check(const ApiResponse& host, const std::string& check);
// 1, 2, ..., n.
std::vector<std::int64_t> one_to(std::int64_t n);
// GET /v1/export?host=ID&format=json written to a file in dir, which
// `vigil verify --key STATE_DIR/host-key.pub.pem` must accept; the
// sequences the bundle holds.
std::vector<std::int64_t> export_and_verify(StoreApi& api, const std::string& token, const AgentHost& host,
                                            const test::TempDir& dir);
void require_enrolled(const Run& r);

}  // namespace vigil::e2e
