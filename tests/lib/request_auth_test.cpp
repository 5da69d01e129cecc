#include "request_auth.hpp"

#include <catch2/catch.hpp>

using namespace vigil;

TEST_CASE("request_auth: a signed request verifies, and any change to it does not", "[request_auth]") {
  auto key = crypto::HostKey::generate();
  REQUIRE(key);
  auto header = request_auth::make_authorization(*key, "h-1", "POST", "/v1/evidence", "body", 1000);
  REQUIRE(header);
  auto creds = request_auth::parse_authorization(*header);
  REQUIRE(creds);
  CHECK(creds->host_id == "h-1");
  CHECK(creds->time_s == 1000);
  CHECK(request_auth::verify(*creds, key->public_key(), "POST", "/v1/evidence", "body", 1100).ok());

  struct Case {
    const char* what;
    const char* method;
    const char* target;
    const char* body;
    std::int64_t now;
  };
  const Case cases[] = {
      {"method", "PUT", "/v1/evidence", "body", 1000},
      {"target", "POST", "/v1/evidence?x=1", "body", 1000},
      {"body", "POST", "/v1/evidence", "bodY", 1000},
      {"too late", "POST", "/v1/evidence", "body", 1000 + request_auth::kMaxClockSkewSeconds + 1},
      {"too early", "POST", "/v1/evidence", "body", 1000 - request_auth::kMaxClockSkewSeconds - 1},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK_FALSE(request_auth::verify(*creds, key->public_key(), c.method, c.target, c.body, c.now).ok());
  }
  auto other = crypto::HostKey::generate();
  REQUIRE(other);
  CHECK_FALSE(request_auth::verify(*creds, other->public_key(), "POST", "/v1/evidence", "body", 1000).ok());
}

TEST_CASE("request_auth: malformed headers are refused with the reason", "[request_auth]") {
  const std::pair<const char*, const char*> cases[] = {
      {"Bearer abc", "scheme"},
      {"Vigil-Host", "scheme"},
      {"Vigil-Host host=\"h\", time=\"1\"", "missing sig"},
      {"Vigil-Host host=\"h\", host=\"h\", time=\"1\", sig=\"AA==\"", "twice"},
      {"Vigil-Host host=\"h\", time=\"x\", sig=\"AA==\"", "time"},
      {"Vigil-Host host=\"h\", time=\"1\", sig=\"AA==\"", "sig is not"},
      {"Vigil-Host host=\"a b\", time=\"1\", sig=\"AA==\"", "host"},
      {"Vigil-Host host=h, time=\"1\", sig=\"AA==\"", "quoted"},
      {"Vigil-Host host=\"h\" time=\"1\"", "expected ','"},
      {"Vigil-Host user=\"h\", time=\"1\", sig=\"AA==\"", "unknown field"},
  };
  for (const auto& [header, reason] : cases) {
    INFO(header);
    auto r = request_auth::parse_authorization(header);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::parse);
    CHECK_THAT(r.error().message, Catch::Contains(reason));
  }
}
