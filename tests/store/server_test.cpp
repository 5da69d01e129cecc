// store/server: the HTTPS server in-process on 127.0.0.1, with certificates
// made at test time, talked to by a raw TLS client (tests/store/tls_client).
#include "server.hpp"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "compress_support.hpp"
#include "e2e/e2e_support.hpp"
#include "store/tls_client.hpp"
#include "test_support.hpp"
#include "tls_certs.hpp"

namespace http = boost::beast::http;
namespace json = boost::json;
using vigil::store::Request;
using vigil::store::Response;
using vigil::store::StoreConfig;
using vigil::test::TlsClient;
using vigil::test::TlsClientOptions;

namespace {

// Answers with what it was given, as JSON.
Response echo(const Request& r) {
  json::object o;
  o["method"] = r.method;
  o["target"] = r.target;
  o["path"] = r.path;
  json::array q;
  for (const auto& [k, v] : r.query) q.push_back(json::array{json::string(k), json::string(v)});
  o["query"] = std::move(q);
  o["body"] = r.body;
  o["raw_body_size"] = r.raw_body.size();
  o["request_id"] = r.request_id;
  const std::string* ua = r.header("x-test");
  o["x_test"] = ua ? *ua : "";
  Response res;
  res.body = json::serialize(o);
  return res;
}

class TestServer {
 public:
  using Configure = std::function<void(StoreConfig&, const vigil::test::TestPki&)>;
  explicit TestServer(const Configure& configure = {}, vigil::store::Handler handler = echo)
      : pki_(vigil::test::make_test_pki(dir_.path())) {
    config_.listen_address = "127.0.0.1";
    config_.listen_port = 0;
    config_.tls.certificate = pki_.server_cert;
    config_.tls.private_key = pki_.server_key;
    config_.limits.threads = 2;
    config_.limits.request_timeout = std::chrono::seconds(1);
    if (configure) configure(config_, pki_);
    auto s = vigil::store::Server::create(config_, std::move(handler));
    INFO((s.ok() ? std::string() : s.error().message));
    REQUIRE(s.ok());
    server_ = std::move(*s);
    thread_ = std::thread([this] { server_->run(); });
  }
  ~TestServer() {
    server_->stop();
    thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return server_->port(); }
  const vigil::test::TestPki& pki() const { return pki_; }
  TlsClientOptions client_options() const { return TlsClientOptions{pki_.ca_cert, "", "", 0}; }
  vigil::store::Server& server() { return *server_; }
  void join() { thread_.join(); }

 private:
  vigil::test::TempDir dir_;
  vigil::test::TestPki pki_;
  StoreConfig config_;
  std::unique_ptr<vigil::store::Server> server_;
  std::thread thread_;
};

TlsClient::Reply round_trip(TlsClient& c, http::request<http::string_body> req) {
  REQUIRE_FALSE(c.handshake_error());
  REQUIRE_FALSE(c.send(req));
  return c.read();
}

std::string error_code_of(const TlsClient::Reply& r) {
  auto v = json::parse(r.res.body());
  return std::string(v.at("error").at("code").as_string());
}

}  // namespace

TEST_CASE("store server: a request round trip with the path and query decoded", "[store-server]") {
  TestServer ts;
  TlsClient c(ts.port(), ts.client_options());
  auto req = vigil::test::make_request(http::verb::get,
                                       "/v1/hosts/web%201?since=2026-12-02T10%3A00%3A00Z&q=a+b&flag");
  req.set("X-Test", "yes");
  auto r = round_trip(c, req);
  REQUIRE_FALSE(r.ec);
  CHECK(r.res.result_int() == 200);
  CHECK(r.res[http::field::content_type] == "application/json");
  const std::string id(r.res["X-Request-Id"]);
  CHECK(id.size() == 32);
  auto v = json::parse(r.res.body());
  CHECK(v.at("method").as_string() == "GET");
  CHECK(v.at("path").as_string() == "/v1/hosts/web 1");
  CHECK(v.at("target").as_string() == "/v1/hosts/web%201?since=2026-12-02T10%3A00%3A00Z&q=a+b&flag");
  CHECK(json::serialize(v.at("query")) == R"([["since","2026-12-02T10:00:00Z"],["q","a b"],["flag",""]])");
  CHECK(v.at("request_id").as_string() == id);
  CHECK(v.at("x_test").as_string() == "yes");

  // HEAD: the length of the body, not the body; the connection stays usable.
  auto head = vigil::test::make_request(http::verb::head, "/v1/hosts");
  REQUIRE_FALSE(c.send(head));
  auto h = c.read(true);
  REQUIRE_FALSE(h.ec);
  CHECK(h.res.result_int() == 200);
  CHECK(h.res.body().empty());
  CHECK(std::string(h.res[http::field::content_length]) != "0");

  // Keep-alive: the next request on the same connection, with another id.
  auto r2 = round_trip(c, vigil::test::make_request(http::verb::post, "/v1/x", "{}"));
  REQUIRE_FALSE(r2.ec);
  CHECK(r2.res.result_int() == 200);
  CHECK(r2.res["X-Request-Id"] != id);
  CHECK(json::parse(r2.res.body()).at("body").as_string() == "{}");
}

TEST_CASE("store server: gzip bodies are inflated, the raw bytes kept", "[store-server]") {
  TestServer ts(
      [](StoreConfig& c, const vigil::test::TestPki&) { c.limits.max_decoded_body_bytes = 100000; });
  const std::string body = "{\"envelopes\":[\"" + std::string(20000, 'a') + "\"]}";
  const std::string gz = vigil::test::compress(body, vigil::Compression::gzip);

  SECTION("gzip") {
    TlsClient c(ts.port(), ts.client_options());
    auto req = vigil::test::make_request(http::verb::post, "/v1/evidence", gz);
    req.set(http::field::content_encoding, "gzip");
    auto r = round_trip(c, req);
    REQUIRE_FALSE(r.ec);
    REQUIRE(r.res.result_int() == 200);
    auto v = json::parse(r.res.body());
    CHECK(v.at("body").as_string() == body);
    CHECK(v.at("raw_body_size").as_int64() == static_cast<std::int64_t>(gz.size()));
  }
  SECTION("Expect: 100-continue gets the go-ahead before the body") {
    TlsClient c(ts.port(), ts.client_options());
    REQUIRE_FALSE(c.handshake_error());
    REQUIRE_FALSE(
        c.send_raw("POST /v1/evidence HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                   "Content-Length: 2\r\n\r\n"));
    auto cont = c.read();  // Beast reads the 100 as a response of its own
    REQUIRE_FALSE(cont.ec);
    CHECK(cont.res.result_int() == 100);
    REQUIRE_FALSE(c.send_raw("{}"));
    auto r = c.read();
    REQUIRE_FALSE(r.ec);
    CHECK(r.res.result_int() == 200);
    CHECK(json::parse(r.res.body()).at("body").as_string() == "{}");
  }
  SECTION("corrupt gzip is 400") {
    std::string bad = gz;
    bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x55);
    TlsClient c(ts.port(), ts.client_options());
    auto req = vigil::test::make_request(http::verb::post, "/v1/evidence", bad);
    req.set(http::field::content_encoding, "gzip");
    auto r = round_trip(c, req);
    REQUIRE_FALSE(r.ec);
    CHECK(r.res.result_int() == 400);
    CHECK(error_code_of(r) == "bad_request");
  }
  SECTION("another encoding is 415") {
    TlsClient c(ts.port(), ts.client_options());
    auto req = vigil::test::make_request(http::verb::post, "/v1/evidence", body);
    req.set(http::field::content_encoding, "br");
    auto r = round_trip(c, req);
    REQUIRE_FALSE(r.ec);
    CHECK(r.res.result_int() == 415);
    CHECK(error_code_of(r) == "unsupported_media_type");
  }
  SECTION("a body that inflates past max_decoded_body_bytes is 413") {
    const std::string bomb = vigil::test::compress(std::string(200000, '0'), vigil::Compression::gzip);
    TlsClient c(ts.port(), ts.client_options());
    auto req = vigil::test::make_request(http::verb::post, "/v1/evidence", bomb);
    req.set(http::field::content_encoding, "gzip");
    auto r = round_trip(c, req);
    REQUIRE_FALSE(r.ec);
    CHECK(r.res.result_int() == 413);
    CHECK(error_code_of(r) == "too_large");
  }
}

TEST_CASE("store server: bodies and headers over the limits are 413", "[store-server]") {
  TestServer ts([](StoreConfig& c, const vigil::test::TestPki&) {
    c.limits.max_body_bytes = 1024;
    c.limits.max_header_bytes = 2048;
  });
  SECTION("body") {
    TlsClient c(ts.port(), ts.client_options());
    auto r =
        round_trip(c, vigil::test::make_request(http::verb::post, "/v1/evidence", std::string(4096, 'x')));
    REQUIRE_FALSE(r.ec);
    CHECK(r.res.result_int() == 413);
    CHECK(error_code_of(r) == "too_large");
    CHECK_FALSE(r.res.keep_alive());
  }
  SECTION("an announced body over the limit is 413 before it is sent") {
    TlsClient c(ts.port(), ts.client_options());
    REQUIRE_FALSE(c.handshake_error());
    REQUIRE_FALSE(c.send_raw("POST /v1/evidence HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                             "Content-Length: 100000000\r\n\r\n"));
    auto r = c.read();
    REQUIRE_FALSE(r.ec);
    CHECK(r.res.result_int() == 413);
  }
  SECTION("a body at the limit is fine") {
    TlsClient c(ts.port(), ts.client_options());
    auto r =
        round_trip(c, vigil::test::make_request(http::verb::post, "/v1/evidence", std::string(1024, 'x')));
    REQUIRE_FALSE(r.ec);
    CHECK(r.res.result_int() == 200);
  }
  SECTION("headers") {
    TlsClient c(ts.port(), ts.client_options());
    auto req = vigil::test::make_request(http::verb::get, "/v1/hosts");
    req.set("X-Padding", std::string(4096, 'p'));
    auto r = round_trip(c, req);
    REQUIRE_FALSE(r.ec);
    CHECK(r.res.result_int() == 413);
    CHECK(error_code_of(r) == "too_large");
  }
  SECTION("malformed HTTP is 400") {
    TlsClient c(ts.port(), ts.client_options());
    REQUIRE_FALSE(c.handshake_error());
    REQUIRE_FALSE(c.send_raw("GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c.read();
    REQUIRE_FALSE(r.ec);
    CHECK(r.res.result_int() == 400);
  }
}

TEST_CASE("store server: a client that sends its header slowly is cut off", "[store-server]") {
  TestServer ts;  // request_timeout 1 s
  TlsClient slow(ts.port(), ts.client_options());
  REQUIRE_FALSE(slow.handshake_error());
  REQUIRE_FALSE(slow.send_raw("GET /v1/hosts HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
  // No more bytes: the server must close the connection (the client's own
  // read timeout, 10 s, would show up as a different error).
  auto r = slow.read();
  if (!r.ec) {
    CHECK(r.res.result_int() == 408);
  } else {
    CHECK(r.ec != boost::asio::error::would_block);
    CHECK(r.ec != boost::asio::error::timed_out);
  }
  // And the server goes on serving others.
  TlsClient c(ts.port(), ts.client_options());
  auto ok = round_trip(c, vigil::test::make_request(http::verb::get, "/"));
  REQUIRE_FALSE(ok.ec);
  CHECK(ok.res.result_int() == 200);
}

TEST_CASE("store server: connections over max_connections get 503 with Retry-After", "[store-server]") {
  TestServer ts([](StoreConfig& c, const vigil::test::TestPki&) { c.limits.max_connections = 1; });
  auto first = std::make_unique<TlsClient>(ts.port(), ts.client_options());
  REQUIRE_FALSE(first->handshake_error());  // accepted, so it is counted

  TlsClient second(ts.port(), ts.client_options());
  auto r = round_trip(second, vigil::test::make_request(http::verb::get, "/"));
  REQUIRE_FALSE(r.ec);
  CHECK(r.res.result_int() == 503);
  CHECK(error_code_of(r) == "overloaded");
  CHECK_FALSE(std::string(r.res[http::field::retry_after]).empty());
  CHECK_FALSE(r.res.keep_alive());

  // The first connection is still served.
  auto r1 = round_trip(*first, vigil::test::make_request(http::verb::get, "/"));
  REQUIRE_FALSE(r1.ec);
  CHECK(r1.res.result_int() == 200);
  first.reset();
  // Once it is gone (the server notices the close), another is served.
  // Bounded retries, no timing assertion.
  unsigned status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    TlsClient c(ts.port(), ts.client_options());
    auto rr = round_trip(c, vigil::test::make_request(http::verb::get, "/"));
    status = rr.ec ? 0 : rr.res.result_int();
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(status == 200);
}

TEST_CASE("store server: a handler that throws is a 500 and the server goes on", "[store-server]") {
  TestServer ts({}, [](const Request& r) -> Response {
    if (r.path == "/throw") throw std::runtime_error("boom");
    return echo(r);
  });
  {
    TlsClient c(ts.port(), ts.client_options());
    auto r = round_trip(c, vigil::test::make_request(http::verb::get, "/throw"));
    REQUIRE_FALSE(r.ec);
    CHECK(r.res.result_int() == 500);
    CHECK(error_code_of(r) == "internal");
    CHECK_FALSE(std::string(r.res["X-Request-Id"]).empty());
    // The same connection goes on too.
    auto r2 = round_trip(c, vigil::test::make_request(http::verb::get, "/fine"));
    REQUIRE_FALSE(r2.ec);
    CHECK(r2.res.result_int() == 200);
  }
  TlsClient c(ts.port(), ts.client_options());
  auto r = round_trip(c, vigil::test::make_request(http::verb::get, "/fine"));
  REQUIRE_FALSE(r.ec);
  CHECK(r.res.result_int() == 200);
}

TEST_CASE("store server: TLS before 1.2 is refused", "[store-server]") {
  TestServer ts;
  TlsClientOptions old = ts.client_options();
  old.max_version = TLS1_1_VERSION;
  TlsClient c(ts.port(), old);
  CHECK(c.handshake_error());
  // The same client code with TLS 1.2 gets through, so the refusal is the server's.
  TlsClientOptions v12 = ts.client_options();
  v12.max_version = TLS1_2_VERSION;
  TlsClient ok(ts.port(), v12);
  CHECK_FALSE(ok.handshake_error());
}

TEST_CASE("store server: min_version 1.3 refuses TLS 1.2", "[store-server]") {
  TestServer ts([](StoreConfig& c, const vigil::test::TestPki&) { c.tls.min_version = "1.3"; });
  TlsClientOptions v12 = ts.client_options();
  v12.max_version = TLS1_2_VERSION;
  TlsClient c(ts.port(), v12);
  CHECK(c.handshake_error());
  TlsClient ok(ts.port(), ts.client_options());
  CHECK_FALSE(ok.handshake_error());
}

TEST_CASE("store server: with client_ca, a client without a certificate is refused", "[store-server]") {
  TestServer ts([](StoreConfig& c, const vigil::test::TestPki& pki) { c.tls.client_ca = pki.ca_cert; });
  {
    TlsClient anon(ts.port(), ts.client_options());
    // TLS 1.3: the client may finish its handshake before the server
    // checks; the refusal then arrives on the first read.
    bool refused = static_cast<bool>(anon.handshake_error());
    if (!refused) {
      auto req = vigil::test::make_request(http::verb::get, "/");
      (void)anon.send(req);
      refused = static_cast<bool>(anon.read().ec);
    }
    CHECK(refused);
  }
  TlsClientOptions with_cert = ts.client_options();
  with_cert.cert = ts.pki().client_cert;
  with_cert.key = ts.pki().client_key;
  TlsClient c(ts.port(), with_cert);
  auto r = round_trip(c, vigil::test::make_request(http::verb::get, "/"));
  REQUIRE_FALSE(r.ec);
  CHECK(r.res.result_int() == 200);
}

TEST_CASE("store server: stop() lets the request in flight finish", "[store-server]") {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  TestServer ts({}, [&](const Request& r) {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return echo(r);
  });
  TlsClient c(ts.port(), ts.client_options());
  REQUIRE_FALSE(c.handshake_error());
  auto slow_req = vigil::test::make_request(http::verb::get, "/slow");
  REQUIRE_FALSE(c.send(slow_req));
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  ts.server().stop();
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  auto r = c.read();
  REQUIRE_FALSE(r.ec);
  CHECK(r.res.result_int() == 200);
  CHECK_FALSE(r.res.keep_alive());  // stopping: no further requests on it
  // A new connection is refused: the listening socket is closed.
  TlsClient late(ts.port(), ts.client_options());
  CHECK(late.handshake_error());
}

TEST_CASE("store server: TLS files that do not load are named", "[store-server]") {
  vigil::test::TempDir dir;
  auto pki = vigil::test::make_test_pki(dir.path());
  StoreConfig c;
  c.listen_port = 0;
  c.tls.certificate = pki.server_cert;
  c.tls.private_key = dir.path() + "/missing.key";
  auto r = vigil::store::Server::create(c, echo);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("tls.private_key") && Catch::Contains("missing.key"));

  c.tls.private_key = pki.client_key;  // another certificate's key
  r = vigil::store::Server::create(c, echo);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("tls.private_key") && Catch::Contains("mismatch"));

  c.tls.private_key = pki.server_key;
  c.tls.certificate = pki.server_key;  // not a certificate
  r = vigil::store::Server::create(c, echo);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("tls.certificate"));
}

TEST_CASE("store server: a kept-alive connection idle past idle_timeout is closed", "[store-server]") {
  TestServer ts(
      [](StoreConfig& c, const vigil::test::TestPki&) { c.limits.idle_timeout = std::chrono::seconds(1); });
  TlsClient c(ts.port(), ts.client_options());
  auto r = round_trip(c, vigil::test::make_request(http::verb::get, "/"));
  REQUIRE_FALSE(r.ec);
  REQUIRE(r.res.keep_alive());
  // Nothing more is sent: the server closes it (the client's own 10 s read
  // timeout would be a different error).
  auto idle = c.read();
  REQUIRE(idle.ec);
  CHECK(idle.ec != boost::asio::error::would_block);
  CHECK(idle.ec != boost::asio::error::timed_out);
}

TEST_CASE("store server: the request log line has no bodies or header values", "[store-server]") {
  vigil::test::TempDir dir;
  const std::string log_path = dir.path() + "/stderr.log";
  TestServer ts;
  // stderr into a file while the request is served (the log writes fd 2).
  const int saved = ::dup(STDERR_FILENO);
  REQUIRE(saved >= 0);
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
  TlsClient::Reply r;
  {
    TlsClient c(ts.port(), ts.client_options());
    auto req = vigil::test::make_request(http::verb::post, "/v1/evidence?x=1", "{\"body-secret\":1}");
    req.set(http::field::authorization, "Bearer vst_header_secret");
    r = round_trip(c, req);
  }
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  REQUIRE_FALSE(r.ec);
  const std::string log = vigil::e2e::read_text(log_path);
  INFO(log);
  CHECK_THAT(log, Catch::Contains("event=request method=POST path=/v1/evidence status=200"));
  CHECK_THAT(log, Catch::Contains("request_id=" + std::string(r.res["X-Request-Id"])));
  CHECK_THAT(log, !Catch::Contains("vst_header_secret"));
  CHECK_THAT(log, !Catch::Contains("body-secret"));
}
