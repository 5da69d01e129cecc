// `vigil history`, `vigil status`, `vigil drift` through run_cli, and the
// TIME values they take.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>

#include "cache.hpp"
#include "cache_support.hpp"
#include "cli.hpp"
#include "cli_args.hpp"
#include "test_support.hpp"

using namespace vigil::agent;
using vigil::test::ScanFactory;
using vigil::test::TempDir;
namespace json = boost::json;

namespace {

struct Run {
  int code;
  std::string out, err;
};

Run run(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"vigil"};
  for (const auto& a : args) argv.push_back(a);
  std::ostringstream out, err;
  int code = run_cli(argv, out, err);
  return {code, out.str(), err.str()};
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Three scans two days, one day and one hour ago: c0 pass, fail, fail; c1 pass, pass, error.
void fill(const std::string& dir, std::int64_t now) {
  CacheOptions o;
  o.state_dir = dir;
  auto c = Cache::open(o);
  REQUIRE(c.ok());
  ScanFactory f(2);
  const auto sign = vigil::test::fake_scan_signer();
  REQUIRE(
      c->record_scan(f.report({Verdict::pass, Verdict::pass}, now - 48 * 3600000LL), f.meta(), sign).ok());
  REQUIRE(
      c->record_scan(f.report({Verdict::fail, Verdict::pass}, now - 24 * 3600000LL), f.meta(), sign).ok());
  REQUIRE(c->record_scan(f.report({Verdict::fail, Verdict::error}, now - 3600000LL), f.meta(), sign).ok());
  REQUIRE(c->mark_shipped(1, now).ok());
}

}  // namespace

TEST_CASE("TIME values: ISO 8601 UTC, dates and times ago", "[cache][cli]") {
  const std::int64_t now = 1'800'000'000'000;
  struct Case {
    const char* text;
    std::int64_t want;
  };
  const std::vector<Case> ok{
      {"2026-12-01T00:00:00Z", 1796083200000},
      {"2026-12-01", 1796083200000},
      {"1970-01-01T00:00:00Z", 0},
      {"2024-02-29T12:30:15.250Z", 1709209815250},
      {"2026-12-01T00:00:00.5Z", 1796083200500},
      {"90s", now - 90000},
      {"30m", now - 1800000},
      {"24h", now - 86400000},
      {"7d", now - 7 * 86400000LL},
      {"2w", now - 14 * 86400000LL},
      {"0h", now},
  };
  for (const auto& c : ok) {
    INFO(c.text);
    auto t = parse_cli_time(c.text, now);
    REQUIRE(t.ok());
    CHECK(*t == c.want);
  }
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2025-02-29", "2026-12-01T00:00:00",
                          "2026-12-01T24:00:00Z", "2026-12-01 00:00:00Z", "2026-12-01T00:00:00+01:00", "-5d",
                          "+5d", "5y", "h", "99999999999d", "2026-12-01T00:00:00.Z"}) {
    INFO(bad);
    auto t = parse_cli_time(bad, now);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().message.find(std::string("'") + bad + "' is not a time") != std::string::npos);
  }
  CHECK(format_utc(1796083200000) == "2026-12-01T00:00:00Z");
}

TEST_CASE("vigil history lists the last scans, newest first", "[cache][cli]") {
  TempDir dir;
  const std::int64_t now = wall_ms();
  fill(dir.path(), now);
  auto r = run({"history", "--state-dir", dir.path()});
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  CHECK(r.out.find("SEQUENCE") == 0);
  CHECK(r.out.find("test-pack 2026.12.0") != std::string::npos);
  CHECK(r.out.find(format_utc(now - 3600000)) != std::string::npos);
  CHECK(r.out.find("host-1") != std::string::npos);

  r = run({"history", "--state-dir", dir.path(), "--limit", "2", "--format", "json"});
  REQUIRE(r.code == kExitOk);
  auto v = json::parse(r.out).as_array();
  REQUIRE(v.size() == 2);
  CHECK(v[0].at("sequence").as_int64() == 3);
  CHECK(v[0].at("counts").at("fail").as_int64() == 1);
  CHECK(v[0].at("counts").at("error").as_int64() == 1);
  CHECK(v[0].at("packs").at(0).at("id").as_string() == "test-pack");
  CHECK(v[1].at("sequence").as_int64() == 2);

  r = run({"history", "--state-dir", dir.path(), "--limit", "0"});
  CHECK(r.code == kExitUsage);
  CHECK(r.err.find("--limit must be a number from 1 to 1000000, not '0'") != std::string::npos);
  r = run({"history", "--state-dir", dir.path(), "--format", "xml"});
  CHECK(r.code == kExitUsage);
  CHECK(r.err.find("'xml'") != std::string::npos);
  r = run({"history", "--bogus"});
  CHECK(r.code == kExitUsage);
  CHECK(r.err.find("unknown option --bogus") != std::string::npos);
}

TEST_CASE("vigil status shows the last scan, the outbox and the size", "[cache][cli]") {
  TempDir dir;
  const std::int64_t now = wall_ms();
  fill(dir.path(), now);
  auto r = run({"status", "--state-dir", dir.path()});
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  CHECK(r.out.find("Evidence cache: " + dir.path() + "/cache.db") != std::string::npos);
  CHECK(r.out.find("Last scan:      sequence 3") != std::string::npos);
  CHECK(r.out.find("1 pass, 0 fail") == std::string::npos);
  CHECK(r.out.find("0 pass, 1 fail, 0 not applicable, 1 error, 0 waived") != std::string::npos);
  CHECK(r.out.find("Outbox:         2 unshipped (oldest: sequence 2") != std::string::npos);

  r = run({"status", "--state-dir", dir.path(), "--format", "json"});
  REQUIRE(r.code == kExitOk);
  auto v = json::parse(r.out).as_object();
  CHECK(v.at("outbox_depth").as_int64() == 2);
  CHECK(v.at("oldest_unshipped_sequence").as_int64() == 2);
  CHECK(v.at("set_aside").as_int64() == 0);
  CHECK(v.at("last_sequence").as_int64() == 3);
  CHECK(v.at("file_bytes").as_int64() > 0);
  CHECK(v.at("last_scan").at("host").as_string() == "host-1");
}

TEST_CASE("the cache commands fail clearly without a cache", "[cache][cli]") {
  TempDir dir;
  for (const char* cmd : {"history", "status", "drift"}) {
    INFO(cmd);
    auto r = run({cmd, "--state-dir", dir.path()});
    CHECK(r.code == kExitUsage);
    CHECK(r.err == "vigil: " + dir.path() + "/cache.db: no evidence cache (no scan has been recorded yet)\n");
    CHECK(r.out.empty());
  }
  dir.write("bad/cache.db", "not a database at all, just text", 0600);
  auto r = run({"status", "--state-dir", dir.path() + "/bad"});
  CHECK(r.code == kExitUsage);
  CHECK(r.err.find("not an SQLite database") != std::string::npos);
}

TEST_CASE("vigil drift shows what changed, with evidence before and after", "[cache][cli]") {
  TempDir dir;
  const std::int64_t now = wall_ms();
  fill(dir.path(), now);
  auto r = run({"drift", "--state-dir", dir.path()});
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  CHECK(r.out.find("test-pack/c0  new") != std::string::npos);
  CHECK(r.out.find("test-pack/c0  pass->fail") != std::string::npos);
  CHECK(r.out.find("test-pack/c1  pass->error") != std::string::npos);
  CHECK(r.out.find("before: pass (sequence 1") != std::string::npos);
  CHECK(r.out.find("after:  fail (sequence 2): because fail") != std::string::npos);
  CHECK(r.out.find("/etc/test/c0.conf") != std::string::npos);

  r = run({"drift", "--state-dir", dir.path(), "--since", "30h", "--format", "json"});
  REQUIRE(r.code == kExitOk);
  auto v = json::parse(r.out).as_array();
  REQUIRE(v.size() == 2);  // c0 pass->fail a day ago, c1 pass->error an hour ago
  CHECK(v[0].at("change").as_string() == "pass->fail");
  CHECK(v[0].at("before").at("verdict").as_string() == "pass");
  CHECK(v[0].at("before").at("evidence").at("rows").at(0).at("value").as_string() == "pass value 0");
  CHECK(v[0].at("after").at("evidence").at("rows").at(0).at("compliant").as_int64() == 0);
  CHECK(v[1].at("check").as_string() == "c1");

  r = run({"drift", "--state-dir", dir.path(), "--check", "c1", "--since", format_utc(now - 2 * 3600000)});
  REQUIRE(r.code == kExitOk);
  CHECK(r.out.find("pass->error") != std::string::npos);
  CHECK(r.out.find("c0") == std::string::npos);

  r = run({"drift", "--state-dir", dir.path(), "--since", "2030-01-01"});
  REQUIRE(r.code == kExitOk);
  CHECK(r.out == "No verdict changes since 2030-01-01T00:00:00Z.\n");

  r = run({"drift", "--state-dir", dir.path(), "--since", "last tuesday"});
  CHECK(r.code == kExitUsage);
  CHECK(r.err.find("--since: 'last tuesday' is not a time") != std::string::npos);
}
