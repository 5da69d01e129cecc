// POST /v1/evidence: host authentication, per-envelope verification and the
// chain rules, with envelopes made by the agent's own signer.
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "agent/chain_support.hpp"
#include "attest.hpp"
#include "request_auth.hpp"
#include "store/store_support.hpp"

using namespace vigil;
using namespace vigil::store;
using vigil::test::body_json;
using vigil::test::make_request;
using vigil::test::new_host_key;
using vigil::test::StoreFixture;

namespace {

struct Outcome {
  std::string status, reason;
};

std::vector<Outcome> outcomes(const Response& r) {
  INFO(r.body);
  REQUIRE(r.status == 200);
  std::vector<Outcome> out;
  const boost::json::value j1 = body_json(r);
  for (const auto& v : j1.at("results").as_array()) {
    const auto& o = v.as_object();
    out.push_back({std::string(o.at("status").as_string()),
                   o.contains("reason") ? std::string(o.at("reason").as_string()) : ""});
  }
  return out;
}

std::string chain_status(const Response& r) {
  return std::string(body_json(r).at("chain").at("status").as_string());
}

std::size_t stored(StoreFixture& f, const std::string& host) {
  auto e = f.storage().envelopes(host, 0, INT64_MAX);
  REQUIRE(e.ok());
  return e->size();
}


std::string forge_signature(const std::string& bytes) {
  auto env = agent::parse_envelope(bytes);
  REQUIRE(env.ok());
  env->signatures[0].sig[5] = static_cast<char>(env->signatures[0].sig[5] ^ 1);
  return agent::serialize_envelope(*env);
}

}  // namespace

TEST_CASE("ingest: accepted, then the same envelopes again are duplicates", "[store-ingest]") {
  StoreFixture f;
  auto key = new_host_key();
  const std::string host = f.enrolled_host(key);
  auto scan = test::sample_scan();
  auto chain = test::sign_chain(key, scan, 3);
  auto first = outcomes(f.ingest(host, key, chain.envelopes));
  REQUIRE(first.size() == 3);
  for (const auto& o : first) CHECK(o.status == "accepted");
  auto again = f.ingest(host, key, chain.envelopes);
  for (const auto& o : outcomes(again)) CHECK(o.status == "duplicate");
  CHECK(chain_status(again) == "ok");
  CHECK(body_json(again).at("chain").at("last_sequence").as_int64() == 3);
  CHECK(stored(f, host) == 3);
  // Kept byte for byte.
  auto envs = f.storage().envelopes(host, 0, INT64_MAX);
  REQUIRE(envs.ok());
  CHECK((*envs)[1] == chain.envelopes[1]);
}

TEST_CASE("ingest: a bad envelope is rejected with its reason and leaves nothing", "[store-ingest]") {
  StoreFixture f;
  auto key = new_host_key();
  const std::string host = f.enrolled_host(key);
  auto scan = test::sample_scan();
  auto good = test::sign_chain(key, scan, 1);
  auto other_key = new_host_key();
  auto other_host_scan = test::sample_scan();
  other_host_scan.meta.host["machine_id"] = "another-machine";

  struct Case {
    const char* name;
    std::string envelope;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"forged signature", forge_signature(good.envelopes[0]), "signature does not verify"},
      {"unknown key", test::sign_chain(other_key, scan, 1).envelopes[0], "the enrolled key is"},
      {"another host", test::sign_chain(key, other_host_scan, 1).envelopes[0], "not this host"},
      {"not JSON", "{not json", "not a DSSE envelope"},
      {"not a statement", agent::serialize_envelope({"text/plain", "hello", {{key.key_id(), "x"}}}),
       "not a Vigil statement"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto out = outcomes(f.ingest(host, key, {c.envelope}));
      REQUIRE(out.size() == 1);
      CHECK(out[0].status == "rejected");
      CHECK_THAT(out[0].reason, Catch::Contains(c.reason));
      CHECK(stored(f, host) == 0);
      auto latest = f.storage().latest_results(host);
      REQUIRE(latest.ok());
      CHECK(latest->empty());
    }
  }
}

TEST_CASE("ingest: chain rules (out of order, fork, broken previous_digest)", "[store-ingest]") {
  StoreFixture f;
  auto key = new_host_key();
  const std::string host = f.enrolled_host(key);
  auto scan = test::sample_scan();
  auto chain = test::sign_chain(key, scan, 3);

  SECTION("a sequence below the last one that the store does not hold is out of order") {
    auto out = outcomes(f.ingest(host, key, {chain.envelopes[2], chain.envelopes[0], chain.envelopes[1]}));
    CHECK(out[0].status == "accepted");
    CHECK(out[1].status == "rejected");
    CHECK_THAT(out[1].reason, Catch::Contains("out of order"));
    CHECK(out[2].status == "rejected");
    CHECK(stored(f, host) == 1);
  }
  SECTION("another envelope at a stored sequence is a fork, flagged on the host") {
    auto other = test::sample_scan(6, "changed");
    auto forked = test::sign_chain(key, other, 1, 2, chain.digests[0]);
    outcomes(f.ingest(host, key, {chain.envelopes[0], chain.envelopes[1]}));
    auto r = f.ingest(host, key, forked.envelopes);
    auto out = outcomes(r);
    CHECK(out[0].status == "rejected");
    CHECK_THAT(out[0].reason, Catch::Contains("fork"));
    CHECK(chain_status(r) == "fork");
    CHECK(stored(f, host) == 2);
  }
  SECTION("a next sequence naming another previous_digest is a fork") {
    auto broken = test::sign_chain(key, scan, 1, 2, std::string(64, '0'));
    outcomes(f.ingest(host, key, {chain.envelopes[0]}));
    auto r = f.ingest(host, key, broken.envelopes);
    auto out = outcomes(r);
    CHECK(out[0].status == "rejected");
    CHECK_THAT(out[0].reason, Catch::Contains("previous_digest"));
    CHECK(chain_status(r) == "fork");
    CHECK(stored(f, host) == 1);
  }
}

TEST_CASE("ingest: a gap is flagged, then explained by a signed gap record", "[store-ingest]") {
  StoreFixture f;
  auto key = new_host_key();
  const std::string host = f.enrolled_host(key);
  auto scan = test::sample_scan();
  auto chain = test::sign_chain(key, scan, 4);
  auto r = f.ingest(host, key, {chain.envelopes[0], chain.envelopes[3]});
  for (const auto& o : outcomes(r)) CHECK(o.status == "accepted");
  CHECK(chain_status(r) == "gap");
  const boost::json::value j2 = body_json(r);
  const auto& gap = j2.at("chain").at("gaps").at(0);
  CHECK(gap.at("first_sequence").as_int64() == 2);
  CHECK(gap.at("last_sequence").as_int64() == 3);
  CHECK(gap.at("explained").as_bool() == false);

  auto gap_signer = agent::make_gap_signer(key, test::kSampleHost);
  auto record = gap_signer(agent::ChainLink{5, chain.digests[3]},
                           agent::GapInfo{2, 3, 1767225600000, 1767225600000, "retention: cache over 1 MiB"});
  REQUIRE(record.ok());
  auto r2 = f.ingest(host, key, {record->bytes});
  CHECK(outcomes(r2)[0].status == "accepted");
  CHECK(chain_status(r2) == "ok");
  const boost::json::value j3 = body_json(r2);
  const auto& explained = j3.at("chain").at("gaps").at(0);
  CHECK(explained.at("explained").as_bool());
  CHECK(explained.at("gap_record_sequence").as_int64() == 5);
}

TEST_CASE("ingest: request errors", "[store-ingest]") {
  StoreFixture f;
  auto key = new_host_key();
  const std::string host = f.enrolled_host(key);
  auto signed_request = [&](const std::string& body) {
    auto auth = request_auth::make_authorization(key, host, "POST", "/v1/evidence", body, f.now / 1000);
    REQUIRE(auth.ok());
    return f.api->handle(make_request("POST", "/v1/evidence", body, {{"authorization", *auth}}));
  };
  SECTION("no authorization") {
    auto r = f.api->handle(make_request("POST", "/v1/evidence", "{}"));
    CHECK(r.status == 401);
    REQUIRE(!r.headers.empty());
    CHECK(r.headers[0].second == "Vigil-Host");
  }
  SECTION("a signature over another body") {
    auto auth = request_auth::make_authorization(key, host, "POST", "/v1/evidence", "{}", f.now / 1000);
    REQUIRE(auth.ok());
    auto r = f.api->handle(make_request("POST", "/v1/evidence", R"({"host_id":"x","envelopes":[]})",
                                        {{"authorization", *auth}}));
    CHECK(r.status == 401);
  }
  SECTION("an unknown host") {
    auto auth = request_auth::make_authorization(key, "h-nobody", "POST", "/v1/evidence", "{}", f.now / 1000);
    REQUIRE(auth.ok());
    auto r = f.api->handle(make_request("POST", "/v1/evidence", "{}", {{"authorization", *auth}}));
    CHECK(r.status == 401);
    CHECK_THAT(test::error_message(r), Catch::Contains("unknown host"));
  }
  SECTION("a clock too far off") {
    f.now += 3600000;
    auto auth =
        request_auth::make_authorization(key, host, "POST", "/v1/evidence", "{}", (f.now - 3600000) / 1000);
    REQUIRE(auth.ok());
    CHECK(f.api->handle(make_request("POST", "/v1/evidence", "{}", {{"authorization", *auth}})).status ==
          401);
  }
  SECTION("the signature covers the body as received, before decompression") {
    const std::string json = R"({"host_id":")" + host + R"(","envelopes":[]})";
    const std::string raw = "gzip bytes as received";
    auto auth = request_auth::make_authorization(key, host, "POST", "/v1/evidence", raw, f.now / 1000);
    REQUIRE(auth.ok());
    auto req = make_request("POST", "/v1/evidence", json, {{"authorization", *auth}});
    req.raw_body = raw;
    CHECK(f.api->handle(req).status == 200);
    auto over_json = request_auth::make_authorization(key, host, "POST", "/v1/evidence", json, f.now / 1000);
    req.headers = {{"authorization", *over_json}};
    CHECK(f.api->handle(req).status == 401);
  }
  SECTION("malformed JSON") {
    CHECK(signed_request("{\"host_id\":").status == 400);
  }
  SECTION("a wrong type") {
    CHECK(signed_request(R"({"host_id":")" + host + R"(","envelopes":[1]})").status == 400);
  }
  SECTION("an unknown field") {
    auto r = signed_request(R"({"host_id":")" + host + R"(","envelopes":[],"extra":1})");
    CHECK(r.status == 400);
    CHECK_THAT(test::error_message(r), Catch::Contains("extra"));
  }
  SECTION("more than 1000 envelopes") {
    boost::json::array many;
    for (int i = 0; i < 1001; ++i) many.emplace_back("x");
    auto r =
        signed_request(boost::json::serialize(boost::json::object{{"host_id", host}, {"envelopes", many}}));
    CHECK(r.status == 400);
    CHECK_THAT(test::error_message(r), Catch::Contains("at most 1000"));
  }
}
