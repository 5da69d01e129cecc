// Helpers of the shipping end-to-end tests (store_e2e_support.hpp).
#include "store_e2e_support.hpp"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>
#include <numeric>
#include <thread>

#include "cache.hpp"
#include "crypto.hpp"
#include "request_auth.hpp"
#include "runner.hpp"
#include "strings.hpp"

namespace vigil::e2e {

namespace json = boost::json;
using namespace std::chrono_literals;

StoreProcess::StoreProcess(const test::TempDir& dir, const test::TestPki& pki, StoreConfig config)
    : pki_(pki),
      config_(std::move(config)),
      dir_(dir.path()),
      config_path_(dir.path() + "/store.yaml"),
      database_(dir.path() + "/store.db"),
      port_file_(dir.path() + "/store.port"),
      log_file_(dir.path() + "/store.log") {
  if (config_.certificate.empty()) set_certificate(pki.server_cert, pki.server_key);
  write_config();  // the admin CLI reads it before the first start
}

// A running store gets SIGTERM and is reaped by ~BackgroundProcess (no
// test assertions here: this also runs while a failed REQUIRE unwinds).
StoreProcess::~StoreProcess() = default;

void StoreProcess::set_certificate(const std::string& cert, const std::string& key) {
  config_.certificate = cert;
  config_.private_key = key;
}

void StoreProcess::write_config() const {
  const std::string text = "listen: 127.0.0.1:" + std::to_string(port_) +
                           "\n"
                           "tls:\n  certificate: " +
                           config_.certificate + "\n  private_key: " + config_.private_key +
                           "\n"
                           "database:\n  path: " +
                           database_ +
                           "\n"
                           "limits:\n  threads: 2\n  request_timeout_seconds: " +
                           std::to_string(config_.request_timeout_seconds) + "\n" + config_.limits +
                           "log:\n  level: info\n";
  std::filesystem::path p(config_path_);
  std::error_code ec;
  std::filesystem::remove(p, ec);
  FILE* f = std::fopen(config_path_.c_str(), "w");
  REQUIRE(f != nullptr);
  REQUIRE(std::fwrite(text.data(), 1, text.size(), f) == text.size());
  REQUIRE(std::fclose(f) == 0);
}

void StoreProcess::start() {
  REQUIRE_FALSE((proc_ && proc_->running()));
  write_config();
  std::error_code ec;
  std::filesystem::remove(port_file_, ec);
  proc_ = std::make_unique<test::BackgroundProcess>(
      std::vector<std::string>{VIGIL_STORE_BINARY, "serve", "--config", config_path_, "--port-file",
                               port_file_},
      test::BackgroundOutput{"", log_file_});
  // The port file is written (atomically) once the socket is bound.
  std::string text;
  for (int i = 0; i < 1500 && text.empty() && proc_->running(); ++i) {
    text = std::string(trim(read_text(port_file_)));
    if (text.empty()) std::this_thread::sleep_for(10ms);
  }
  INFO("vigil-store serve did not come up; its stderr:\n" << log());
  REQUIRE_FALSE(text.empty());
  const int port = std::stoi(text);
  REQUIRE(port > 0);
  if (port_ != 0) REQUIRE(port == port_);  // a restart keeps the port the agents know
  port_ = port;
}

void StoreProcess::stop() {
  REQUIRE(proc_);
  proc_->signal(SIGTERM);
  const int rc = proc_->wait_exit();
  INFO("vigil-store serve after SIGTERM; its stderr:\n" << log());
  CHECK(rc == 0);
}

void StoreProcess::kill() {
  REQUIRE(proc_);
  proc_->signal(SIGKILL);
  CHECK(proc_->wait_exit() == 128 + SIGKILL);
}

bool StoreProcess::running() {
  return proc_ && proc_->running();
}

std::string StoreProcess::log() const {
  return read_text(log_file_);
}

Run StoreProcess::admin(std::vector<std::string> args) const {
  args.insert(args.end(), {"--config", config_path_});
  auto r = collectors::run_program(VIGIL_STORE_BINARY, args, collectors::RunOptions{30000ms, 1u << 20});
  REQUIRE(r.ok());
  return {r->exit_code, std::move(r->out), std::move(r->err)};
}

std::string StoreProcess::create_token(const std::string& role, const std::vector<std::string>& extra) const {
  std::vector<std::string> args{"token", "create", "--config", config_path_, "--role", role};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = collectors::run_program(VIGIL_STORE_BINARY, args, collectors::RunOptions{30000ms, 1u << 20});
  REQUIRE(r.ok());
  INFO("vigil-store token create: " << r->err);
  REQUIRE(r->exit_code == 0);
  const std::string token(trim(r->out));
  REQUIRE(token.rfind(role == "enroll" ? "vse_" : "vst_", 0) == 0);
  return token;
}

std::string ApiResponse::header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string() : it->second;
}

StoreApi::StoreApi(const StoreProcess& store, const test::TestPki& pki) {
  agent::HttpClientOptions o;
  o.base_url = store.url();
  o.tls.ca_file = pki.ca_cert;
  o.total_timeout = 30s;
  auto c = agent::HttpClient::create(o);
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c.ok());
  client_ = std::move(*c);
}

namespace {

ApiResponse to_api_response(Result<agent::HttpResponse> r, const std::string& what) {
  INFO(what << ": " << (r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  ApiResponse a;
  a.status = r->status;
  a.body = std::move(r->body);
  a.headers = std::move(r->headers);
  json::error_code ec;
  a.json = json::parse(a.body, ec);
  if (ec) a.json = nullptr;
  return a;
}

}  // namespace

ApiResponse StoreApi::call(const std::string& method, const std::string& path, const std::string& token,
                           std::optional<std::string> body) {
  agent::HttpHeaders h;
  if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
  if (body) h.emplace_back("Content-Type", "application/json");
  std::optional<std::string_view> b;
  if (body) b = *body;
  return to_api_response(client_->request(method, client_->target(path), h, b), method + " " + path);
}

ApiResponse StoreApi::post(const std::string& path, const agent::HttpHeaders& headers,
                           const std::string& body) {
  return to_api_response(client_->post(client_->target(path), headers, body), "POST " + path);
}

AgentHost::AgentHost(const std::string& fixture, const std::string& machine_id) {
  copy_fixture(fixture, root_);
  if (!machine_id.empty()) root_.write("/etc/machine-id", machine_id + "\n");
}

Run AgentHost::scan(std::vector<std::string> extra) const {
  std::vector<std::string> args{"scan",
                                "--root",
                                root(),
                                "--state-dir",
                                state_dir(),
                                "--format",
                                "json",
                                "--check",
                                kFlipCheck,
                                "--check",
                                "ssh.password-authentication-disabled"};
  args.insert(args.end(), extra.begin(), extra.end());
  Run r = run_vigil_process(args);
  INFO("vigil scan: " << r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));  // recorded, whatever the verdicts
  return r;
}

Run AgentHost::enroll(const StoreProcess& store, const test::TestPki& pki, const std::string& token) const {
  return run_vigil_process({"enroll", "--store", store.url(), "--token", token, "--ca", pki.ca_cert,
                            "--state-dir", state_dir(), "--root", root(), "--timeout", "30"});
}

Run AgentHost::ship(std::vector<std::string> extra) const {
  std::vector<std::string> args{"ship", "--state-dir", state_dir(), "--timeout", "30"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_vigil_process(args);
}

json::object AgentHost::status() const {
  Run r = run_vigil_process({"status", "--state-dir", state_dir(), "--format", "json"});
  INFO("vigil status: " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  json::error_code ec;
  auto v = json::parse(r.out, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

std::int64_t AgentHost::outbox_depth() const {
  return status().at("outbox_depth").to_number<std::int64_t>();
}

std::string AgentHost::host_id() const {
  auto v = json::parse(read_text(state_dir() + "/enrollment.json"));
  return std::string(v.at("host_id").as_string());
}

namespace {

agent::Cache open_read_only(const std::string& state_dir) {
  agent::CacheOptions o;
  o.state_dir = state_dir;
  o.access = agent::CacheAccess::read_only;
  o.quick_check = false;
  auto cache = agent::Cache::open(o);
  INFO((cache ? std::string() : cache.error().message));
  REQUIRE(cache.ok());
  return std::move(*cache);
}

}  // namespace

std::int64_t AgentHost::cache_outbox_depth() const {
  auto st = open_read_only(state_dir()).status();
  REQUIRE(st.ok());
  return st->outbox_depth;
}

std::vector<std::string> AgentHost::envelopes() const {
  auto cache = open_read_only(state_dir());
  auto recs = cache.envelopes_between(0, std::numeric_limits<std::int64_t>::max());
  REQUIRE(recs.ok());
  std::vector<std::string> out;
  for (auto& e : *recs) out.push_back(std::move(e.bytes));
  return out;
}

std::string AgentHost::authorization(const std::string& method, const std::string& target,
                                     const std::string& body) const {
  auto key = crypto::load_private_key(state_dir() + "/" + crypto::kHostKeyFile);
  REQUIRE(key.ok());
  auto h = request_auth::make_authorization(*key, host_id(), method, target, body,
                                            static_cast<std::int64_t>(std::time(nullptr)));
  REQUIRE(h.ok());
  return *h;
}

std::string evidence_body(const std::string& host_id, const std::vector<std::string>& envelopes) {
  json::array a;
  for (const auto& e : envelopes) a.emplace_back(e);
  return json::serialize(json::object{{"host_id", host_id}, {"envelopes", std::move(a)}});
}

std::vector<std::int64_t> bundle_sequences(const json::value& bundle) {
  std::vector<std::int64_t> out;
  for (const auto& e : bundle.at("envelopes").as_array())
    out.push_back(e.at("sequence").to_number<std::int64_t>());
  return out;
}

json::object ship_json(const AgentHost& host, std::vector<std::string> extra) {
  extra.insert(extra.end(), {"--format", "json"});
  Run r = host.ship(extra);
  INFO("vigil ship: " << r.out << r.err);
  json::error_code ec;
  auto v = json::parse(r.out, ec);
  REQUIRE_FALSE(ec);
  auto o = v.as_object();
  CHECK(o.at("exit_code").to_number<int>() == r.exit_code);
  return o;
}

std::int64_t num(const json::value& v, const char* key) {
  return v.at(key).to_number<std::int64_t>();
}

// The result of one check in GET /v1/hosts/{id}.
json::object host_check(const ApiResponse& host, const std::string& check) {
  for (const auto& c : host.json.at("checks").as_array())
    if (c.at("check").as_string() == check) return c.as_object();
  FAIL("no check " << check << " in " << host.body);
  return {};
}

std::vector<std::int64_t> one_to(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 1);
  return v;
}

// GET /v1/export?host=ID (json), written to a file that `vigil verify`
// checks with the host's own public key; the sequences it holds.
std::vector<std::int64_t> export_and_verify(StoreApi& api, const std::string& token, const AgentHost& host,
                                            const test::TempDir& dir) {
  auto ex = api.get("/v1/export?host=" + host.host_id() + "&format=json", token);
  INFO(ex.body.substr(0, 2000));
  REQUIRE(ex.status == 200);
  dir.write("export.json", ex.body);
  Run v = run_vigil_process(
      {"verify", dir.path() + "/export.json", "--key", host.state_dir() + "/host-key.pub.pem"});
  INFO("vigil verify: " << v.out << v.err);
  CHECK(v.exit_code == 0);
  return bundle_sequences(ex.json);
}

void require_enrolled(const Run& r) {
  INFO("vigil enroll: " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace vigil::e2e
