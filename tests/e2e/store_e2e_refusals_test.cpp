// Issue 6 end to end, the refusals: bad envelopes and requests over the
// network (and the store serving others afterwards), a store certificate
// the agent must not accept, and the people's roles.
#include <boost/asio/error.hpp>
#include <catch2/catch.hpp>
#include <filesystem>

#include "compress.hpp"
#include "store/tls_client.hpp"
#include "store_e2e_support.hpp"

namespace json = boost::json;
using namespace vigil;
using namespace vigil::e2e;

namespace {

constexpr const char* kHostA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* kHostB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

// POST /v1/evidence signed by host (the Vigil-Host header over body as sent).
ApiResponse post_evidence(StoreApi& api, const AgentHost& host, const std::string& body) {
  const std::string target = "/v1/evidence";
  return api.post(
      target,
      {{"Authorization", host.authorization("POST", target, body)}, {"Content-Type", "application/json"}},
      body);
}

// The only result of a one-envelope batch.
json::object only_result(const ApiResponse& r) {
  INFO(r.body);
  REQUIRE(r.status == 200);
  REQUIRE(r.json.at("results").as_array().size() == 1);
  return r.json.at("results").at(0).as_object();
}

std::string reason(const json::object& result) {
  return result.contains("reason") ? std::string(result.at("reason").as_string()) : std::string();
}

// The envelope with the first character of its signature changed (still base64).
std::string forge_signature(std::string envelope) {
  const std::string field = "\"sig\":\"";
  const auto at = envelope.find(field);
  REQUIRE(at != std::string::npos);
  char& c = envelope[at + field.size()];
  c = c == 'A' ? 'B' : 'A';
  return envelope;
}

}  // namespace

TEST_CASE("store e2e: refusals over the network, and the store serves others afterwards", "[store-e2e]") {
  test::TempDir dir;
  const auto pki = test::make_test_pki(dir.path());
  StoreConfig config;
  config.request_timeout_seconds = 1;
  config.limits = "  max_body_bytes: 65536\n  max_decoded_body_bytes: 131072\n";
  StoreProcess store(dir, pki, config);
  store.start();
  StoreApi api(store, pki);
  const std::string token = store.create_token("enroll", {"--uses", "2"});

  AgentHost a("debian12-stock", kHostA), b("debian12-stock", kHostB);
  AgentHost stranger("debian12-stock", kHostA);  // host A's identity, another key, never enrolled
  require_enrolled(a.enroll(store, pki, token));
  require_enrolled(b.enroll(store, pki, token));
  for (int i = 0; i < 3; ++i) a.scan();
  b.scan();
  stranger.scan();
  const auto env = a.envelopes();
  REQUIRE(env.size() == 3);
  const std::string id = a.host_id();

  auto first = only_result(post_evidence(api, a, evidence_body(id, {env[0]})));
  CHECK(first.at("status").as_string() == "accepted");
  CHECK(num(first, "sequence") == 1);

  {  // the same envelope again: a duplicate, nothing doubled
    auto r = post_evidence(api, a, evidence_body(id, {env[0]}));
    CHECK(only_result(r).at("status").as_string() == "duplicate");
    CHECK(num(r.json.at("chain"), "last_sequence") == 1);
  }
  {  // a byte of the envelope's signature flipped
    auto res = only_result(post_evidence(api, a, evidence_body(id, {forge_signature(env[1])})));
    CHECK(res.at("status").as_string() == "rejected");
    CHECK_THAT(reason(res), Catch::Contains("signature does not verify"));
  }
  {  // an envelope about host A signed by a key the store does not know
    auto res = only_result(post_evidence(api, a, evidence_body(id, {stranger.envelopes().at(0)})));
    CHECK(res.at("status").as_string() == "rejected");
    CHECK_THAT(reason(res), Catch::Contains("statement names key"));
  }
  {  // sequence 3 before 2: 3 is accepted with a gap, then 2 is out of order
    auto third = post_evidence(api, a, evidence_body(id, {env[2]}));
    CHECK(only_result(third).at("status").as_string() == "accepted");
    CHECK(third.json.at("chain").at("status").as_string() == "gap");
    auto second = only_result(post_evidence(api, a, evidence_body(id, {env[1]})));
    CHECK(second.at("status").as_string() == "rejected");
    CHECK_THAT(reason(second), Catch::StartsWith("out of order"));
  }
  {  // not JSON
    auto r = post_evidence(api, a, "{\"host_id\": ");
    INFO(r.body);
    CHECK(r.status == 400);
    CHECK(r.json.at("error").at("code").as_string() == "bad_request");
  }
  {  // a body signed for another body
    const std::string body = evidence_body(id, {env[0]});
    auto r = api.post("/v1/evidence",
                      {{"Authorization", a.authorization("POST", "/v1/evidence", body + " ")},
                       {"Content-Type", "application/json"}},
                      body);
    CHECK(r.status == 401);
  }
  {  // over limits.max_body_bytes, by far: the client must learn it is a
     // 413 (Expect: 100-continue), not a broken pipe to retry forever
    auto r = post_evidence(api, a, evidence_body(id, {std::string(4u << 20, 'x')}));
    INFO(r.body);
    CHECK(r.status == 413);
    CHECK(r.json.at("error").at("code").as_string() == "too_large");
  }
  {  // a gzip body that inflates past limits.max_decoded_body_bytes (small as sent)
    auto bomb = gzip_compress(evidence_body(id, {std::string(1u << 20, 'x')}), 9);
    REQUIRE(bomb.ok());
    REQUIRE(bomb->size() < 65536);
    auto r = api.post("/v1/evidence",
                      {{"Authorization", a.authorization("POST", "/v1/evidence", *bomb)},
                       {"Content-Type", "application/json"},
                       {"Content-Encoding", "gzip"}},
                      *bomb);
    INFO(r.body);
    CHECK(r.status == 413);
    CHECK(r.json.at("error").at("code").as_string() == "too_large");
  }
  {  // half a request, then nothing: closed after request_timeout, no answer
    test::TlsClient slow(static_cast<std::uint16_t>(store.port()), {pki.ca_cert, "", "", 0});
    REQUIRE_FALSE(slow.handshake_error());
    REQUIRE_FALSE(
        slow.send_raw("POST /v1/evidence HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
                      "Content-Type: application/json\r\n\r\n{\"host_id\":"));
    auto r = slow.read();
    INFO(r.ec.message());
    CHECK(r.ec);
    // Closed by the server, not given up on by the client's 10 s read timeout.
    CHECK(r.ec != boost::asio::error::would_block);
    CHECK(r.ec != boost::asio::error::timed_out);
  }

  // The store is still serving: host B ships with the agent.
  auto shipped = ship_json(b);
  CHECK(shipped.at("exit_code").to_number<int>() == 0);
  CHECK(num(shipped, "accepted") == 1);
  // Host A holds 1 and 3, each once, and the gap at 2.
  const std::string auditor = store.create_token("auditor");
  auto h = api.get("/v1/hosts/" + id, auditor);
  INFO(h.body);
  REQUIRE(h.status == 200);
  CHECK(num(h.json.at("chain"), "last_sequence") == 3);
  REQUIRE(h.json.at("chain").at("gaps").as_array().size() == 1);
  CHECK(num(h.json.at("chain").at("gaps").at(0), "first_sequence") == 2);
  CHECK(h.json.at("chain").at("forks").as_array().empty());
  auto ex = api.get("/v1/export?host=" + id, auditor);
  REQUIRE(ex.status == 200);
  CHECK(bundle_sequences(ex.json) == std::vector<std::int64_t>{1, 3});
}

TEST_CASE("store e2e: the agent refuses a store certificate of another CA or name", "[store-e2e]") {
  test::TempDir dir;
  const auto pki = test::make_test_pki(dir.path());
  StoreProcess store(dir, pki);
  store.start();
  AgentHost host("debian12-stock", kHostA), late("debian12-stock", kHostB);
  require_enrolled(host.enroll(store, pki, store.create_token("enroll")));
  host.scan();
  const std::string late_token = store.create_token("enroll");

  struct Wrong {
    const char* what;
    std::string cert, key;
  };
  for (const Wrong& w : {Wrong{"another CA", pki.other_server_cert, pki.other_server_key},
                         Wrong{"another name", pki.wrong_name_cert, pki.wrong_name_key}}) {
    INFO("the store presents a certificate of " << w.what);
    store.stop();
    store.set_certificate(w.cert, w.key);
    store.start();
    Run ship = host.ship();
    INFO("vigil ship: " << ship.out << ship.err);
    CHECK(ship.exit_code == 3);
    CHECK_THAT(ship.err, Catch::Contains("certificate"));
    CHECK(host.outbox_depth() == 1);
    CHECK(host.status().at("last_shipped_at").is_null());
    Run enroll = late.enroll(store, pki, late_token);
    INFO("vigil enroll: " << enroll.out << enroll.err);
    CHECK(enroll.exit_code == 4);
    CHECK_THAT(enroll.err, Catch::Contains("certificate"));
    CHECK_FALSE(std::filesystem::exists(late.state_dir() + "/enrollment.json"));
  }

  // With its own certificate again the same store is accepted.
  store.stop();
  store.set_certificate(pki.server_cert, pki.server_key);
  store.start();
  auto shipped = ship_json(host);
  CHECK(shipped.at("exit_code").to_number<int>() == 0);
  CHECK(host.outbox_depth() == 0);
  require_enrolled(late.enroll(store, pki, late_token));
}

TEST_CASE("store e2e: roles over the network, and an analyst's waiver waives a failing check", "[store-e2e]") {
  test::TempDir dir;
  const auto pki = test::make_test_pki(dir.path());
  StoreProcess store(dir, pki);
  store.start();
  AgentHost host("debian12-stock");
  require_enrolled(host.enroll(store, pki, store.create_token("enroll")));
  host.scan();  // ssh.root-login-disabled fails
  REQUIRE(ship_json(host).at("exit_code").to_number<int>() == 0);
  const std::string id = host.host_id();
  const std::string admin = store.create_token("admin"), analyst = store.create_token("analyst"),
                    auditor = store.create_token("auditor");
  StoreApi api(store, pki);

  auto anonymous = api.get("/v1/hosts", "");
  CHECK(anonymous.status == 401);
  CHECK_THAT(anonymous.header("www-authenticate"), Catch::StartsWith("Bearer"));
  CHECK(api.get("/v1/hosts", "vst_not-a-token").status == 401);

  const std::string waiver = json::serialize(json::object{{"check", kFlipCheck},
                                                          {"hosts", id},
                                                          {"owner", "ops"},
                                                          {"reason", "legacy sshd until the migration"},
                                                          {"expires", "7d"}});
  auto by_auditor = api.call("POST", "/v1/waivers", auditor, waiver);
  INFO(by_auditor.body);
  CHECK(by_auditor.status == 403);
  CHECK(by_auditor.json.at("error").at("code").as_string() == "forbidden");
  const std::string new_token = R"({"role":"auditor","name":"e2e"})";
  CHECK(api.call("POST", "/v1/tokens", analyst, new_token).status == 403);
  CHECK(api.get("/v1/audit", analyst).status == 403);

  auto made = api.call("POST", "/v1/tokens", admin, new_token);
  INFO(made.body);
  REQUIRE(made.status == 201);
  const std::string fresh(made.json.at("token").as_string());
  CHECK(api.get("/v1/hosts", fresh).status == 200);

  CHECK(host_check(api.get("/v1/hosts/" + id, auditor), kFlipCheck).at("verdict").as_string() == "fail");
  auto created = api.call("POST", "/v1/waivers", analyst, waiver);
  INFO(created.body);
  REQUIRE(created.status == 201);
  const std::string waiver_id(created.json.at("id").as_string());
  auto waived = host_check(api.get("/v1/hosts/" + id, auditor), kFlipCheck);
  CHECK(waived.at("verdict").as_string() == "waived");
  CHECK(waived.at("signed_verdict").as_string() == "fail");
  CHECK(waived.at("waiver").at("id").as_string() == waiver_id);

  CHECK(api.call("DELETE", "/v1/waivers/" + waiver_id, auditor).status == 403);
  auto revoked = api.call("DELETE", "/v1/waivers/" + waiver_id, analyst);
  INFO(revoked.body);
  CHECK(revoked.status == 200);
  CHECK(host_check(api.get("/v1/hosts/" + id, auditor), kFlipCheck).at("verdict").as_string() == "fail");

  auto audit = api.get("/v1/audit", admin);
  REQUIRE(audit.status == 200);
  bool logged = false;
  for (const auto& e : audit.json.at("entries").as_array())
    logged = logged || e.at("action") == "waiver.create";
  CHECK(logged);
}
