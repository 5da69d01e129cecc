// Enrollment against a fake store: the request carries a proof that verifies
// with the public key it sends; 201/200 give the enrollment, 401/409 and
// off-protocol answers are clear errors; enrollment.json round-trips.
#include <sys/stat.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <functional>

#include "agent/cache_test_support.hpp"
#include "background_process.hpp"
#include "cli.hpp"
#include "cli_store.hpp"
#include "enrollment.hpp"
#include "file_io.hpp"
#include "test_support.hpp"

using namespace vigil;
using namespace vigil::agent;
using vigil::agent::Verdict;

namespace {

class FakeStore final : public HttpTransport {
 public:
  std::function<HttpResponse(const boost::json::object&)> answer;
  std::string last_target;
  Result<HttpResponse> post(const std::string& target, const HttpHeaders& headers,
                            std::string_view body) override {
    last_target = target;
    CHECK(headers.at(0).first == "Content-Type");
    return answer(boost::json::parse(body).as_object());
  }
  std::string target(std::string_view path) const override { return std::string(path); }
};

HttpResponse response(long status, const std::string& body) {
  HttpResponse r;
  r.status = status;
  r.body = body;
  return r;
}

EnrollRequest request() {
  EnrollRequest r;
  r.token = "vse_test";
  r.host = "0123abcd";
  r.facts = {{"hostname", "web-1"}, {"machine_id", "0123abcd"}, {"agent_version", "0.1.0"}};
  return r;
}

}  // namespace

TEST_CASE("enroll: the request proves the key, and 201 or 200 enrolls", "[enroll]") {
  auto key = crypto::HostKey::generate();
  REQUIRE(key.ok());
  FakeStore store;
  for (long status : {201L, 200L}) {
    INFO(status);
    store.answer = [&](const boost::json::object& o) {
      CHECK(o.at("token").as_string() == "vse_test");
      CHECK(o.at("host").as_string() == "0123abcd");
      CHECK(o.at("facts").as_object().at("hostname").as_string() == "web-1");
      auto pub = crypto::PublicKey::from_pem(std::string(o.at("public_key").as_string()), "request");
      REQUIRE(pub.ok());
      CHECK(pub->key_id() == key->key_id());
      auto proof = crypto::base64_decode(std::string(o.at("proof").as_string()));
      REQUIRE(proof.ok());
      CHECK(pub->verify(enroll_proof_message("0123abcd", "vse_test"), *proof));
      CHECK_FALSE(pub->verify(enroll_proof_message("0123abcd", "vse_other"), *proof));
      return response(
          status,
          boost::json::serialize(boost::json::object{
              {"host_id", "h-42"}, {"key_id", key->key_id()}, {"enrolled_at", "2026-12-02T10:00:00Z"}}));
    };
    auto e = enroll_host(store, *key, request());
    INFO((e ? "" : e.error().message));
    REQUIRE(e.ok());
    CHECK(store.last_target == "/v1/enroll");
    CHECK(e->host_id == "h-42");
    CHECK(e->key_id == key->key_id());
    CHECK(e->host == "0123abcd");
    CHECK(e->enrolled_at == "2026-12-02T10:00:00Z");
  }
}

TEST_CASE("enroll: refusals and off-protocol answers are clear errors", "[enroll]") {
  auto key = crypto::HostKey::generate();
  REQUIRE(key.ok());
  FakeStore store;
  struct Case {
    long status;
    std::string body;
    const char* says;
  };
  const std::string err401 = R"({"error":{"status":401,"code":"unauthorized","message":"token expired"}})";
  const std::string err409 =
      R"({"error":{"status":409,"code":"conflict","message":"enrolled with key 3f2a"}})";
  for (const Case& c :
       {Case{401, err401, "token expired"}, Case{409, err409, "allow-rekey"}, Case{500, "oops", "500"},
        Case{201, "not json", "not a JSON object"}, Case{201, R"({"key_id":"x"})", "host_id"},
        Case{201, R"({"host_id":"h\"1","key_id":"x"})", "not a valid host id"},
        Case{201, R"({"host_id":"h-1","key_id":"beef"})", "not this host's key"}}) {
    INFO(c.status << " " << c.body);
    store.answer = [&](const boost::json::object&) { return response(c.status, c.body); };
    auto e = enroll_host(store, *key, request());
    REQUIRE_FALSE(e.ok());
    CHECK_THAT(e.error().message, Catch::Contains(c.says));
  }
  store.answer = [&](const boost::json::object&) { return response(409, err409); };
  CHECK_THAT(enroll_host(store, *key, request()).error().message, Catch::Contains("enrolled with key 3f2a"));
  auto empty = request();
  empty.token.clear();
  CHECK_FALSE(enroll_host(store, *key, empty).ok());
}

TEST_CASE("enroll: enrollment.json is written atomically 0644 and read back", "[enroll]") {
  test::TempDir dir;
  Enrollment e;
  e.store = "https://store.example:8443";
  e.host_id = "h-42";
  e.key_id = std::string(64, 'a');
  e.host = "0123abcd";
  e.enrolled_at = "2026-12-02T10:00:00Z";
  e.tls = TlsOptions{"/etc/vigil/ca.pem", "sha256//x", "/etc/vigil/c.pem", "/etc/vigil/k.pem"};
  CHECK(load_enrollment(dir.path()).is(Errc::not_found));
  REQUIRE(save_enrollment(dir.path(), e).ok());
  struct stat st {};
  REQUIRE(::stat((dir.path() + "/enrollment.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
  auto back = load_enrollment(dir.path());
  REQUIRE(back.ok());
  CHECK(back->store == e.store);
  CHECK(back->host_id == e.host_id);
  CHECK(back->key_id == e.key_id);
  CHECK(back->tls.ca_file == e.tls.ca_file);
  CHECK(back->tls.pinned_public_key == e.tls.pinned_public_key);
  CHECK(back->tls.client_key == e.tls.client_key);
  CHECK_THAT(parse_enrollment("{}", "x.json").error().message,
             Catch::Contains("x.json") && Catch::Contains("store"));
  CHECK_FALSE(parse_enrollment(R"({"store":"s","host_id":"a b","key_id":"k"})", "x").ok());
}

TEST_CASE("enroll: vigil ship refuses clearly when the host is not enrolled", "[enroll]") {
  test::TempDir dir;
  std::ostringstream out, err;
  const int rc = run_cli({"vigil", "ship", "--state-dir", dir.path()}, out, err);
  CHECK(rc == kExitUsage);
  CHECK_THAT(err.str(), Catch::Contains("not enrolled") && Catch::Contains("vigil enroll"));
  std::ostringstream out2, err2;
  CHECK(run_cli({"vigil", "enroll", "--store", "http://store", "--token", "t", "--state-dir", dir.path()},
                out2, err2) == kExitUsage);
  CHECK_THAT(err2.str(), Catch::Contains("https"));
  std::ostringstream out3, err3;
  CHECK(run_cli({"vigil", "ship", "--help"}, out3, err3) == kExitOk);
  CHECK_THAT(out3.str(), Catch::Contains("Exit codes"));
}

TEST_CASE("enroll: vigil status shows set-aside envelopes with the reason, and the enrollment", "[enroll]") {
  test::TempDir dir;
  std::int64_t clock = 1'700'000'000'000;
  {
    auto cache = test::open_ok(test::options(dir.path(), &clock));
    test::ScanFactory f(2);
    for (int i = 0; i < 4; ++i) test::record(cache, f, {Verdict::pass, Verdict::fail}, ++clock);
    auto first = cache.unshipped_envelopes(0, 2);
    REQUIRE(first.ok());
    REQUIRE(first->size() == 2);
    CHECK((*first)[0].sequence == 1);
    CHECK((*first)[1].sequence == 2);
    CHECK_FALSE((*first)[0].bytes.empty());
    REQUIRE(cache.mark_shipped(1, clock).ok());
    REQUIRE(cache.set_aside(2, "rejected by the store: fork at 2").ok());
    auto rest = cache.unshipped_envelopes(0, 10);
    REQUIRE(rest.ok());
    REQUIRE(rest->size() == 2);
    CHECK((*rest)[0].sequence == 3);
    CHECK(cache.unshipped_envelopes(3, 10)->size() == 1);
  }
  std::ostringstream out, err;
  REQUIRE(run_cli({"vigil", "status", "--state-dir", dir.path()}, out, err) == kExitOk);
  CHECK_THAT(out.str(), Catch::Contains("sequence 2") && Catch::Contains("fork at 2"));
  CHECK_THAT(out.str(), Catch::Contains("not enrolled"));
  Enrollment e;
  e.store = "https://store.example";
  e.host_id = "h-42";
  e.key_id = "k";
  REQUIRE(save_enrollment(dir.path(), e).ok());
  std::ostringstream out2, err2;
  REQUIRE(run_cli({"vigil", "status", "--state-dir", dir.path(), "--format", "json"}, out2, err2) == kExitOk);
  auto v = boost::json::parse(out2.str()).as_object();
  CHECK(v.at("enrollment").as_object().at("host_id").as_string() == "h-42");
  REQUIRE(v.at("set_aside_envelopes").as_array().size() == 1);
  CHECK(v.at("set_aside_envelopes").as_array()[0].as_object().at("reason").as_string() ==
        "rejected by the store: fork at 2");
  CHECK(v.at("last_shipped_at").is_string());
  std::ostringstream out3, err3;
  REQUIRE(run_cli({"vigil", "status", "--state-dir", dir.path()}, out3, err3) == kExitOk);
  CHECK_THAT(out3.str(), Catch::Contains("https://store.example, host id h-42; last shipped"));
}

TEST_CASE("enroll: vigil ship exits 3 with a retry delay when the store cannot be reached", "[enroll]") {
  test::TempDir dir;
  std::int64_t clock = 1'700'000'000'000;
  {
    auto cache = test::open_ok(test::options(dir.path(), &clock));
    test::ScanFactory f(2);
    test::record(cache, f, {Verdict::pass, Verdict::fail}, ++clock);
  }
  auto key = crypto::load_or_create_host_key(dir.path());
  REQUIRE(key.ok());
  Enrollment e;
  e.store = "https://127.0.0.1:" + std::to_string(test::free_loopback_port());  // nothing listens
  e.host_id = "h-42";
  e.key_id = key->key_id();
  REQUIRE(save_enrollment(dir.path(), e).ok());
  std::ostringstream out, err;
  const int rc = run_cli({"vigil", "ship", "--state-dir", dir.path(), "--timeout", "5"}, out, err);
  INFO(out.str() << err.str());
  CHECK(rc == kExitShipRetry);
  CHECK_THAT(err.str(), Catch::Contains("could not connect") && Catch::Contains("try again in"));
  CHECK_THAT(out.str(), Catch::Contains("1 left to send"));
  // Another key than the enrolled one is refused before anything is sent.
  e.key_id = std::string(64, '0');
  REQUIRE(save_enrollment(dir.path(), e).ok());
  std::ostringstream out2, err2;
  CHECK(run_cli({"vigil", "ship", "--state-dir", dir.path()}, out2, err2) == kExitUsage);
  CHECK_THAT(err2.str(), Catch::Contains("not the enrolled key"));
}
