// The real `vigil-store serve` binary: started with a config file and
// --port-file on port 0, answered over TLS, stopped by SIGTERM (exit 0).
#include <signal.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "background_process.hpp"
#include "runner.hpp"
#include "store/tls_client.hpp"
#include "test_support.hpp"
#include "tls_certs.hpp"

namespace http = boost::beast::http;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("vigil-store serve: port file, a TLS answer, SIGTERM exits 0", "[store-server][e2e]") {
  vigil::test::TempDir dir;
  auto pki = vigil::test::make_test_pki(dir.path());
  dir.write("store.yaml",
            "listen: 127.0.0.1:0\n"
            "tls:\n  certificate: " +
                pki.server_cert + "\n  private_key: " + pki.server_key +
                "\n"
                "database:\n  path: " +
                dir.path() +
                "/store.db\n"
                "limits:\n  threads: 2\n  request_timeout_seconds: 2\n");
  const std::string port_file = dir.path() + "/port";
  vigil::test::BackgroundProcess child(
      {VIGIL_STORE_BINARY, "serve", "--config", dir.path() + "/store.yaml", "--port-file", port_file});

  // Wait (bounded) for the port file the server writes after binding.
  std::string port_text;
  for (int i = 0; i < 300 && port_text.empty() && child.running(); ++i) {
    port_text = slurp(port_file);
    if (port_text.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE_FALSE(port_text.empty());
  const auto port = static_cast<std::uint16_t>(std::stoul(port_text));
  REQUIRE(port != 0);

  {
    vigil::test::TlsClient c(port, {pki.ca_cert, "", "", 0});
    REQUIRE_FALSE(c.handshake_error());
    auto req = vigil::test::make_request(http::verb::get, "/v1/no-such-endpoint");
    REQUIRE_FALSE(c.send(req));
    auto r = c.read();
    REQUIRE_FALSE(r.ec);
    // Without the API built every answer is 503; with it, an unknown path
    // is an error too. Either way it is the store's JSON error shape.
    CHECK(r.res.result_int() >= 400);
    CHECK_FALSE(std::string(r.res["X-Request-Id"]).empty());
    auto v = boost::json::parse(r.res.body());
    CHECK(v.at("error").at("status").as_int64() == static_cast<std::int64_t>(r.res.result_int()));
  }

  child.signal(SIGTERM);
  CHECK(child.wait_exit() == 0);
}

TEST_CASE("vigil-store serve: a bad config is refused with its line", "[store-server][e2e]") {
  vigil::test::TempDir dir;
  dir.write("store.yaml", "listen: 127.0.0.1:0\nlimts: {}\n");
  auto r =
      vigil::collectors::run_program(VIGIL_STORE_BINARY, {"serve", "--config", dir.path() + "/store.yaml"});
  REQUIRE(r.ok());
  CHECK(r->exit_code == 1);
  CHECK_THAT(r->err, Catch::Contains(dir.path() + "/store.yaml:2: limts: unknown key"));

  auto help = vigil::collectors::run_program(VIGIL_STORE_BINARY, {"--help"});
  REQUIRE(help.ok());
  CHECK(help->exit_code == 0);
  CHECK_THAT(help->out, Catch::Contains("serve"));
  auto version = vigil::collectors::run_program(VIGIL_STORE_BINARY, {"--version"});
  REQUIRE(version.ok());
  CHECK_THAT(version->out, Catch::StartsWith("vigil-store "));
}
