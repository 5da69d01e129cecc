// The engine: lazy once-per-scan collection, verdict rules, firewalls, budgets.
#include "engine.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "policy.hpp"
#include "test_support.hpp"

using namespace vigil::agent;
using namespace vigil::collectors;

namespace {

int g_numbers_calls = 0;

TableDef numbers_table() {
  return {"test_numbers",
          "1..5 for engine tests",
          {{"n", ColumnType::integer, "number"}, {"label", ColumnType::text, "n as text"}},
          [](CollectContext& ctx, std::vector<Row>& rows) -> vigil::Status {
            ++g_numbers_calls;
            ctx.warn("test_numbers:1", "a warning from a collector");
            for (int i = 1; i <= 5; ++i) rows.push_back({int_value(i), text_value("n" + std::to_string(i))});
            return {};
          }};
}
TableDef broken_table() {
  return {"test_broken",
          "always fails",
          {{"x", ColumnType::integer, "x"}},
          [](CollectContext&, std::vector<Row>&) -> vigil::Status {
            return vigil::make_error(vigil::Errc::io, "/etc/broken: permission denied");
          }};
}
TableDef throwing_table() {
  return {"test_throws",
          "throws",
          {{"x", ColumnType::integer, "x"}},
          [](CollectContext&, std::vector<Row>&) -> vigil::Status { throw std::runtime_error("boom"); }};
}
TableDef bad_row_table() {
  return {"test_bad_row",
          "returns a short row",
          {{"a", ColumnType::integer, "a"}, {"b", ColumnType::integer, "b"}},
          [](CollectContext&, std::vector<Row>& rows) -> vigil::Status {
            rows.push_back({int_value(1)});
            return {};
          }};
}
TableDef echo_table() {
  return {
      "test_echo",
      "echoes its argument",
      {{"arg", ColumnType::text, "argument", true}, {"upper", ColumnType::text, "argument in upper case"}},
      [](CollectContext& ctx, std::vector<Row>& rows) -> vigil::Status {
        std::string a = std::get<std::string>(ctx.args().at(0));
        std::string u = a;
        for (auto& ch : u) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        ctx.warn("/etc/echo.db", "same warning on every call");
        rows.push_back({text_value(a), text_value(u)});
        return {};
      }};
}
VIGIL_REGISTER_TABLE(numbers_table());
VIGIL_REGISTER_TABLE(broken_table());
VIGIL_REGISTER_TABLE(throwing_table());
VIGIL_REGISTER_TABLE(bad_row_table());
VIGIL_REGISTER_TABLE(echo_table());

Check make_check(std::string id, std::string query, OnEmpty on_empty = OnEmpty::fail,
                 std::string applies = {}) {
  Check c;
  c.id = std::move(id);
  c.title = c.id;
  c.query = std::move(query);
  c.on_empty = on_empty;
  c.applies_when = std::move(applies);
  c.controls_2022 = {"A.8.5"};
  c.line = 1;
  return c;
}

PolicyPack pack_of(std::vector<Check> checks) {
  PolicyPack p;
  p.id = "t";
  p.source = "t.yaml";
  p.checks = std::move(checks);
  return p;
}

struct Fixture {
  vigil::test::TempDir dir;
  Host host = std::move(*Host::open(dir.path()));
  std::unique_ptr<Engine> engine = std::move(*Engine::create(host));
};

// The report's run of a collector (they are listed by table name).
const CollectorRun& run_of(const ScanReport& r, const std::string& table) {
  for (const auto& c : r.collectors) {
    if (c.table == table) return c;
  }
  FAIL("no collector run of " << table);
  throw std::logic_error("unreachable");
}

const CheckResult& result(const ScanReport& r, const std::string& id) {
  for (const auto& x : r.results) {
    if (x.check->id == id) return x;
  }
  FAIL("no result for " << id);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE(":scan_time is the scan's start in Unix seconds, one instant for every statement", "[engine]") {
  Fixture f;
  PolicyPack p;
  p.id = "t";
  p.source = "t.yaml";
  // Pinned to 2023: what the statements see is the scan's clock, not the
  // system's (which SQLite's 'now' would read, per statement).
  p.checks = {
      make_check("first", "SELECT :scan_time AS t, 1 AS compliant FROM test_numbers WHERE n = 1"),
      make_check("second", "SELECT :scan_time AS t, 1 AS compliant", OnEmpty::fail,
                 "SELECT 1 WHERE :scan_time = 1700000000"),
  };
  REQUIRE(f.engine->validate(p).ok());
  const std::vector<PolicyPack> packs{p};
  ScanOptions pinned;
  pinned.started_at_ms = 1'700'000'000'999;
  auto r = f.engine->scan(packs, pinned);
  CHECK(r.started_at_ms == 1'700'000'000'999);
  REQUIRE(result(r, "first").verdict == Verdict::pass);
  CHECK(std::get<std::int64_t>(result(r, "first").evidence.rows.at(0).at(0)) == 1'700'000'000);
  REQUIRE(result(r, "second").verdict == Verdict::pass);  // applies_when sees it too
  CHECK(std::get<std::int64_t>(result(r, "second").evidence.rows.at(0).at(0)) == 1'700'000'000);
  // Unpinned: the system clock when the scan starts, the report's time.
  auto now = f.engine->scan(packs);
  CHECK(std::get<std::int64_t>(result(now, "first").evidence.rows.at(0).at(0)) == now.started_at_ms / 1000);
  CHECK(now.started_at_ms / 1000 > 1'700'000'000);
}

TEST_CASE("verdict rules", "[engine]") {
  Fixture f;
  PolicyPack p;
  p.id = "t";
  p.source = "t.yaml";
  p.parameters["limit"] = std::int64_t{3};
  p.checks = {
      make_check("all-compliant", "SELECT n, 1 AS compliant FROM test_numbers"),
      make_check("one-bad", "SELECT n, n <> 4 AS compliant FROM test_numbers"),
      make_check("empty-fails", "SELECT n, 1 AS compliant FROM test_numbers WHERE n > 10"),
      make_check("empty-passes", "SELECT n, 0 AS compliant FROM test_numbers WHERE n > 10", OnEmpty::pass),
      make_check("empty-errors", "SELECT n, 1 AS compliant FROM test_numbers WHERE n > 10", OnEmpty::error),
      make_check("null-is-not-compliant", "SELECT n, NULL AS compliant FROM test_numbers"),
      make_check("not-applicable", "SELECT 1 AS compliant", OnEmpty::fail,
                 "SELECT 1 FROM test_numbers WHERE n = 0"),
      make_check("applies", "SELECT 1 AS compliant", OnEmpty::fail, "SELECT 1 FROM test_numbers WHERE n = 1"),
      make_check("parameter", "SELECT n, n <= :limit AS compliant FROM test_numbers WHERE n <= :limit"),
  };
  p.checks.push_back(make_check("not-applicable-says-why", "SELECT 1 AS compliant", OnEmpty::fail,
                                "SELECT 1 FROM test_numbers WHERE n = 0"));
  p.checks.back().applies_to = "hosts with a zero";
  REQUIRE(f.engine->validate(p).ok());
  g_numbers_calls = 0;
  const std::vector<PolicyPack> packs{p};
  auto r = f.engine->scan(packs);
  CHECK(g_numbers_calls == 1);  // one collection serves every check of the scan
  CHECK(result(r, "all-compliant").verdict == Verdict::pass);
  CHECK(result(r, "all-compliant").evidence.total_rows == 5);
  CHECK(result(r, "all-compliant").tables == std::vector<std::string>{"test_numbers"});
  CHECK(result(r, "one-bad").verdict == Verdict::fail);
  CHECK(result(r, "one-bad").message == "1 of 5 rows not compliant");
  CHECK(result(r, "empty-fails").verdict == Verdict::fail);
  CHECK(result(r, "empty-passes").verdict == Verdict::pass);
  CHECK(result(r, "empty-errors").verdict == Verdict::error);
  CHECK(result(r, "null-is-not-compliant").verdict == Verdict::fail);
  CHECK(result(r, "not-applicable").verdict == Verdict::not_applicable);
  CHECK(result(r, "not-applicable").message == "applies_when returned no rows");
  CHECK(result(r, "not-applicable-says-why").message ==
        "applies to hosts with a zero; applies_when found none here");
  CHECK(result(r, "applies").verdict == Verdict::pass);
  CHECK(result(r, "parameter").verdict == Verdict::pass);
  CHECK(result(r, "parameter").evidence.total_rows == 3);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].table == "test_numbers");
  const CollectorRun& numbers_run = run_of(r, "test_numbers");
  CHECK(numbers_run.rows == 5);

  // A second scan collects again: facts are never stale across scans.
  auto r2 = f.engine->scan(packs);
  CHECK(g_numbers_calls == 2);
  CHECK(r2.results.size() == r.results.size());
}

TEST_CASE("collector failures are errors for the checks that read them, and the scan goes on", "[engine]") {
  Fixture f;
  PolicyPack p = pack_of({
      make_check("broken", "SELECT x, 1 AS compliant FROM test_broken", OnEmpty::pass),
      make_check("throws", "SELECT x, 1 AS compliant FROM test_throws", OnEmpty::pass),
      make_check("bad-row", "SELECT a, 1 AS compliant FROM test_bad_row"),
      make_check("applies-broken", "SELECT 1 AS compliant", OnEmpty::pass, "SELECT 1 FROM test_broken"),
      make_check("fine", "SELECT n, 1 AS compliant FROM test_numbers"),
      make_check("runaway",
                 "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) "
                 "SELECT max(i) AS i, 1 AS compliant FROM c"),
  });
  REQUIRE(f.engine->validate(p).ok());
  ScanOptions opts;
  opts.check_timeout = std::chrono::milliseconds(200);
  const std::vector<PolicyPack> packs{p};
  auto r = f.engine->scan(packs, opts);
  CHECK(result(r, "broken").verdict == Verdict::error);
  CHECK(result(r, "broken").message.find("/etc/broken: permission denied") != std::string::npos);
  CHECK(result(r, "throws").verdict == Verdict::error);
  CHECK(result(r, "throws").message.find("boom") != std::string::npos);
  CHECK(result(r, "bad-row").verdict == Verdict::error);
  CHECK(result(r, "applies-broken").verdict == Verdict::error);
  CHECK(result(r, "fine").verdict == Verdict::pass);
  CHECK(result(r, "runaway").verdict == Verdict::error);
  CHECK(result(r, "runaway").message.find("time budget") != std::string::npos);
  // The failing collector ran once although two checks read it.
  int broken_runs = 0;
  for (const auto& c : r.collectors) broken_runs += c.table == "test_broken" ? 1 : 0;
  CHECK(broken_runs == 1);
}

TEST_CASE("validation refuses bad SQL with file, check and reason", "[engine]") {
  Fixture f;
  struct Case {
    std::string query;
    std::string expect;
  };
  const Case cases[] = {
      {"SELECT * FROM no_such_table", "t.yaml:1: check c: query: no such table: no_such_table"},
      {"SELECT n FROM test_numbers", "has no column named 'compliant'"},
      {"SELECT n, 1 AS compliant FROM test_numbers WHERE n = :nope", "unknown parameter :nope"},
      {"SELECT n, 1 AS compliant FROM test_numbers WHERE n = ?", "positional parameters"},
      {"SELEKT 1", "syntax error"},
      {"SELECT 1 AS compliant; SELECT 2", "more than one SQL statement"},
      {"DELETE FROM test_numbers", "query:"},
      {"ATTACH '/tmp/x.db' AS x", "query:"},
      {"PRAGMA writable_schema = 1", "query:"},
  };
  for (const auto& c : cases) {
    PolicyPack p = pack_of({make_check("c", c.query)});
    auto s = f.engine->validate(p);
    INFO(c.query);
    REQUIRE_FALSE(s.ok());
    INFO(s.error().message);
    CHECK(s.error().message.find(c.expect) != std::string::npos);
  }
}

TEST_CASE("table-valued functions take their argument and cache per value", "[engine]") {
  Fixture f;
  auto q = f.engine->query("SELECT upper FROM test_echo('abc')");
  REQUIRE(q.ok());
  REQUIRE(q->rows.rows.size() == 1);
  CHECK(std::get<std::string>(q->rows.rows[0][0]) == "ABC");
  auto in = f.engine->query("SELECT arg, upper FROM test_echo WHERE arg IN ('x', 'y', 'x') ORDER BY arg");
  REQUIRE(in.ok());
  CHECK(in->rows.total_rows == 2);
  CHECK(in->collectors.size() == 2);
  auto missing = f.engine->query("SELECT * FROM test_echo");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("needs a value for arg") != std::string::npos);
  auto join =
      f.engine->query("SELECT n.label, e.upper FROM test_numbers n JOIN test_echo e ON e.arg = n.label");
  REQUIRE(join.ok());
  CHECK(join->rows.total_rows == 5);
}

TEST_CASE("mode_within compares permission bits", "[engine]") {
  Fixture f;
  struct Case {
    const char* sql;
    std::int64_t expect;
  };
  const Case cases[] = {
      {"SELECT mode_within('0640', '0640')", 1}, {"SELECT mode_within('0600', '0640')", 1},
      {"SELECT mode_within('0644', '0640')", 0}, {"SELECT mode_within('4755', '0755')", 0},
      {"SELECT mode_within(416, '0640')", 1},    {"SELECT mode_within(NULL, '0640') IS NULL", 1}};
  for (const auto& c : cases) {
    INFO(c.sql);
    auto q = f.engine->query(c.sql);
    REQUIRE(q.ok());
    CHECK(std::get<std::int64_t>(q->rows.rows[0][0]) == c.expect);
  }
  CHECK_FALSE(f.engine->query("SELECT mode_within('rwx', '0640')").ok());
}

TEST_CASE("evidence is capped and the cap is reported", "[engine]") {
  Fixture f;
  PolicyPack p = pack_of({make_check("many", "SELECT n, 1 AS compliant FROM test_numbers")});
  ScanOptions opts;
  opts.evidence_cap = 2;
  const std::vector<PolicyPack> packs{p};
  auto r = f.engine->scan(packs, opts);
  const auto& e = result(r, "many").evidence;
  CHECK(e.rows.size() == 2);
  CHECK(e.total_rows == 5);
  CHECK(e.truncated());
  CHECK(result(r, "many").verdict == Verdict::pass);  // judged on all rows, not the kept ones
}

TEST_CASE("policy SQL is bounded: dangerous functions, value size, duplicate names", "[engine]") {
  Fixture f;
  auto tok = f.engine->query("SELECT fts3_tokenizer('simple')");
  REQUIRE_FALSE(tok.ok());
  CHECK(tok.error().message.find("not authorized") != std::string::npos);
  auto big = f.engine->query("SELECT length(randomblob(2000000))");
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message.find("too big") != std::string::npos);
  auto dup = f.engine->query("SELECT 1 AS a, 2 AS a, 3 AS A");
  REQUIRE(dup.ok());
  CHECK(dup->rows.columns == std::vector<std::string>{"a", "a:2", "A:3"});

  PolicyPack p = pack_of({make_check("c", "SELECT 1 AS compliant, 0 AS compliant")});
  auto s = f.engine->validate(p);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("two result columns are named 'compliant'") != std::string::npos);
}

TEST_CASE("evidence is capped in bytes as well as rows", "[engine]") {
  Fixture f;
  PolicyPack p = pack_of(
      {make_check("wide", "SELECT n, hex(zeroblob(200000)) AS blob, 1 AS compliant FROM test_numbers")});
  const std::vector<PolicyPack> packs{p};
  auto r = f.engine->scan(packs);
  const auto& e = result(r, "wide").evidence;
  CHECK(e.total_rows == 5);
  CHECK(e.rows.size() == 3);  // 400 kB each: the third crosses the 1 MiB cap
  CHECK(e.truncated());
}

TEST_CASE("a warning repeated by every call of a collector is reported once", "[engine]") {
  Fixture f;
  auto q = f.engine->query("SELECT upper FROM test_echo WHERE arg IN ('a', 'b', 'c')");
  REQUIRE(q.ok());
  CHECK(q->collectors.size() == 3);
  CHECK(q->warnings.size() == 1);
}

TEST_CASE("deb_version_cmp orders versions as dpkg does", "[engine]") {
  Fixture f;
  struct Case {
    const char* sql;
    std::int64_t expect;
  };
  const Case cases[] = {{"SELECT deb_version_cmp('1.0~rc1', '1.0')", -1},
                        {"SELECT deb_version_cmp('1:0.1', '9.9')", 1},
                        {"SELECT deb_version_cmp('1:9.2p1-2+deb12u3', '1:9.2p1-2+deb12u3')", 0},
                        {"SELECT deb_version_cmp(NULL, '1') IS NULL", 1}};
  for (const auto& c : cases) {
    INFO(c.sql);
    auto q = f.engine->query(c.sql);
    REQUIRE(q.ok());
    CHECK(std::get<std::int64_t>(q->rows.rows[0][0]) == c.expect);
  }
}

namespace {

// Takes at least 30 ms: over a 5 ms budget whatever the machine's speed.
TableDef slow_table() {
  return {"test_slow",
          "sleeps 30 ms, then one row",
          {{"x", ColumnType::integer, "x"}},
          [](CollectContext&, std::vector<Row>& rows) -> vigil::Status {
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            rows.push_back({int_value(1)});
            return {};
          }};
}
VIGIL_REGISTER_TABLE(slow_table());

}  // namespace

TEST_CASE("a collector over its time budget is an error for its checks, and says so", "[engine][budget]") {
  Fixture f;
  const std::vector<PolicyPack> packs{
      pack_of({make_check("slow", "SELECT x, 1 AS compliant FROM test_slow"),
               make_check("fast", "SELECT n, 1 AS compliant FROM test_numbers")})};
  REQUIRE(f.engine->validate(packs[0]).ok());
  ScanOptions opts;
  opts.collector_budget = std::chrono::milliseconds(5);
  auto r = f.engine->scan(packs, opts);
  const auto& slow = result(r, "slow");
  CHECK(slow.verdict == Verdict::error);
  CHECK_THAT(slow.message, Catch::Contains("collector test_slow failed: took") &&
                               Catch::Contains("over its time budget of 5.0 ms"));
  CHECK(slow.evidence.rows.empty());
  bool slow_over = false, numbers_over = true;
  for (const auto& run : r.collectors) {
    if (run.table == "test_slow") slow_over = run.over_budget;
    if (run.table == "test_numbers") numbers_over = run.over_budget;
  }
  CHECK(slow_over);
  CHECK_FALSE(numbers_over);
  // Without a budget the same collector passes.
  auto unbounded = f.engine->scan(packs);
  CHECK(result(unbounded, "slow").verdict == Verdict::pass);
}

TEST_CASE("a skipped collector is not run and its checks end in error with the reason", "[engine][budget]") {
  Fixture f;
  const std::vector<PolicyPack> packs{
      pack_of({make_check("numbers", "SELECT n, 1 AS compliant FROM test_numbers"),
               make_check("echo", "SELECT upper, 1 AS compliant FROM test_echo('a')")})};
  REQUIRE(f.engine->validate(packs[0]).ok());
  ScanOptions opts;
  opts.skip_collectors["test_numbers"] = "quarantined until tomorrow";
  g_numbers_calls = 0;
  auto r = f.engine->scan(packs, opts);
  CHECK(g_numbers_calls == 0);
  CHECK(result(r, "numbers").verdict == Verdict::error);
  CHECK_THAT(result(r, "numbers").message,
             Catch::Contains("collector test_numbers skipped: quarantined until tomorrow"));
  CHECK(result(r, "echo").verdict == Verdict::pass);
  CHECK(run_of(r, "test_numbers").skipped);
}

TEST_CASE("a cancelled scan stops before its next check and says it is incomplete", "[engine][budget]") {
  Fixture f;
  const std::vector<PolicyPack> packs{
      pack_of({make_check("a", "SELECT n, 1 AS compliant FROM test_numbers"),
               make_check("b", "SELECT n, 1 AS compliant FROM test_numbers")})};
  REQUIRE(f.engine->validate(packs[0]).ok());
  std::atomic<bool> cancel{true};
  ScanOptions opts;
  opts.cancel = &cancel;
  auto r = f.engine->scan(packs, opts);
  CHECK(r.cancelled);
  CHECK(r.results.empty());
  cancel = false;
  auto again = f.engine->scan(packs, opts);
  CHECK_FALSE(again.cancelled);
  CHECK(again.results.size() == 2);
}

namespace {

std::atomic<bool>* g_cancel_from_collector = nullptr;

// Sets the scan's cancel flag while it runs (SIGTERM during the last check).
TableDef cancelling_table() {
  return {"test_cancels",
          "cancels the scan that reads it",
          {{"x", ColumnType::integer, "x"}},
          [](CollectContext&, std::vector<Row>& rows) -> vigil::Status {
            if (g_cancel_from_collector != nullptr) g_cancel_from_collector->store(true);
            rows.push_back({int_value(1)});
            return {};
          }};
}
VIGIL_REGISTER_TABLE(cancelling_table());

// Slow and then failing, like a program that ran into its timeout.
TableDef slow_failing_table() {
  return {"test_slow_fails",
          "sleeps 30 ms, then fails",
          {{"x", ColumnType::integer, "x"}},
          [](CollectContext&, std::vector<Row>&) -> vigil::Status {
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            return vigil::make_error(vigil::Errc::timeout, "/usr/sbin/nft: timed out");
          }};
}
VIGIL_REGISTER_TABLE(slow_failing_table());

}  // namespace

TEST_CASE("a cancel during the last check still marks the scan cancelled", "[engine][budget]") {
  Fixture f;
  const std::vector<PolicyPack> packs{
      pack_of({make_check("a", "SELECT n, 1 AS compliant FROM test_numbers"),
               make_check("last", "SELECT x, 1 AS compliant FROM test_cancels")})};
  REQUIRE(f.engine->validate(packs[0]).ok());
  std::atomic<bool> cancel{false};
  g_cancel_from_collector = &cancel;
  ScanOptions opts;
  opts.cancel = &cancel;
  auto r = f.engine->scan(packs, opts);
  g_cancel_from_collector = nullptr;
  CHECK(r.cancelled);
}

TEST_CASE("a collector that is slow and then fails is over budget too, its own error kept",
          "[engine][budget]") {
  Fixture f;
  const std::vector<PolicyPack> packs{
      pack_of({make_check("s", "SELECT x, 1 AS compliant FROM test_slow_fails")})};
  REQUIRE(f.engine->validate(packs[0]).ok());
  ScanOptions opts;
  opts.collector_budget = std::chrono::milliseconds(5);
  auto r = f.engine->scan(packs, opts);
  CHECK(result(r, "s").verdict == Verdict::error);
  CHECK_THAT(result(r, "s").message, Catch::Contains("over its time budget of 5.0 ms") &&
                                         Catch::Contains("/usr/sbin/nft: timed out"));
  CHECK(run_of(r, "test_slow_fails").over_budget);
}

namespace {

// Heavy (the prefetch worker starts with it): notes the thread that ran it.
std::atomic<std::thread::id> g_heavy_thread{};
TableDef heavy_table() {
  TableDef def{"test_heavy",
               "sleeps 50 ms, then one row; heavy",
               {{"x", ColumnType::integer, "x"}},
               [](CollectContext& ctx, std::vector<Row>& rows) -> vigil::Status {
                 g_heavy_thread = std::this_thread::get_id();
                 std::this_thread::sleep_for(std::chrono::milliseconds(50));
                 ctx.warn("/heavy", "a warning from the heavy collector");
                 rows.push_back({int_value(7)});
                 return {};
               }};
  def.heavy = true;
  return def;
}
VIGIL_REGISTER_TABLE(heavy_table());

std::string value_text(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* t = std::get_if<std::string>(&v)) return "'" + *t + "'";
  if (const auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  return "NULL";
}

struct Outcome {
  std::vector<std::string> results;  // id, verdict, message, evidence rows
  std::vector<std::string> collectors;
  std::vector<std::string> warnings;
  std::thread::id heavy_thread;
};

Outcome scan_with(bool prefetch) {
  Fixture f;
  PolicyPack p = pack_of({
      make_check("heavy-first", "SELECT x, x = 7 AS compliant FROM test_heavy"),
      make_check("numbers", "SELECT n, n < 4 AS compliant FROM test_numbers"),
      make_check("broken", "SELECT x, 1 AS compliant FROM test_broken", OnEmpty::pass),
      make_check("heavy-again", "SELECT count(*) AS c, 1 AS compliant FROM test_heavy JOIN test_numbers"),
      make_check("plain", "SELECT 1 AS compliant"),
  });
  REQUIRE(f.engine->validate(p).ok());
  ScanOptions opts;
  opts.prefetch = prefetch;
  const std::vector<PolicyPack> packs{p};
  g_heavy_thread = std::thread::id{};
  auto r = f.engine->scan(packs, opts);
  Outcome o;
  for (const auto& x : r.results) {
    std::string line = x.check->id + " " + verdict_name(x.verdict) + " " + x.message;
    for (const auto& row : x.evidence.rows)
      for (const auto& v : row) line += " " + value_text(v);
    o.results.push_back(line);
  }
  for (const auto& c : r.collectors)
    o.collectors.push_back(c.table + c.args + " " + std::to_string(c.rows) + " " + c.error);
  for (const auto& w : r.warnings) o.warnings.push_back(w.table + " " + w.where + " " + w.message);
  o.heavy_thread = g_heavy_thread;
  return o;
}

}  // namespace

TEST_CASE("prefetch: a heavy table is collected on the worker, and the report is the one without it",
          "[engine][prefetch]") {
  const Outcome with = scan_with(true);
  const Outcome without = scan_with(false);
  CHECK(with.results == without.results);
  CHECK(with.collectors == without.collectors);
  CHECK(with.warnings == without.warnings);
  REQUIRE(with.results.size() == 5);
  CHECK(with.results[0].rfind("heavy-first pass", 0) == 0);  // the packs' order, though it ran later
  CHECK(with.results[3].rfind("heavy-again pass", 0) == 0);
  // Each collector ran once either way (system_info: the host description).
  CHECK(with.collectors.size() == 4);
  CHECK(without.heavy_thread == std::this_thread::get_id());
  CHECK(with.heavy_thread != std::thread::id{});
  CHECK(with.heavy_thread != std::this_thread::get_id());
}

TEST_CASE("prefetch: every fixture host gets the same verdicts, evidence and warnings with and without it",
          "[engine][prefetch]") {
  auto packs = builtin_packs();
  REQUIRE(packs);
  // The baseline only: the filesystem pack walks the whole tree of "/".
  const std::vector<PolicyPack> baseline{packs->front()};
  auto outcome = [&](const std::string& root, bool prefetch) {
    auto host = Host::open(root);
    REQUIRE(host);
    auto engine = Engine::create(*host);
    REQUIRE(engine);
    ScanOptions opts;
    opts.prefetch = prefetch;
    auto r = (*engine)->scan(baseline, opts);
    std::vector<std::string> lines;
    for (const auto& x : r.results) {
      std::string line = x.check->id + " " + verdict_name(x.verdict) + " " + x.message;
      for (const auto& row : x.evidence.rows)
        for (const auto& v : row) line += " " + value_text(v);
      lines.push_back(line);
    }
    for (const auto& c : r.collectors) lines.push_back("collector " + c.table + c.args + " " + c.error);
    for (const auto& w : r.warnings) lines.push_back("warning " + w.table + " " + w.where + " " + w.message);
    return lines;
  };
  std::vector<std::string> roots;
  for (const auto& e :
       std::filesystem::directory_iterator(vigil::test::fixture_host("debian12-stock") + "/.."))
    if (e.is_directory()) roots.push_back(e.path().string());
  std::sort(roots.begin(), roots.end());
  REQUIRE(roots.size() > 10);
  for (const auto& root : roots) {
    INFO(root);
    CHECK(outcome(root, true) == outcome(root, false));
  }
}
