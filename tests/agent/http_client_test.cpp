// The libcurl client against a real TLS server (openssl s_server on
// 127.0.0.1 with certificates made at test time): the right CA works; another
// CA, another name, a wrong pin and plain http are refused with a message
// that says so. Also Retry-After, store URLs and gzip.
#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <memory>
#include <optional>

#include "background_process.hpp"
#include "compress.hpp"
#include "crypto.hpp"
#include "decompress.hpp"
#include "test_support.hpp"
#include "tls_certs.hpp"

using namespace vigil;
using namespace vigil::agent;

namespace {

// openssl s_server -www on a free loopback port (retried when the port was
// taken between choosing and binding).
struct TlsServer {
  int port = 0;
  std::unique_ptr<test::BackgroundProcess> proc;
  TlsServer(const std::string& cert, const std::string& key, std::vector<std::string> extra = {}) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port = test::free_loopback_port();
      std::vector<std::string> argv{"/usr/bin/openssl",
                                    "s_server",
                                    "-accept",
                                    "127.0.0.1:" + std::to_string(port),
                                    "-cert",
                                    cert,
                                    "-key",
                                    key,
                                    "-www",
                                    "-quiet"};
      argv.insert(argv.end(), extra.begin(), extra.end());
      proc = std::make_unique<test::BackgroundProcess>(argv);
      if (proc->wait_for_port(port)) return;
    }
    FAIL("openssl s_server did not start");
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port); }
};

Result<HttpResponse> get_root(const std::string& url, const TlsOptions& tls) {
  HttpClientOptions o;
  o.base_url = url;
  o.tls = tls;
  o.total_timeout = std::chrono::seconds(10);
  auto c = HttpClient::create(o);
  if (!c) return c.error();
  return (*c)->get("/");
}

// "sha256//" + base64(SHA-256(SPKI DER)) of a PEM certificate file.
std::string pin_of(const std::string& cert_path) {
  std::FILE* f = std::fopen(cert_path.c_str(), "r");
  REQUIRE(f != nullptr);
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  REQUIRE(x != nullptr);
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(X509_get0_pubkey(x), &der);
  REQUIRE(len > 0);
  const auto digest =
      crypto::sha256(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  X509_free(x);
  return "sha256//" +
         crypto::base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace

TEST_CASE("http_client: TLS to a real server: the right CA works, others are refused", "[http_client]") {
  test::TempDir dir;
  const auto pki = test::make_test_pki(dir.path());

  SECTION("the server's CA: 200") {
    TlsServer server(pki.server_cert, pki.server_key);
    auto r = get_root(server.url(), TlsOptions{pki.ca_cert, "", "", ""});
    INFO((r ? "" : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK_FALSE(r->body.empty());
    // The right pin on top of the CA works; another key's pin is refused.
    auto pinned = get_root(server.url(), TlsOptions{pki.ca_cert, pin_of(pki.server_cert), "", ""});
    INFO((pinned ? "" : pinned.error().message));
    CHECK(pinned.ok());
    // The response cap stops a body over it.
    HttpClientOptions small;
    small.base_url = server.url();
    small.tls.ca_file = pki.ca_cert;
    small.max_response_bytes = 100;
    auto capped_client = HttpClient::create(small);
    REQUIRE(capped_client.ok());
    auto capped = (*capped_client)->get("/");
    REQUIRE_FALSE(capped.ok());
    CHECK(capped.error().code == Errc::too_large);
    CHECK_THAT(capped.error().message, Catch::Contains("over 100 bytes"));
    auto wrong_pin = get_root(server.url(), TlsOptions{pki.ca_cert, pin_of(pki.other_server_cert), "", ""});
    REQUIRE_FALSE(wrong_pin.ok());
    CHECK_THAT(wrong_pin.error().message, Catch::Contains("pin"));
  }
  SECTION("a certificate from another CA is refused") {
    TlsServer server(pki.other_server_cert, pki.other_server_key);
    auto r = get_root(server.url(), TlsOptions{pki.ca_cert, "", "", ""});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("certificate verify failed"));
    // Nor does the system store know the test CA.
    auto sys = get_root(server.url(), TlsOptions{});
    REQUIRE_FALSE(sys.ok());
    CHECK_THAT(sys.error().message, Catch::Contains("certificate"));
  }
  SECTION("a certificate for another name is refused") {
    TlsServer server(pki.wrong_name_cert, pki.wrong_name_key);
    auto r = get_root(server.url(), TlsOptions{pki.ca_cert, "", "", ""});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("certificate verify failed"));
    CHECK_THAT(r.error().message, Catch::Contains("name"));
  }
  SECTION("mTLS: a server that requires a client certificate") {
    TlsServer server(pki.server_cert, pki.server_key, {"-Verify", "1", "-CAfile", pki.ca_cert});
    auto with = get_root(server.url(), TlsOptions{pki.ca_cert, "", pki.client_cert, pki.client_key});
    INFO((with ? "" : with.error().message));
    REQUIRE(with.ok());
    CHECK(with->status == 200);
    auto without = get_root(server.url(), TlsOptions{pki.ca_cert, "", "", ""});
    CHECK_FALSE((without.ok() && without->status == 200));
  }
}

TEST_CASE("http_client: plain http, bad URLs and bad options are refused before connecting",
          "[http_client]") {
  struct Case {
    const char* url;
    const char* says;
  };
  for (const Case& c : {Case{"http://127.0.0.1:1", "https"}, Case{"HTTP://store", "https"},
                        Case{"ftp://store", "not https"}, Case{"store:8443", "not a URL"},
                        Case{"https://", "no host"}, Case{"https://user:pw@store", "user information"},
                        Case{"https://store/?a=1", "query"}, Case{"https://st ore", "spaces"}}) {
    INFO(c.url);
    HttpClientOptions o;
    o.base_url = c.url;
    auto r = HttpClient::create(o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::invalid);
    CHECK_THAT(r.error().message, Catch::Contains(c.says));
  }
  auto parts = split_store_url("https://store.example:8443/vigil/");
  REQUIRE(parts.ok());
  CHECK(parts->first == "https://store.example:8443");
  CHECK(parts->second == "/vigil");
  HttpClientOptions o;
  o.base_url = "https://store.example:8443/vigil";
  o.tls.pinned_public_key = "sha256//abc";
  CHECK_FALSE(HttpClient::create(o).ok());
  o.tls.pinned_public_key.clear();
  o.tls.client_cert = "/nonexistent/cert.pem";
  CHECK_THAT(HttpClient::create(o).error().message, Catch::Contains("needs its key"));
  o.tls.client_key = "/nonexistent/key.pem";
  CHECK_THAT(HttpClient::create(o).error().message, Catch::Contains("/nonexistent/cert.pem"));
  o.tls = {};
  auto c = HttpClient::create(o);
  REQUIRE(c.ok());
  CHECK((*c)->target("/v1/evidence") == "/vigil/v1/evidence");
  CHECK(check_pin("sha256//" + crypto::base64_encode(std::string(32, 'x'))).ok());
}

TEST_CASE("http_client: no listener, and a server that never answers, are clear errors", "[http_client]") {
  SECTION("connection refused") {
    const int port = test::free_loopback_port();
    auto r = get_root("https://127.0.0.1:" + std::to_string(port), TlsOptions{});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::io);
    CHECK_THAT(r.error().message, Catch::Contains("could not connect"));
  }
  SECTION("a listener that never speaks TLS: timed out") {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(s >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(s, 4) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    HttpClientOptions o;
    o.base_url = "https://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    o.total_timeout = std::chrono::milliseconds(300);
    auto c = HttpClient::create(o);
    REQUIRE(c.ok());
    auto r = (*c)->get("/");
    ::close(s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::timeout);
    CHECK_THAT(r.error().message, Catch::Contains("timed out after 300 ms"));
  }
}

TEST_CASE("http_client: request() refuses a method that is not upper-case letters", "[http_client]") {
  HttpClientOptions o;
  o.base_url = "https://127.0.0.1:1";
  auto c = HttpClient::create(o);
  REQUIRE(c.ok());
  for (const char* m : {"", "delete", "GET /x HTTP/1.1\r\nX:", "DEL ETE"}) {
    auto r = (*c)->request(m, "/");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::invalid);
    CHECK_THAT(r.error().message, Catch::Contains("not an HTTP method"));
  }
}

TEST_CASE("http_client: Retry-After as seconds or an HTTP-date", "[http_client]") {
  const std::int64_t t = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
  struct Case {
    const char* value;
    std::optional<std::int64_t> delay;
  };
  for (const Case& c :
       {Case{"120", 120}, Case{" 5 ", 5}, Case{"0", 0}, Case{"Sun, 06 Nov 1994 08:50:07 GMT", 30},
        Case{"Sunday, 06-Nov-94 08:50:07 GMT", 30}, Case{"Sun Nov  6 08:50:07 1994", 30},
        Case{"Sun, 06 Nov 1994 08:00:00 GMT", 0}, Case{"", std::nullopt}, Case{"soon", std::nullopt},
        Case{"-5", std::nullopt}, Case{"1.5", std::nullopt}}) {
    INFO("'" << c.value << "'");
    CHECK(parse_retry_after(c.value, t) == c.delay);
  }
  CHECK(parse_retry_after("99999999999999999999", t).value() >= 3600);
}

TEST_CASE("http_client: gzip_compress round-trips through decompress", "[http_client][gzip]") {
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "{\"sequence\":" + std::to_string(i) + ",\"payload\":\"abc\"},";
  for (const std::string& data : {std::string(), std::string("x"), big}) {
    for (int level : {1, 6, 9}) {
      auto z = gzip_compress(data, level);
      REQUIRE(z.ok());
      REQUIRE(z->size() >= 18);
      CHECK(static_cast<unsigned char>((*z)[0]) == 0x1f);
      CHECK(static_cast<unsigned char>((*z)[1]) == 0x8b);
      auto back = decompress(*z, Compression::gzip, data.size() + 1);
      REQUIRE(back.ok());
      CHECK(*back == data);
    }
  }
  CHECK(gzip_compress(big)->size() < big.size() / 4);
  CHECK_FALSE(gzip_compress("x", 0).ok());
  CHECK_FALSE(gzip_compress("x", 10).ok());
}
