// Hosts, controls, drift and export after two scans with a changed verdict;
// roles and routing.
#include <catch2/catch.hpp>

#include "agent/chain_support.hpp"
#include "attest.hpp"
#include "sqlite.hpp"
#include "store/store_support.hpp"
#include "verify.hpp"

using namespace vigil;
using namespace vigil::store;
using vigil::test::body_json;
using vigil::test::make_request;
using vigil::test::new_host_key;
using vigil::test::StoreFixture;

namespace {


// Two scans of the sample host: test.check-1 passes in the first and fails in the second.
std::vector<std::string> two_scans(const crypto::HostKey& key,
                                   const std::string& machine = test::kSampleHost) {
  auto first = test::sample_scan(6, "", 1767225600000);
  auto second = test::sample_scan(6, "", 1767225600000 + 600000);
  first.meta.host["machine_id"] = machine;
  second.meta.host["machine_id"] = machine;
  second.report.results[1].verdict = agent::Verdict::fail;
  second.report.results[1].message = "now failing";
  auto a = test::sign_chain(key, first, 1);
  auto b = test::sign_chain(key, second, 1, 2, a.digests[0]);
  return {a.envelopes[0], b.envelopes[0]};
}

const boost::json::object* find_by(const boost::json::array& a, const char* key, std::string_view value) {
  for (const auto& v : a)
    if (v.at(key).as_string() == value) return &v.as_object();
  return nullptr;
}

struct TwoScans {
  StoreFixture f;
  crypto::HostKey key = new_host_key();
  std::string host;
  std::string reader;
  TwoScans() {
    host = f.enrolled_host(key);
    auto r = f.ingest(host, key, two_scans(key));
    REQUIRE(r.status == 200);
    reader = f.person_token(Role::auditor);
  }
};

}  // namespace

TEST_CASE("hosts: posture after two scans", "[store-api]") {
  TwoScans s;
  auto list = s.f.get("/v1/hosts", s.reader);
  REQUIRE(list.status == 200);
  const boost::json::value j1 = body_json(list);
  const auto& hosts = j1.at("hosts").as_array();
  REQUIRE(hosts.size() == 1);
  CHECK(hosts[0].at("identity") == test::kSampleHost);
  CHECK(hosts[0].at("chain").at("status") == "ok");
  // sample_scan: checks 0 and 3 fail; the second scan makes check 1 fail too.
  CHECK(hosts[0].at("counts").at("fail").as_int64() == 3);
  CHECK(hosts[0].at("counts").at("pass").as_int64() == 3);
  CHECK(hosts[0].at("scope").at("site") == "lab");

  auto one = s.f.get("/v1/hosts/" + s.host, s.reader);
  REQUIRE(one.status == 200);
  const boost::json::value j2 = body_json(one);
  const auto* check1 = find_by(j2.at("checks").as_array(), "check", "test.check-1");
  REQUIRE(check1 != nullptr);
  CHECK(check1->at("verdict") == "fail");
  CHECK(check1->at("sequence").as_int64() == 2);
  CHECK(check1->at("message") == "now failing");
  CHECK(check1->at("evidence").at("total_rows").as_int64() == 5);
  CHECK(s.f.get("/v1/hosts/h-unknown", s.reader).status == 404);
}

TEST_CASE("hosts: evidence comes from the stored envelope, and a damaged span is an error", "[store-api]") {
  TwoScans s;
  // The store keeps where each result's evidence lies in the payload, not a
  // second copy of it.
  auto db = sql::Database::open(s.f.db_path());
  REQUIRE(db.ok());
  CHECK(*db->query_int("SELECT COUNT(*) FROM results") == 12);
  CHECK(*db->query_int("SELECT COUNT(*) FROM results WHERE evidence = '' AND evidence_size > 0") == 12);
  // Each check shows what its signed statement says.
  const auto envelopes = two_scans(s.key);
  auto statement = agent::decode_statement(agent::parse_envelope(envelopes[1]).value()).value();
  const auto& signed_results = statement.predicate.at("results").as_array();
  auto one = s.f.get("/v1/hosts/" + s.host, s.reader);
  REQUIRE(one.status == 200);
  const boost::json::value j = body_json(one);
  const auto& checks = j.at("checks").as_array();
  REQUIRE(checks.size() == signed_results.size());
  for (const auto& r : signed_results) {
    const auto* c = find_by(checks, "check", r.at("check").as_string());
    REQUIRE(c != nullptr);
    CHECK(c->at("evidence") == r.at("evidence"));
  }
  // A row from schema v1 has its text inline and no span.
  REQUIRE(db->exec("UPDATE results SET evidence = '{\"rows\":[],\"v1\":true}', evidence_offset = NULL,"
                   " evidence_size = NULL WHERE check_id = 'test.check-2' AND sequence = 2")
              .ok());
  auto legacy = s.f.get("/v1/hosts/" + s.host, s.reader);
  REQUIRE(legacy.status == 200);
  const boost::json::value jl = body_json(legacy);
  CHECK(find_by(jl.at("checks").as_array(), "check", "test.check-2")->at("evidence").at("v1") == true);
  // A span that moved, or lies outside the payload, is damage: an error,
  // never empty evidence.
  REQUIRE(db->exec("UPDATE results SET evidence_offset = evidence_offset + 1 WHERE check_id = 'test.check-1'"
                   " AND sequence = 2")
              .ok());
  CHECK(s.f.get("/v1/hosts/" + s.host, s.reader).status == 500);
  REQUIRE(db->exec("UPDATE results SET evidence_offset = 10000000 WHERE check_id = 'test.check-1'"
                   " AND sequence = 2")
              .ok());
  CHECK(s.f.get("/v1/hosts/" + s.host, s.reader).status == 500);
  // The fleet view does not read evidence, so it still answers.
  CHECK(s.f.get("/v1/hosts", s.reader).status == 200);
}

TEST_CASE("drift: the changed verdict is a transition", "[store-api]") {
  TwoScans s;
  auto r = s.f.get("/v1/drift?since=2025-12-31T00:00:00Z&check=test.check-1", s.reader);
  REQUIRE(r.status == 200);
  const boost::json::value j3 = body_json(r);
  const auto& ts = j3.at("transitions").as_array();
  REQUIRE(ts.size() == 2);
  CHECK(ts[0].at("from").is_null());
  CHECK(ts[0].at("to") == "pass");
  CHECK(ts[1].at("from") == "pass");
  CHECK(ts[1].at("to") == "fail");
  CHECK(ts[1].at("sequence").as_int64() == 2);
  auto none = s.f.get("/v1/drift?since=2026-01-02T00:00:00Z", s.reader);
  CHECK(body_json(none).at("transitions").as_array().empty());
  CHECK(s.f.get("/v1/drift?since=yesterday", s.reader).status == 400);
  CHECK(s.f.get("/v1/drift?sinse=2026-01-01T00:00:00Z", s.reader).status == 400);
}

TEST_CASE("controls: hosts covered, latest counts and compliance over the period", "[store-api]") {
  TwoScans s;
  auto r = s.f.get("/v1/controls?from=2025-12-31T00:00:00Z&to=2026-01-02T00:00:00Z", s.reader);
  REQUIRE(r.status == 200);
  const boost::json::value j4 = body_json(r);
  const auto& cs = j4.at("controls").as_array();
  // A.8.5: every sample check maps to it.
  const auto* a85 = find_by(cs, "control", "A.8.5");
  REQUIRE(a85 != nullptr);
  CHECK(a85->at("hosts").as_int64() == 1);
  CHECK(a85->at("latest").at("fail").as_int64() == 3);
  CHECK(a85->at("latest").at("pass").as_int64() == 3);
  CHECK(a85->at("period").at("pass").as_int64() == 7);  // 4 + 3
  CHECK(a85->at("period").at("fail").as_int64() == 5);  // 2 + 3
  CHECK(a85->at("compliance").as_double() == Approx(7.0 / 12.0));
  // A period with no scan: no compliance figure, latest still shown.
  auto empty = s.f.get("/v1/controls?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z", s.reader);
  const boost::json::value j5 = body_json(empty);
  const auto* e85 = find_by(j5.at("controls").as_array(), "control", "A.8.5");
  REQUIRE(e85 != nullptr);
  CHECK(e85->at("compliance").is_null());
  CHECK(s.f.get("/v1/controls?from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", s.reader).status == 400);
}

TEST_CASE("export: one host's bundle verifies with the enrolled key, a set verifies per host",
          "[store-api]") {
  TwoScans s;
  auto r =
      s.f.get("/v1/export?host=" + s.host + "&from=2025-12-31T00:00:00Z&to=2026-01-02T00:00:00Z", s.reader);
  REQUIRE(r.status == 200);
  agent::VerifyOptions opts;
  opts.pinned_key = s.key.public_key();
  auto report = agent::verify_bundle(r.body, opts);
  INFO(agent::verify_report_text(report, "export"));
  CHECK(report.ok());
  CHECK(report.scans == 2);

  auto key2 = new_host_key();
  const std::string host2 = s.f.enrolled_host(key2, "second-machine");
  REQUIRE(s.f.ingest(host2, key2, two_scans(key2, "second-machine")).status == 200);
  auto all = s.f.get("/v1/export?control=A.8.5", s.reader);
  REQUIRE(all.status == 200);
  auto set = agent::split_bundle_set(all.body);
  REQUIRE(set.ok());
  REQUIRE(set->has_value());
  REQUIRE((*set)->size() == 2);
  for (const auto& b : **set) CHECK(agent::verify_bundle(b).ok());

  auto oscal = s.f.get("/v1/export?host=" + s.host + "&format=oscal", s.reader);
  REQUIRE(oscal.status == 200);
  CHECK(body_json(oscal).at("assessment-results").is_object());
  CHECK(s.f.get("/v1/export?format=oscal", s.reader).status == 400);
  CHECK(s.f.get("/v1/export?control=A.99", s.reader).status == 400);
  CHECK(s.f.get("/v1/export?host=h-nope", s.reader).status == 404);
}

TEST_CASE("roles and routing", "[store-api]") {
  StoreFixture f;
  const std::string admin = f.person_token(Role::admin);
  const std::string analyst = f.person_token(Role::analyst);
  const std::string auditor = f.person_token(Role::auditor);
  const boost::json::object waiver{
      {"check", "c"}, {"hosts", "*"}, {"owner", "o"}, {"reason", "r"}, {"expires", "7d"}};
  struct Case {
    const char* what;
    Response response;
    unsigned status;
  };
  const std::vector<Case> cases = {
      {"auditor cannot POST a waiver", f.post("/v1/waivers", waiver, auditor), 403},
      {"analyst may POST a waiver", f.post("/v1/waivers", waiver, analyst), 201},
      {"analyst cannot create tokens",
       f.post("/v1/tokens", boost::json::object{{"role", "auditor"}}, analyst), 403},
      {"analyst cannot read the audit log", f.get("/v1/audit", analyst), 403},
      {"admin creates tokens", f.post("/v1/tokens", boost::json::object{{"role", "auditor"}}, admin), 201},
      {"auditor reads hosts", f.get("/v1/hosts", auditor), 200},
      {"a bad token", f.get("/v1/hosts", "vst_wrong"), 401},
      {"no token", f.api->handle(make_request("GET", "/v1/hosts")), 401},
      {"no such endpoint", f.get("/v1/nothing", admin), 404},
      {"wrong method", f.api->handle(make_request("PUT", "/v1/hosts")), 405},
      {"health needs no token", f.api->handle(make_request("GET", "/v1/health")), 200},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what, c.response.body);
    CHECK(c.response.status == c.status);
  }
  auto none = f.api->handle(make_request("GET", "/v1/hosts"));
  REQUIRE(!none.headers.empty());
  CHECK(none.headers[0].first == "WWW-Authenticate");

  // A revoked token stops working.
  auto made = f.post("/v1/tokens", boost::json::object{{"role", "auditor"}, {"name", "temp"}}, admin);
  const std::string secret(body_json(made).at("token").as_string());
  const std::string id(body_json(made).at("id").as_string());
  CHECK(secret.rfind("vst_", 0) == 0);
  CHECK(f.get("/v1/hosts", secret).status == 200);
  CHECK(f.del("/v1/tokens/" + id, admin).status == 200);
  CHECK(f.get("/v1/hosts", secret).status == 401);
  CHECK(f.del("/v1/tokens/" + id, admin).status == 404);
  auto listed = f.get("/v1/tokens", admin);
  CHECK(listed.body.find(secret) == std::string::npos);
}
