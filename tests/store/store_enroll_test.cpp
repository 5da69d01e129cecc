// POST /v1/enroll and re-keying: token uses and expiry, idempotent
// re-enrollment, 409 for a new key until an admin allows it (audited).
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "agent/chain_support.hpp"
#include "store/store_support.hpp"

using namespace vigil;
using namespace vigil::store;
using vigil::test::body_json;
using vigil::test::error_message;
using vigil::test::make_request;
using vigil::test::new_host_key;
using vigil::test::StoreFixture;

namespace {


std::int64_t uses_of_only_enroll_token(StoreFixture& f) {
  auto ts = f.storage().list_tokens();
  REQUIRE(ts.ok());
  for (const auto& t : *ts)
    if (t.role == Role::enroll) return t.uses;
  FAIL("no enrollment token");
  return -1;
}

}  // namespace

TEST_CASE("enroll: a one-time token enrolls one host", "[store-api]") {
  StoreFixture f;
  const std::string token = f.enroll_token(1);
  auto a = new_host_key(), b = new_host_key();
  auto r = f.enroll(a, token, "host-a",
                    boost::json::object{{"hostname", "a"}, {"scope", boost::json::object{{"env", "prod"}}}});
  REQUIRE(r.status == 201);
  CHECK(std::string(body_json(r).at("key_id").as_string()) == a.key_id());
  CHECK(std::string(body_json(r).at("host_id").as_string()).rfind("h-", 0) == 0);
  auto second = f.enroll(b, token, "host-b");
  CHECK(second.status == 401);
  CHECK_THAT(error_message(second), Catch::Contains("used up"));
}

TEST_CASE("enroll: use counts, expiry and unknown tokens", "[store-api]") {
  StoreFixture f;
  SECTION("--uses 2 enrolls two hosts, not three") {
    const std::string token = f.enroll_token(2);
    CHECK(f.enroll(new_host_key(), token, "h1").status == 201);
    CHECK(f.enroll(new_host_key(), token, "h2").status == 201);
    CHECK(f.enroll(new_host_key(), token, "h3").status == 401);
  }
  SECTION("an expired token") {
    const std::string token = f.enroll_token(std::nullopt, std::string("1h"));
    f.now += 2 * 3600000;
    auto r = f.enroll(new_host_key(), token, "h1");
    CHECK(r.status == 401);
    CHECK_THAT(error_message(r), Catch::Contains("expired"));
  }
  SECTION("an unknown token") {
    CHECK(f.enroll(new_host_key(), "vse_nothing", "h1").status == 401);
  }
  SECTION("a people's token is not an enrollment token") {
    CHECK(f.enroll(new_host_key(), f.person_token(Role::admin), "h1").status == 401);
  }
  SECTION("a proof by another key") {
    auto key = new_host_key();
    auto other = new_host_key();
    const std::string token = f.enroll_token();
    auto proof = other.sign("vigil-enroll-v1\nh1\n" + token);
    REQUIRE(proof.ok());
    boost::json::object body{{"token", token},
                             {"host", "h1"},
                             {"public_key", key.public_key().pem()},
                             {"proof", crypto::base64_encode(*proof)}};
    auto r = f.api->handle(make_request("POST", "/v1/enroll", boost::json::serialize(body)));
    CHECK(r.status == 401);
    CHECK_THAT(error_message(r), Catch::Contains("proof"));
  }
}

TEST_CASE("enroll: malformed bodies are refused naming the field", "[store-api]") {
  StoreFixture f;
  struct Case {
    const char* body;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"not json", "not JSON"},
      {"[]", "expected a JSON object"},
      {R"({"host":"h","public_key":"k","proof":"p"})", "\"token\" is required"},
      {R"({"token":1,"host":"h","public_key":"k","proof":"p"})", "\"token\" must be a string"},
      {R"({"token":"t","host":"h","public_key":"k","proof":"p","x":1})", "unknown field \"x\""},
      {R"({"token":"t","host":"h","public_key":"k","proof":"p"})", "public_key"},
      {R"({"token":"t","host":"h","public_key":"k","proof":"p","facts":[]})", "\"facts\" must be an object"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    auto r = f.api->handle(make_request("POST", "/v1/enroll", c.body));
    CHECK(r.status == 400);
    CHECK_THAT(error_message(r), Catch::Contains(c.message));
  }
}

TEST_CASE("enroll: the same key again is idempotent, a new key needs allow-rekey", "[store-api]") {
  StoreFixture f;
  auto key = new_host_key();
  const std::string token = f.enroll_token(1);
  auto first = f.enroll(key, token);
  REQUIRE(first.status == 201);
  const std::string host = std::string(body_json(first).at("host_id").as_string());

  auto again = f.enroll(key, token);  // the one use is taken: a retry still works
  CHECK(again.status == 200);
  CHECK(std::string(body_json(again).at("host_id").as_string()) == host);
  CHECK(uses_of_only_enroll_token(f) == 1);

  auto new_k = new_host_key();
  auto conflict = f.enroll(new_k, f.enroll_token());
  CHECK(conflict.status == 409);
  CHECK_THAT(error_message(conflict), Catch::Contains("allow-rekey"));

  const std::string admin = f.person_token(Role::admin, "alice");
  CHECK(f.post("/v1/hosts/h-nope/allow-rekey", boost::json::object{}, admin).status == 404);
  auto allowed = f.post("/v1/hosts/" + host + "/allow-rekey", boost::json::object{}, admin);
  REQUIRE(allowed.status == 200);
  auto rekeyed = f.enroll(new_k, f.enroll_token());
  CHECK(rekeyed.status == 200);
  CHECK(std::string(body_json(rekeyed).at("key_id").as_string()) == new_k.key_id());
  CHECK(f.enroll(new_host_key(), f.enroll_token()).status == 409);  // the permission was used up
  // The chain starts over with the new key's first envelope; the old key's
  // envelopes no longer verify.
  auto scan = test::sample_scan();
  auto fresh = f.ingest(host, new_k, test::sign_chain(new_k, scan, 2).envelopes);
  REQUIRE(fresh.status == 200);
  CHECK(body_json(fresh).at("results").at(1).at("status") == "accepted");
  CHECK(body_json(fresh).at("chain").at("epoch").as_int64() == 2);
  auto old = f.ingest(host, key, test::sign_chain(key, scan, 1).envelopes);
  CHECK(old.status == 401);

  auto audit = f.get("/v1/audit", admin);
  REQUIRE(audit.status == 200);
  std::vector<std::string> actions;
  const boost::json::value j1 = body_json(audit);
  for (const auto& e : j1.at("entries").as_array()) {
    actions.emplace_back(e.at("action").as_string());
    if (e.at("action") == "host.allow-rekey") CHECK(e.at("actor").at("name") == "alice");
  }
  CHECK(std::find(actions.begin(), actions.end(), "host.enroll") != actions.end());
  CHECK(std::find(actions.begin(), actions.end(), "host.allow-rekey") != actions.end());
  CHECK(std::find(actions.begin(), actions.end(), "host.rekey") != actions.end());
}
