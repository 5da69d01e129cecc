// Waivers: a failing result a current waiver matches shows as "waived" with
// the waiver; expired or revoked waivers stop applying; selectors.
#include <catch2/catch.hpp>

#include "agent/chain_support.hpp"
#include "store/store_support.hpp"

using namespace vigil;
using namespace vigil::store;
using vigil::test::body_json;
using vigil::test::error_message;
using vigil::test::new_host_key;
using vigil::test::StoreFixture;

namespace {


struct Waived {
  StoreFixture f;
  crypto::HostKey key = new_host_key();
  std::string host, analyst;
  Waived() {
    host = f.enrolled_host(key);
    auto scan = test::sample_scan();  // test.check-0 fails
    REQUIRE(f.ingest(host, key, test::sign_chain(key, scan, 1).envelopes).status == 200);
    analyst = f.person_token(Role::analyst, "bob");
  }
  Response waive(const std::string& hosts, const std::string& expires = "7d") {
    return f.post("/v1/waivers",
                  boost::json::object{{"check", "test.check-0"},
                                      {"hosts", hosts},
                                      {"owner", "ops team"},
                                      {"reason", "legacy sshd until migration"},
                                      {"expires", expires}},
                  analyst);
  }
  std::string verdict_of_check0() {
    auto r = f.get("/v1/hosts/" + host, analyst);
    REQUIRE(r.status == 200);
    const boost::json::value j1 = body_json(r);
    for (const auto& c : j1.at("checks").as_array())
      if (c.at("check") == "test.check-0") return std::string(c.at("verdict").as_string());
    FAIL("no test.check-0");
    return "";
  }
  std::int64_t waived_in_controls() {
    auto r = f.get("/v1/controls", analyst);
    const boost::json::value j2 = body_json(r);
    for (const auto& c : j2.at("controls").as_array())
      if (c.at("control") == "A.8.5") return c.at("latest").at("waived").as_int64();
    return -1;
  }
};

}  // namespace

TEST_CASE("waivers: a matching waiver makes a failing result waived", "[store-waivers]") {
  Waived w;
  CHECK(w.verdict_of_check0() == "fail");
  const std::vector<std::pair<std::string, bool>> selectors = {
      {"*", true}, {"HOST", true}, {"scope:site=lab", true}, {"scope:site=elsewhere", false}};
  for (const auto& [sel, applies] : selectors) {
    SECTION(sel) {
      const std::string selector = sel == "HOST" ? w.host : sel;
      auto r = w.waive(selector);
      INFO(r.body);
      REQUIRE(r.status == 201);
      CHECK(body_json(r).at("state") == "active");
      CHECK(w.verdict_of_check0() == (applies ? "waived" : "fail"));
      CHECK(w.waived_in_controls() == (applies ? 1 : 0));
    }
  }
}

TEST_CASE("waivers: the waiver is the evidence, expiry and revocation end it", "[store-waivers]") {
  Waived w;
  auto made = w.waive("*", "1h");
  REQUIRE(made.status == 201);
  const std::string id(body_json(made).at("id").as_string());
  auto host = w.f.get("/v1/hosts/" + w.host, w.analyst);
  const boost::json::value j3 = body_json(host);
  for (const auto& c : j3.at("checks").as_array()) {
    if (c.at("check") != "test.check-0") continue;
    CHECK(c.at("signed_verdict") == "fail");
    CHECK(c.at("waiver").at("id").as_string() == id);
    CHECK(c.at("waiver").at("owner") == "ops team");
  }
  SECTION("expired") {
    w.f.now += 2 * 3600000;
    CHECK(w.verdict_of_check0() == "fail");
    auto list = w.f.get("/v1/waivers", w.analyst);
    CHECK(body_json(list).at("waivers").at(0).at("state") == "expired");
  }
  SECTION("revoked") {
    CHECK(w.f.del("/v1/waivers/" + id, w.analyst).status == 200);
    CHECK(w.verdict_of_check0() == "fail");
    CHECK(w.f.del("/v1/waivers/" + id, w.analyst).status == 404);
    auto list = w.f.get("/v1/waivers", w.analyst);
    CHECK(body_json(list).at("waivers").at(0).at("state") == "revoked");
  }
}

TEST_CASE("waivers: bad requests", "[store-waivers]") {
  Waived w;
  struct Case {
    boost::json::object body;
    const char* message;
  };
  const std::vector<Case> cases = {
      {{{"check", "c"}, {"hosts", "h-nope"}, {"owner", "o"}, {"reason", "r"}, {"expires", "7d"}},
       "no host h-nope"},
      {{{"check", "c"}, {"hosts", "scope:site"}, {"owner", "o"}, {"reason", "r"}, {"expires", "7d"}},
       "scope:KEY=VALUE"},
      {{{"check", "c"}, {"hosts", "*"}, {"owner", "o"}, {"reason", "r"}, {"expires", "2020-01-01T00:00:00Z"}},
       "past"},
      {{{"check", "c"}, {"hosts", "*"}, {"owner", "o"}, {"reason", "r"}, {"expires", "soon"}}, "duration"},
      {{{"check", "c"}, {"hosts", "*"}, {"owner", "o"}, {"reason", "r"}}, "\"expires\" is required"},
      {{{"check", "c"}, {"hosts", "*"}, {"owner", "o"}, {"reason", ""}, {"expires", "7d"}},
       "must not be empty"},
      {{{"check", "c"}, {"hosts", "*"}, {"owner", "o"}, {"reason", "r"}, {"expires", "7d"}, {"x", 1}},
       "unknown field"},
  };
  for (const auto& c : cases) {
    auto r = w.f.post("/v1/waivers", c.body, w.analyst);
    CAPTURE(r.body);
    CHECK(r.status == 400);
    CHECK_THAT(error_message(r), Catch::Contains(c.message));
  }
}
