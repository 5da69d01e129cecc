// The shipper against a fake store (FakeStore below): batches, ordering,
// acknowledgements, set-aside, malformed answers, 429/503/transport errors
// and their backoff; and the backoff table.
#include "shipper.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <functional>

#include "agent/cache_test_support.hpp"
#include "decompress.hpp"
#include "request_auth.hpp"
#include "test_support.hpp"

using namespace vigil;
using namespace vigil::agent;
using vigil::test::TempDir;

namespace {

struct Request {
  std::string target;
  HttpHeaders headers;
  std::vector<std::string> envelopes;
  std::string raw;  // as sent
};

std::string header_of(const HttpHeaders& h, const std::string& name) {
  for (const auto& [k, v] : h)
    if (k == name) return v;
  return {};
}

// A store that decodes what the shipper sends, checks the host signature,
// and answers with what `answer` says for each envelope (or a whole response).
class FakeStore final : public HttpTransport {
 public:
  explicit FakeStore(const crypto::PublicKey& key) : key_(key) {}
  std::vector<Request> requests;
  // Per envelope (sequence): "accepted", "duplicate" or "rejected"; default accepted.
  std::function<std::string(std::int64_t)> status_of = [](std::int64_t) { return std::string("accepted"); };
  // When set, replaces the whole answer of the next requests.
  std::function<Result<HttpResponse>(const Request&)> override_answer;

  Result<HttpResponse> post(const std::string& target, const HttpHeaders& headers,
                            std::string_view body) override {
    Request r{target, headers, {}, std::string(body)};
    std::string text(body);
    if (header_of(headers, "Content-Encoding") == "gzip") {
      auto d = decompress(body, Compression::gzip, 64u << 20);
      REQUIRE(d.ok());
      text = *d;
    }
    auto creds = request_auth::parse_authorization(header_of(headers, "Authorization"));
    REQUIRE(creds.ok());
    CHECK(creds->host_id == "h-test");
    CHECK(request_auth::verify(*creds, key_, "POST", target, body, 1'700'000'000).ok());
    auto v = boost::json::parse(text);
    REQUIRE(v.as_object().at("host_id").as_string() == "h-test");
    for (const auto& e : v.as_object().at("envelopes").as_array()) r.envelopes.emplace_back(e.as_string());
    requests.push_back(r);
    if (override_answer) return override_answer(r);
    boost::json::array results;
    for (std::size_t i = 0; i < r.envelopes.size(); ++i) {
      const auto seq = boost::json::parse(r.envelopes[i]).as_object().at("sequence").as_int64();
      boost::json::object o{{"index", i},
                            {"sequence", seq},
                            {"digest", crypto::sha256_hex(r.envelopes[i])},
                            {"status", status_of(seq)}};
      if (status_of(seq) == "rejected") o["reason"] = "signature does not verify (test)";
      results.push_back(std::move(o));
    }
    HttpResponse resp;
    resp.status = 200;
    resp.body = boost::json::serialize(boost::json::object{{"host_id", "h-test"}, {"results", results}});
    return resp;
  }
  std::string target(std::string_view path) const override { return "/prefix" + std::string(path); }

 private:
  crypto::PublicKey key_;
};

HttpResponse status_response(long status, std::string body = {},
                             std::map<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::int64_t seq_of(const std::string& envelope) {
  return boost::json::parse(envelope).as_object().at("sequence").as_int64();
}

struct Fixture {
  TempDir dir;
  std::int64_t clock = 1'700'000'000'000;
  Cache cache = test::open_ok(test::options(dir.path(), &clock));
  test::ScanFactory factory{2};
  crypto::HostKey key = *crypto::HostKey::generate();
  FakeStore store{key.public_key()};

  void record(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) test::record(cache, factory, {Verdict::pass, Verdict::fail}, ++clock);
  }
  ShipperOptions options(std::size_t count = 100, std::size_t bytes = 8u << 20) {
    ShipperOptions o;
    o.host_id = "h-test";
    o.batch_count = count;
    o.batch_bytes = bytes;
    o.now_s = [] { return std::int64_t{1'700'000'000}; };
    o.random = [](std::int64_t upper) { return upper; };  // the top of the jitter range
    return o;
  }
  std::int64_t depth() { return cache.status()->outbox_depth; }
};

}  // namespace

TEST_CASE("shipper: drains the outbox in sequence order, in batches of the count cap", "[shipper]") {
  Fixture f;
  f.record(25);
  Shipper s(f.cache, f.key, f.store, f.options(10));
  const DrainReport r = s.drain_once();
  INFO((r.error ? r.error->message : ""));
  REQUIRE(r.drained());
  CHECK(r.batches == 3);
  CHECK(r.sent == 25);
  CHECK(r.accepted == 25);
  REQUIRE(f.store.requests.size() == 3);
  CHECK(f.store.requests[0].envelopes.size() == 10);
  CHECK(f.store.requests[2].envelopes.size() == 5);
  std::int64_t expect = 1;
  for (const auto& req : f.store.requests) {
    CHECK(req.target == "/prefix/v1/evidence");
    CHECK(header_of(req.headers, "Content-Encoding") == "gzip");
    CHECK(header_of(req.headers, "Content-Type") == "application/json");
    for (const auto& e : req.envelopes) CHECK(seq_of(e) == expect++);
  }
  CHECK(f.depth() == 0);
  CHECK(f.cache.status()->last_shipped_ms.has_value());
  // Nothing is left: the next drain sends nothing.
  const DrainReport again = s.drain_once();
  CHECK(again.drained());
  CHECK(again.sent == 0);
  CHECK(f.store.requests.size() == 3);
}

TEST_CASE("shipper: the byte cap splits batches, and an envelope over it goes alone", "[shipper]") {
  Fixture f;
  f.record(6);
  auto envs = f.cache.unshipped_envelopes(0, 10);
  REQUIRE(envs.ok());
  const std::size_t size = (*envs)[0].bytes.size();
  SECTION("batches fill up to the cap and no further") {
    const std::size_t cap = size * 2 + size / 2;
    Shipper s(f.cache, f.key, f.store, f.options(100, cap));
    CHECK(s.drain_once().drained());
    REQUIRE(f.store.requests.size() >= 2);
    std::vector<std::string> all;
    for (const auto& r : f.store.requests) all.insert(all.end(), r.envelopes.begin(), r.envelopes.end());
    REQUIRE(all.size() == 6);
    std::size_t at = 0;
    for (const auto& r : f.store.requests) {
      std::size_t bytes = 0;
      for (const auto& e : r.envelopes) bytes += e.size();
      CHECK(bytes <= cap);
      at += r.envelopes.size();
      if (at < all.size()) CHECK(bytes + all[at].size() > cap);  // the next one would not have fitted
    }
  }
  SECTION("cap below one envelope: one per batch") {
    Shipper s(f.cache, f.key, f.store, f.options(100, 1));
    CHECK(s.drain_once().drained());
    CHECK(f.store.requests.size() == 6);
  }
  CHECK(f.depth() == 0);
}

TEST_CASE("shipper: a rejected envelope is set aside with the reason and shipping goes on", "[shipper]") {
  Fixture f;
  f.record(5);
  f.store.status_of = [](std::int64_t seq) {
    return std::string(seq == 2 ? "rejected" : seq == 4 ? "duplicate" : "accepted");
  };
  Shipper s(f.cache, f.key, f.store, f.options(3));
  const DrainReport r = s.drain_once();
  REQUIRE(r.drained());
  CHECK(r.accepted == 3);
  CHECK(r.duplicate == 1);
  CHECK(r.rejected == 1);
  REQUIRE(r.rejections.size() == 1);
  CHECK(r.rejections[0].sequence == 2);
  CHECK(f.store.requests.size() == 2);  // the second batch went after the rejection
  auto aside = f.cache.set_aside_envelopes(10);
  REQUIRE(aside.ok());
  REQUIRE(aside->size() == 1);
  CHECK((*aside)[0].sequence == 2);
  CHECK_THAT(*(*aside)[0].set_aside_reason, Catch::Contains("signature does not verify (test)"));
  CHECK(f.depth() == 0);
  CHECK(f.cache.status()->set_aside == 1);
  // A set-aside envelope is not sent again.
  CHECK(s.drain_once().sent == 0);
}

TEST_CASE("shipper: after a 413 the envelopes go one by one, and one too large alone is set aside", "[shipper]") {
  Fixture f;
  f.record(5);
  // The store's body limit lets one envelope through, but not two, and not
  // sequence 3 at all.
  f.store.override_answer = [](const Request& r) -> Result<HttpResponse> {
    if (r.envelopes.size() > 1 || seq_of(r.envelopes[0]) == 3)
      return status_response(413, R"({"error":{"status":413,"code":"too_large","message":"body over 1000 bytes"}})");
    const std::int64_t seq = seq_of(r.envelopes[0]);
    boost::json::array results{boost::json::object{
        {"index", 0}, {"sequence", seq}, {"digest", crypto::sha256_hex(r.envelopes[0])}, {"status", "accepted"}}};
    return status_response(200, boost::json::serialize(boost::json::object{{"host_id", "h-test"}, {"results", results}}));
  };
  Shipper s(f.cache, f.key, f.store, f.options(5));
  const DrainReport r = s.drain_once();
  INFO((r.error ? r.error->message : std::string("no error")));
  REQUIRE(r.drained());
  CHECK(r.accepted == 4);
  CHECK(r.rejected == 1);
  REQUIRE(r.rejections.size() == 1);
  CHECK(r.rejections[0].sequence == 3);
  CHECK_THAT(r.rejections[0].reason, Catch::Contains("too large (413)") && Catch::Contains("body over 1000 bytes"));
  // One batch of five refused, then each envelope on its own.
  REQUIRE(f.store.requests.size() == 6);
  CHECK(f.store.requests[0].envelopes.size() == 5);
  for (std::size_t i = 1; i < 6; ++i) CHECK(f.store.requests[i].envelopes.size() == 1);
  CHECK(f.depth() == 0);
  auto aside = f.cache.set_aside_envelopes(10);
  REQUIRE(aside.ok());
  REQUIRE(aside->size() == 1);
  CHECK((*aside)[0].sequence == 3);
}

TEST_CASE("shipper: an answer that is not the protocol acknowledges nothing", "[shipper]") {
  Fixture f;
  f.record(3);
  struct Case {
    const char* what;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"not JSON", "<html>proxy error</html>"},
      {"no results", R"({"host_id":"h-test"})"},
      {"a missing index", R"({"results":[{"index":0,"status":"accepted"},{"index":1,"status":"accepted"}]})"},
      {"an index twice",
       R"({"results":[{"index":0,"status":"accepted"},{"index":0,"status":"accepted"},{"index":2,"status":"accepted"}]})"},
      {"index out of range",
       R"({"results":[{"index":0,"status":"accepted"},{"index":1,"status":"accepted"},{"index":3,"status":"accepted"}]})"},
      {"unknown status",
       R"({"results":[{"index":0,"status":"ok"},{"index":1,"status":"accepted"},{"index":2,"status":"accepted"}]})"},
      {"another sequence",
       R"({"results":[{"index":0,"sequence":9,"status":"accepted"},{"index":1,"status":"accepted"},{"index":2,"status":"accepted"}]})"},
      {"another digest",
       R"({"results":[{"index":0,"digest":"00","status":"accepted"},{"index":1,"status":"accepted"},{"index":2,"status":"accepted"}]})"},
      {"another host", R"({"host_id":"h-other","results":[]})"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    f.store.override_answer = [&](const Request&) {
      return Result<HttpResponse>(status_response(200, c.body));
    };
    Shipper s(f.cache, f.key, f.store, f.options());
    const DrainReport r = s.drain_once();
    REQUIRE(r.error.has_value());
    CHECK(r.error->code == Errc::parse);
    CHECK_THAT(r.error->message, Catch::Contains("/v1/evidence"));
    CHECK_FALSE(r.retry_after.has_value());
    CHECK(r.accepted == 0);
    CHECK(f.depth() == 3);
    CHECK(f.cache.status()->set_aside == 0);
  }
}

TEST_CASE("shipper: 429 with Retry-After, 5xx and transport errors stop the drain with a delay",
          "[shipper]") {
  Fixture f;
  f.record(4);
  Shipper s(f.cache, f.key, f.store, f.options(2));

  SECTION("429 Retry-After seconds is honoured, capped at an hour") {
    f.store.override_answer = [](const Request&) {
      return Result<HttpResponse>(status_response(
          429, R"({"error":{"status":429,"code":"overloaded","message":"busy"}})", {{"retry-after", "7"}}));
    };
    DrainReport r = s.drain_once();
    REQUIRE(r.retry_after.has_value());
    CHECK(*r.retry_after == std::chrono::seconds(7));
    REQUIRE(r.error.has_value());
    CHECK_THAT(r.error->message, Catch::Contains("429") && Catch::Contains("busy"));
    f.store.override_answer = [](const Request&) {
      return Result<HttpResponse>(status_response(503, "", {{"retry-after", "86400"}}));
    };
    r = s.drain_once();
    CHECK(*r.retry_after == std::chrono::hours(1));
  }
  SECTION("503 without Retry-After and transport errors back off exponentially, then reset") {
    f.store.override_answer = [](const Request&) { return Result<HttpResponse>(status_response(503)); };
    CHECK(*s.drain_once().retry_after == std::chrono::milliseconds(1000));
    CHECK(*s.drain_once().retry_after == std::chrono::milliseconds(2000));
    f.store.override_answer = [](const Request&) {
      return Result<HttpResponse>(make_error(Errc::io, "could not connect to https://store: refused"));
    };
    DrainReport r = s.drain_once();
    CHECK(*r.retry_after == std::chrono::milliseconds(4000));
    CHECK_THAT(r.error->message, Catch::Contains("could not connect"));
    CHECK(s.failures() == 3);
    f.store.override_answer = nullptr;
    CHECK(s.drain_once().drained());
    CHECK(s.failures() == 0);
  }
  SECTION("a refusal (401) is an error without a retry delay") {
    f.store.override_answer = [](const Request&) {
      return Result<HttpResponse>(
          status_response(401, R"({"error":{"status":401,"code":"unauthorized","message":"unknown host"}})"));
    };
    DrainReport r = s.drain_once();
    REQUIRE(r.error.has_value());
    CHECK_FALSE(r.retry_after.has_value());
    CHECK_THAT(r.error->message, Catch::Contains("unknown host") && Catch::Contains("401"));
  }
  // Nothing was acknowledged by a failing store.
  if (f.store.override_answer) CHECK(f.depth() == 4);
}

TEST_CASE("shipper: the batch before a failure stays acknowledged", "[shipper]") {
  Fixture f;
  f.record(4);
  int calls = 0;
  FakeStore& store = f.store;
  // The second request fails.
  struct Wrap final : HttpTransport {
    FakeStore& inner;
    int& calls;
    Wrap(FakeStore& i, int& c) : inner(i), calls(c) {}
    Result<HttpResponse> post(const std::string& t, const HttpHeaders& h, std::string_view b) override {
      if (++calls == 2) return make_error(Errc::timeout, "timed out after 1000 ms");
      return inner.post(t, h, b);
    }
    std::string target(std::string_view p) const override { return inner.target(p); }
  } wrap(store, calls);
  Shipper s2(f.cache, f.key, wrap, f.options(2));
  DrainReport r = s2.drain_once();
  CHECK(r.batches == 1);
  CHECK(r.accepted == 2);
  REQUIRE(r.retry_after.has_value());
  CHECK(f.depth() == 2);
  r = s2.drain_once();
  CHECK(r.drained());
  CHECK(f.depth() == 0);
}

TEST_CASE("shipper: backoff is full jitter under min(cap, base * 2^attempt)", "[shipper]") {
  using ms = std::chrono::milliseconds;
  const RandomUpTo top = [](std::int64_t upper) { return upper; };
  const RandomUpTo zero = [](std::int64_t) { return std::int64_t{0}; };
  const RandomUpTo wild = [](std::int64_t upper) { return upper * 10 + 5; };  // a broken source is clamped
  struct Row {
    unsigned attempt;
    std::int64_t top_ms;
  };
  for (const Row& row : {Row{0, 1000}, Row{1, 2000}, Row{2, 4000}, Row{5, 32000}, Row{11, 2048000},
                         Row{12, 3600000}, Row{40, 3600000}, Row{100000, 3600000}}) {
    INFO("attempt " << row.attempt);
    CHECK(backoff_delay(row.attempt, top) == ms(row.top_ms));
    CHECK(backoff_delay(row.attempt, zero) == ms(0));
    CHECK(backoff_delay(row.attempt, wild) == ms(row.top_ms));
  }
  // The range the random source is asked for is the ceiling.
  std::int64_t asked = -1;
  (void)backoff_delay(3, [&](std::int64_t upper) {
    asked = upper;
    return upper / 2;
  });
  CHECK(asked == 8000);
  CHECK(backoff_delay(2, top, ms(500), ms(1500)) == ms(1500));
  // The system source stays in range.
  const auto sys = system_random();
  for (int i = 0; i < 100; ++i) {
    const auto d = backoff_delay(4, sys);
    CHECK(d >= ms(0));
    CHECK(d <= ms(16000));
  }
}
