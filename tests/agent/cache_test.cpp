// The evidence cache: opening and refusing, migrations, one-transaction
// writes, drift, the append-only chain.
#include "cache.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <random>

#include "cache_support.hpp"
#include "cache_test_support.hpp"
#include "test_support.hpp"

using namespace vigil::agent;
using namespace vigil::test;
namespace fs = std::filesystem;
namespace json = boost::json;

TEST_CASE("a new cache is created 0600 at schema v1, in WAL mode, whatever the umask", "[cache]") {
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{0277}}) {
    TempDir dir;
    const mode_t old = ::umask(mask);
    auto c = Cache::open(options(dir.path() + "/state"));
    ::umask(old);
    INFO("umask " << mask);
    REQUIRE(c.ok());
    struct stat st {};
    REQUIRE(::stat(c->path().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    REQUIRE(::stat((dir.path() + "/state").c_str(), &st) == 0);
    CHECK((st.st_mode & 0077) == 0);  // the state directory it made is the agent's alone
    CHECK(count(*c, "PRAGMA user_version") == cache_schema_version());
    CHECK(cache_schema_version() == 1);
    CHECK(count(*c, "PRAGMA application_id") == 0x5647494C);
    CHECK(count(*c, "PRAGMA foreign_keys") == 1);
    CHECK(count(*c, "PRAGMA auto_vacuum") == 2);  // incremental
    auto mode = c->database().prepare("PRAGMA journal_mode");
    REQUIRE(mode.ok());
    REQUIRE(mode->step());
    CHECK(mode->column_text(0) == "wal");
  }
}

TEST_CASE("an empty file is migrated, reopening keeps the data and the version", "[cache]") {
  TempDir dir;
  dir.write("cache.db", "", 0600);
  ScanFactory f(3);
  {
    Cache c = open_ok(options(dir.path()));
    CHECK(count(c,
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('scans', 'results', "
                "'evidence', 'transitions', 'check_state', 'chain', 'outbox', 'gaps', 'scan_packs')") == 9);
    record(c, f, {Verdict::pass, Verdict::fail, Verdict::error}, 1000);
  }
  Cache again = open_ok(options(dir.path()));
  CHECK(count(again, "PRAGMA user_version") == 1);
  CHECK(count(again, "SELECT count(*) FROM results") == 3);
}

namespace {

struct Refusal {
  const char* name;
  std::function<void(const TempDir&)> setup;  // makes dir.path()/state bad
  const char* message;                        // part of the error
};

}  // namespace

TEST_CASE("open refuses bad state directories and files, and leaves them as they were", "[cache]") {
  const auto make_cache = [](const std::string& state, const char* sql) {
    {
      auto c = Cache::open(options(state));
      REQUIRE(c.ok());
      ScanFactory f(2);
      REQUIRE(c->record_scan(f.report({Verdict::pass, Verdict::fail}, 1000, 50), f.meta(),
                             vigil::test::fake_scan_signer())
                  .ok());
    }
    if (sql != nullptr) {
      auto db = vigil::sql::Database::open(state + "/cache.db");
      REQUIRE(db.ok());
      REQUIRE(db->exec(sql).ok());
    }
  };
  const std::vector<Refusal> cases{
      {"garbage file", [](const TempDir& d) { d.write("state/cache.db", std::string(5000, 'x'), 0600); },
       "not an SQLite database"},
      {"short file", [](const TempDir& d) { d.write("state/cache.db", "SQLite", 0600); },
       "not an SQLite database"},
      {"another SQLite database",
       [](const TempDir& d) {
         d.mkdir("state");
         auto db = vigil::sql::Database::open(d.path() + "/state/cache.db");
         REQUIRE(db.ok());
         REQUIRE(db->exec("CREATE TABLE notes(x)").ok());
       },
       "not a Vigil evidence cache"},
      {"newer schema", [&](const TempDir& d) { make_cache(d.path() + "/state", "PRAGMA user_version = 99"); },
       "schema version 99, newer than this build"},
      {"corrupt pages",
       [&](const TempDir& d) {
         make_cache(d.path() + "/state", "PRAGMA wal_checkpoint(TRUNCATE)");
         const std::string p = d.path() + "/state/cache.db";
         std::string bytes = read_all(p);
         REQUIRE(bytes.size() > 8192);
         // Page 2 onwards: b-tree pages with their headers wiped.
         for (std::size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xA5 ^ (i & 0xFF));
         std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
       },
       "corrupt"},
      {"state dir is a symlink",
       [](const TempDir& d) {
         d.mkdir("real");
         d.symlink("state", d.path() + "/real");
       },
       "is a symlink"},
      {"cache file is a symlink",
       [](const TempDir& d) {
         d.write("elsewhere.db", "", 0600);
         d.symlink("state/cache.db", d.path() + "/elsewhere.db");
       },
       "is a symlink"},
      {"state dir is a file", [](const TempDir& d) { d.write("state", "x"); }, "not a directory"},
      {"cache is a directory", [](const TempDir& d) { d.mkdir("state/cache.db"); }, "not a regular file"},
      {"world-writable state dir",
       [](const TempDir& d) {
         d.mkdir("state");
         REQUIRE(::chmod((d.path() + "/state").c_str(), 0777) == 0);
       },
       "world-writable (mode 0777)"},
      {"world-writable cache file", [](const TempDir& d) { d.write("state/cache.db", "", 0666); },
       "world-writable"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      TempDir dir;
      c.setup(dir);
      const std::string state = dir.path() + "/state";
      const std::string before =
          fs::is_regular_file(state + "/cache.db") ? read_all(state + "/cache.db") : "";
      auto opened = Cache::open(options(state));
      REQUIRE_FALSE(opened.ok());
      INFO(opened.error().message);
      CHECK(opened.error().message.find(c.message) != std::string::npos);
      CHECK(opened.error().message.find(state) != std::string::npos);
      if (fs::is_regular_file(state + "/cache.db")) CHECK(read_all(state + "/cache.db") == before);
      CHECK_FALSE(fs::exists(state + "/cache.db-wal"));
      // Read-only opening refuses the same things.
      CacheOptions ro = options(state);
      ro.access = CacheAccess::read_only;
      CHECK_FALSE(Cache::open(ro).ok());
    }
  }
}

namespace {

// Opens the cache as an unprivileged user when the test runs as root
// (root writes anywhere); returns the error message, or "" when it opened.
std::string open_error_unprivileged(const std::string& state) {
  if (::geteuid() != 0) {
    auto c = Cache::open(options(state));
    return c ? "" : c.error().message;
  }
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string msg = "setuid failed";
    if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
      auto c = Cache::open(options(state));
      msg = c ? "" : c.error().message;
    }
    (void)!::write(fds[1], msg.data(), msg.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return msg;
}

}  // namespace

TEST_CASE("open refuses a state directory or cache file it cannot write", "[cache]") {
  TempDir dir;
  // Reachable by anyone, writable by nobody but root: a read-only directory.
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  dir.mkdir("ro");
  REQUIRE(::chmod((dir.path() + "/ro").c_str(), 0555) == 0);
  std::string msg = open_error_unprivileged(dir.path() + "/ro");
  CHECK(msg.find(dir.path() + "/ro: the state directory is not writable") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() + "/ro/cache.db"));

  // A writable directory holding a cache file the agent cannot write.
  dir.mkdir("rw");
  REQUIRE(::chmod((dir.path() + "/rw").c_str(), 0757 & ~0002) == 0);
  if (::geteuid() == 0) REQUIRE(::chown((dir.path() + "/rw").c_str(), 65534, 65534) == 0);
  dir.write("rw/cache.db", "", 0444);
  msg = open_error_unprivileged(dir.path() + "/rw");
  CHECK(msg.find(dir.path() + "/rw/cache.db: the evidence cache is not writable") != std::string::npos);
}

TEST_CASE("a read-only open needs an existing cache and never writes", "[cache]") {
  TempDir dir;
  CacheOptions ro = options(dir.path() + "/none");
  ro.access = CacheAccess::read_only;
  auto missing_dir = Cache::open(ro);
  REQUIRE_FALSE(missing_dir.ok());
  CHECK(missing_dir.error().message.find("no such state directory") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() + "/none"));
  ro.state_dir = dir.path();
  auto missing = Cache::open(ro);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message ==
        dir.path() + "/cache.db: no evidence cache (no scan has been recorded yet)");
  CHECK_FALSE(fs::exists(dir.path() + "/cache.db"));
  { Cache c = open_ok(options(dir.path())); }
  Cache reader = open_ok(ro);
  ScanFactory f(1);
  auto r = reader.record_scan(f.report({Verdict::pass}, 1, 1), f.meta(), vigil::test::fake_scan_signer());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("opened read-only") != std::string::npos);
}

TEST_CASE("a scan is written in one transaction, a failing signer leaves nothing behind", "[cache]") {
  TempDir dir;
  Cache c = open_ok(options(dir.path()));
  ScanFactory f(4);
  const auto first =
      record(c, f, {Verdict::pass, Verdict::fail, Verdict::not_applicable, Verdict::error}, 1000, 3);
  CHECK(first.sequence == 1);
  CHECK(first.results == 4);
  CHECK(first.transitions == 4);
  CHECK(count(c, "SELECT count(*) FROM evidence") == 4);
  CHECK(count(c,
              "SELECT count(*) FROM scan_packs WHERE pack_id = 'test-pack' AND version = '2026.12.0' AND "
              "source = 'builtin:test-pack'") == 1);
  CHECK(count(c,
              "SELECT count(*) FROM scans WHERE host = 'host-1' AND agent_version = '0.1.0-test' AND "
              "fail_count = 1 AND error_count = 1") == 1);
  const auto before = table_counts(c);

  using Signer = std::function<vigil::Result<SignedEnvelope>(const ChainLink&)>;
  struct Bad {
    const char* name;
    Signer signer;
    const char* message;
  };
  const std::vector<Bad> bad{
      {"signer error",
       [](const ChainLink&) -> vigil::Result<SignedEnvelope> {
         return vigil::make_error(vigil::Errc::io, "key file unreadable");
       },
       "signing sequence 2: key file unreadable"},
      {"signer throws",
       [](const ChainLink&) -> vigil::Result<SignedEnvelope> { throw std::runtime_error("boom"); },
       "signing sequence 2: the signer threw: boom"},
      {"wrong digest",
       [](const ChainLink&) -> vigil::Result<SignedEnvelope> {
         return SignedEnvelope{"{}", std::string(64, '0')};
       },
       "is not the SHA-256 of the envelope"},
      {"empty envelope", [](const ChainLink&) -> vigil::Result<SignedEnvelope> { return SignedEnvelope{}; },
       "empty envelope"},
  };
  for (const auto& b : bad) {
    INFO(b.name);
    auto r = c.record_scan(f.report({Verdict::fail, Verdict::fail, Verdict::pass, Verdict::pass}, 2000),
                           f.meta(), b.signer);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(b.message) != std::string::npos);
    CHECK(table_counts(c) == before);
  }
  // A duplicate check in one report is an SQL error: rolled back as well.
  auto dup = f.report({Verdict::pass, Verdict::pass}, 3000);
  dup.results.push_back(dup.results[0]);
  auto r = c.record_scan(dup, f.meta(), vigil::test::fake_scan_signer());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("test-pack/c0") != std::string::npos);
  CHECK(table_counts(c) == before);

  const auto second = record(c, f, {Verdict::fail, Verdict::fail, Verdict::pass, Verdict::pass}, 4000);
  CHECK(second.sequence == 2);
  require_chain_consecutive(c);
}

namespace {

Verdict v_of(char c) {
  switch (c) {
    case 'P':
      return Verdict::pass;
    case 'F':
      return Verdict::fail;
    case 'E':
      return Verdict::error;
    case 'N':
      return Verdict::not_applicable;
    default:
      return Verdict::waived;
  }
}

}  // namespace

TEST_CASE("drift: one transition per verdict change, first_seen when the verdict started", "[cache]") {
  struct Case {
    const char* verdicts;  // one scan per letter: P pass, F fail, E error, N not applicable, W waived
    std::vector<std::string> kinds;
    int first_seen_scan;  // 1-based scan where the last verdict started
  };
  const std::vector<Case> cases{
      {"P", {"new"}, 1},
      {"PPP", {"new"}, 1},
      {"PF", {"new", "pass->fail"}, 2},
      {"PFFP", {"new", "pass->fail", "fail->pass"}, 4},
      {"FEFE", {"new", "fail->error", "error->fail", "fail->error"}, 4},
      {"PNNP", {"new", "pass->not_applicable", "not_applicable->pass"}, 4},
      {"FFWW", {"new", "fail->waived"}, 3},
      {"PPFFF", {"new", "pass->fail"}, 3},
  };
  for (const auto& c : cases) {
    INFO("verdicts " << c.verdicts);
    TempDir dir;
    Cache cache = open_ok(options(dir.path()));
    ScanFactory f(1);
    std::int64_t t = 10000;
    for (const char* p = c.verdicts; *p != '\0'; ++p, t += 1000) record(cache, f, {v_of(*p)}, t);
    auto changes = cache.drift({});
    REQUIRE(changes.ok());
    std::vector<std::string> kinds;
    for (const auto& x : *changes) kinds.push_back(x.kind());
    CHECK(kinds == c.kinds);
    auto states = cache.check_states();
    REQUIRE(states.ok());
    REQUIRE(states->size() == 1);
    const auto& s = states->front();
    CHECK(s.verdict == verdict_name(v_of(c.verdicts[std::strlen(c.verdicts) - 1])));
    CHECK(s.first_seen_ms == 10000 + (c.first_seen_scan - 1) * 1000);
    CHECK(s.last_seen_ms == t - 1000);
    CHECK(s.last_seen_sequence == static_cast<std::int64_t>(std::strlen(c.verdicts)));
    // Each transition names both sides and their evidence.
    for (std::size_t i = 1; i < changes->size(); ++i) {
      const auto& x = (*changes)[i];
      REQUIRE(x.before_verdict.has_value());
      REQUIRE(x.before_evidence.has_value());
      REQUIRE(x.after_evidence.has_value());
      CHECK(x.before_sequence.value() < x.after_sequence);
      CHECK(std::string_view(x.before_evidence->rows.at(0).as_array().at(2).as_string())
                .starts_with(*x.before_verdict));
      CHECK(std::string_view(x.after_evidence->rows.at(0).as_array().at(2).as_string())
                .starts_with(x.after_verdict));
      CHECK(x.after_evidence->columns == std::vector<std::string>{"file", "line", "value", "compliant"});
    }
  }
}

TEST_CASE("drift filters by time and check", "[cache]") {
  TempDir dir;
  Cache c = open_ok(options(dir.path()));
  ScanFactory f(2);
  record(c, f, {Verdict::pass, Verdict::pass}, 1000);
  record(c, f, {Verdict::fail, Verdict::pass}, 2000);
  record(c, f, {Verdict::fail, Verdict::error}, 3000);
  auto since = c.drift({2000, std::nullopt});
  REQUIRE(since.ok());
  CHECK(since->size() == 2);
  auto only = c.drift({std::nullopt, std::string("c1")});
  REQUIRE(only.ok());
  REQUIRE(only->size() == 2);
  CHECK(only->at(1).kind() == "pass->error");
  CHECK(only->at(1).after_message == "because error");
}

TEST_CASE("a second writer waits for the lock, then fails before writing anything", "[cache]") {
  TempDir dir;
  Cache a = open_ok(options(dir.path()));
  CacheOptions o = options(dir.path());
  o.busy_timeout = std::chrono::milliseconds(0);
  Cache b = open_ok(o);
  ScanFactory f(2);
  REQUIRE(a.database().exec("BEGIN IMMEDIATE").ok());
  auto r = b.record_scan(f.report({Verdict::pass, Verdict::pass}, 1000), f.meta(),
                         vigil::test::fake_scan_signer());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find(dir.path() + "/cache.db: cannot start the write transaction") !=
        std::string::npos);
  REQUIRE(a.database().exec("ROLLBACK").ok());
  CHECK(record(b, f, {Verdict::pass, Verdict::pass}, 1000).sequence == 1);
}

TEST_CASE("the chain table refuses deletes, updates and links out of order", "[cache]") {
  TempDir dir;
  Cache c = open_ok(options(dir.path()));
  ScanFactory f(1);
  record(c, f, {Verdict::pass}, 1000);
  record(c, f, {Verdict::pass}, 2000);
  const auto& db = c.database();
  auto del = db.exec("DELETE FROM chain WHERE sequence = 1");
  REQUIRE_FALSE(del.ok());
  CHECK(del.error().message == "chain: links are never deleted");
  CHECK_FALSE(db.exec("UPDATE chain SET digest = digest WHERE sequence = 2").ok());
  const std::string d(64, 'a');
  auto skip = db.exec(("INSERT INTO chain VALUES (4, '" + d + "', '', 'scan', 0)").c_str());
  REQUIRE_FALSE(skip.ok());
  CHECK(skip.error().message.find("must follow the last one") != std::string::npos);
  CHECK_FALSE(db.exec(("INSERT INTO chain VALUES (3, '" + d + "', 'wrong', 'scan', 0)").c_str()).ok());
  CHECK(count(c, "SELECT count(*) FROM chain") == 2);
}
