// End-to-end: `vigil scan --state-dir` records each scan as a signed envelope
// in the chain; history, status and drift read it back; `vigil evidence
// export` writes a bundle that `vigil verify` (a separate process) accepts,
// and that fails once a byte of it is changed.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>

#include "e2e_support.hpp"
#include "runner.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using vigil::test::TempDir;
using namespace vigil::e2e;

TEST_CASE("recorded scans: chain, drift, export and offline verification", "[e2e]") {
  TempDir host;
  prepare_hardened(host);
  TempDir state;
  const std::string sd = state.path() + "/vigil";

  Scan first = scan_root(host.path(), {"--state-dir", sd, "--policy", "builtin:linux-baseline"});
  INFO(first.err);
  REQUIRE(first.report.at("recorded").is_object());
  CHECK(first.report.at("recorded").at("sequence").as_int64() == 1);
  struct stat st {};
  REQUIRE(::stat(sd.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  REQUIRE(::stat((sd + "/host-key.pem").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  REQUIRE(::stat((sd + "/cache.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);

  // The journal becomes volatile: one check drifts from pass to fail.
  host.write("/etc/systemd/journald.conf.d/90-volatile.conf", "[Journal]\nStorage=volatile\n");
  Scan second = scan_root(host.path(), {"--state-dir", sd, "--policy", "builtin:linux-baseline"});
  REQUIRE(second.report.at("recorded").is_object());
  CHECK(second.report.at("recorded").at("sequence").as_int64() == 2);
  CHECK(second.report.at("recorded").at("transitions").as_int64() == 1);

  Run history = run_vigil_process({"history", "--state-dir", sd, "--format", "json"});
  CHECK(history.exit_code == 0);
  const auto h = json::parse(history.out);
  REQUIRE(h.as_array().size() == 2);

  Run drift = run_vigil_process(
      {"drift", "--state-dir", sd, "--check", "logging.journal-persistent", "--format", "json"});
  CHECK(drift.exit_code == 0);
  INFO(drift.out);
  CHECK(drift.out.find("\"fail\"") != std::string::npos);

  Run status = run_vigil_process({"status", "--state-dir", sd});
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("2 unshipped") != std::string::npos);

  const std::string bundle = state.path() + "/bundle.json";
  Run exported = run_vigil_process({"evidence", "export", "--from", "1h", "--format", "json", "--out", bundle,
                                    "--state-dir", sd, "--control", "A.8.15"});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  Run verified = run_vigil_process({"verify", bundle, "--key", sd + "/host-key.pub.pem"});
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(verified.out.find("sequences 1..2") != std::string::npos);
  const auto b = json::parse(read_text(bundle));
  CHECK(b.at("manifest").at("controls").as_array().size() == 1);

  SECTION("the same period as OSCAL and as a page") {
    for (const char* f : {"oscal", "html"}) {
      const std::string path = state.path() + "/export." + f;
      Run r = run_vigil_process(
          {"evidence", "export", "--from", "1h", "--format", f, "--out", path, "--state-dir", sd});
      INFO(f << ": " << r.err);
      CHECK(r.exit_code == 0);
      const std::string text = read_text(path);
      if (std::string(f) == "oscal") {
        CHECK(json::parse(text).at("assessment-results").is_object());
      } else {
        CHECK(text.find("logging.journal-persistent") != std::string::npos);
      }
    }
  }
  SECTION("a changed byte in the bundle is named by its sequence") {
    std::string text = read_text(bundle);
    // Flip one character of the second envelope's base64 payload.
    const auto at = text.rfind("\\\"payload\\\":\\\"");
    REQUIRE(at != std::string::npos);
    const auto pos = at + 40;
    text[pos] = text[pos] == 'A' ? 'B' : 'A';
    state.write("/tampered.json", text);
    Run bad = run_vigil_process({"verify", state.path() + "/tampered.json"});
    CHECK(bad.exit_code == 1);
    CHECK((bad.out + bad.err).find("sequence 2, envelope #2") != std::string::npos);
  }
  SECTION("an empty period, an existing output and a bad control are refused") {
    CHECK(run_vigil_process({"evidence", "export", "--from", "2001-01-01", "--to", "2001-01-02", "--format",
                             "json", "--out", state.path() + "/empty.json", "--state-dir", sd})
              .exit_code == 1);
    CHECK(run_vigil_process(
              {"evidence", "export", "--from", "1h", "--format", "json", "--out", bundle, "--state-dir", sd})
              .exit_code == 2);
    Run bad = run_vigil_process({"evidence", "export", "--from", "1h", "--format", "json", "--out",
                                 state.path() + "/x.json", "--state-dir", sd, "--control", "A.99.1"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("A.99.1") != std::string::npos);
  }
}

TEST_CASE("a scan that cannot be recorded still prints its report and exits 4", "[e2e]") {
  TempDir host;
  copy_fixture("debian12-stock", host);
  TempDir state;
  // A state directory others can write to is refused, and nothing is written in it.
  state.mkdir("/open");
  ::chmod((state.path() + "/open").c_str(), 0777);
  Scan s = scan_root(host.path(), {"--state-dir", state.path() + "/open", "--check", "os.supported-release"});
  CHECK(s.exit_code == 4);
  CHECK(s.report.at("recorded").is_null());
  CHECK(s.by_check.count("os.supported-release") == 1);
  CHECK(s.err.find("not recorded") != std::string::npos);
  CHECK(fs::is_empty(state.path() + "/open"));
  // A fixture root is not recorded without --state-dir.
  Scan plain = scan_root(host.path(), {"--check", "os.supported-release"});
  CHECK(plain.report.at("recorded").is_null());
  CHECK(plain.exit_code != 4);
}

TEST_CASE("a retention cap that drops unshipped scans leaves a signed gap record the verifier accepts",
          "[e2e]") {
  TempDir host;
  copy_fixture("debian12-stock", host);
  TempDir state;
  const std::string sd = state.path() + "/vigil";
  for (int i = 0; i < 3; ++i) {
    Scan s =
        scan_root(host.path(), {"--state-dir", sd, "--check", "os.supported-release", "--keep-scans", "1"});
    INFO(s.err);
    REQUIRE(s.report.at("recorded").is_object());
  }
  Run status = run_vigil_process({"status", "--state-dir", sd, "--format", "json"});
  INFO(status.out);
  CHECK(status.exit_code == 0);
  const std::string bundle = state.path() + "/b.json";
  Run exported = run_vigil_process(
      {"evidence", "export", "--from", "1h", "--format", "json", "--out", bundle, "--state-dir", sd});
  REQUIRE(exported.exit_code == 0);
  Run verified = run_vigil_process({"verify", bundle});
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(verified.out.find("gap record") != std::string::npos);
  CHECK(
      run_vigil_process({"scan", "--root", host.path(), "--state-dir", sd, "--keep-days", "-1"}).exit_code ==
      2);
}
