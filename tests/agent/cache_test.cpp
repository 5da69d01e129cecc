// The evidence cache: opening and refusing, one-transaction writes, drift,
// retention with gap records, envelopes and results for exports.
#include "cache.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "cache_support.hpp"
#include "test_support.hpp"

using namespace vigil::agent;
using vigil::test::ScanFactory;
using vigil::test::TempDir;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CacheOptions options(const std::string& dir, std::int64_t* clock = nullptr) {
  CacheOptions o;
  o.state_dir = dir;
  if (clock != nullptr) o.clock = [clock] { return *clock; };
  return o;
}

Cache open_ok(const CacheOptions& o) {
  auto c = Cache::open(o);
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c.ok());
  return std::move(*c);
}

std::int64_t count(const Cache& c, const std::string& sql) {
  auto n = c.database().query_int(sql);
  REQUIRE(n.ok());
  return *n;
}

// Table row counts: what a failed write must leave untouched.
std::vector<std::int64_t> table_counts(const Cache& c) {
  std::vector<std::int64_t> v;
  for (const char* t : {"scans", "scan_packs", "results", "evidence", "transitions", "check_state", "chain",
                        "outbox", "gaps"})
    v.push_back(count(c, std::string("SELECT count(*) FROM ") + t));
  return v;
}

RecordedScan record(Cache& c, const ScanFactory& f, const std::vector<Verdict>& verdicts, std::int64_t at_ms,
                    std::size_t rows = 2) {
  auto r = c.record_scan(f.report(verdicts, at_ms, rows), f.meta(), vigil::test::fake_scan_signer());
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return *r;
}

// The chain is 1..N with each link naming the previous digest, every
// outbox envelope hashes to its link's digest, and the fake envelope bytes
// carry the same sequence and previous digest.
void require_chain_consecutive(const Cache& c) {
  auto links = c.chain();
  REQUIRE(links.ok());
  std::string previous;
  for (std::size_t i = 0; i < links->size(); ++i) {
    const auto& l = (*links)[i];
    INFO("sequence " << l.sequence);
    REQUIRE(l.sequence == static_cast<std::int64_t>(i + 1));
    REQUIRE(l.previous_digest == previous);
    previous = l.digest;
  }
  auto envs = c.envelopes_between(INT64_MIN, INT64_MAX);
  REQUIRE(envs.ok());
  for (const auto& e : *envs) {
    INFO("envelope " << e.sequence);
    REQUIRE(vigil::test::sha256_hex_evp(e.bytes) == e.digest);
    REQUIRE(e.digest == (*links)[static_cast<std::size_t>(e.sequence - 1)].digest);
    auto v = json::parse(e.bytes);
    REQUIRE(v.at("sequence").as_int64() == e.sequence);
    REQUIRE(v.at("previous").as_string() ==
            (*links)[static_cast<std::size_t>(e.sequence - 1)].previous_digest);
  }
}

}  // namespace

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

TEST_CASE("an empty file is migrated; reopening keeps the data and the version", "[cache]") {
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

TEST_CASE("a scan is written in one transaction; a failing signer leaves nothing behind", "[cache]") {
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

TEST_CASE("retention of shipped scans: removed without gap records, the chain continues", "[cache]") {
  TempDir dir;
  Cache c = open_ok(options(dir.path()));
  ScanFactory f(2);
  for (int i = 0; i < 6; ++i)
    record(c, f, {i < 2 ? Verdict::pass : Verdict::fail, Verdict::pass}, 1000 * (i + 1));
  for (std::int64_t s = 1; s <= 6; ++s) REQUIRE(c.mark_shipped(s, 99999).ok());
  RetentionPolicy p{0, 0, 3};
  auto rep = c.apply_retention(p, vigil::test::fake_gap_signer());
  REQUIRE(rep.ok());
  CHECK(rep->scans_removed == 3);
  CHECK(rep->envelopes_removed == 3);
  CHECK(rep->unshipped_removed == 0);
  CHECK(rep->gaps.empty());
  CHECK(count(c, "SELECT min(sequence) FROM scans") == 4);
  CHECK(count(c, "SELECT count(*) FROM outbox") == 3);
  CHECK(count(c, "SELECT count(*) FROM chain") == 6);  // links are never deleted
  // The pass->fail transition of scan 3 went with scan 3.
  auto d = c.drift({});
  REQUIRE(d.ok());
  CHECK(d->empty());
  CHECK(record(c, f, {Verdict::pass, Verdict::pass}, 7000).sequence == 7);
  require_chain_consecutive(c);
  auto d2 = c.drift({});
  REQUIRE(d2.ok());
  REQUIRE(d2->size() == 1);
  CHECK(d2->at(0).kind() == "fail->pass");
}

TEST_CASE("retention of unshipped envelopes writes a signed gap record as the next link", "[cache]") {
  TempDir dir;
  std::int64_t now = 100 * 86400000LL;
  Cache c = open_ok(options(dir.path(), &now));
  ScanFactory f(2);
  for (int i = 1; i <= 8; ++i) record(c, f, {Verdict::pass, Verdict::fail}, i * 86400000LL);
  // Shipped: 1, 2 and 5; 5 sits between unshipped runs.
  for (std::int64_t s : {1, 2, 5}) REQUIRE(c.mark_shipped(s, now).ok());
  REQUIRE(c.set_aside(4, "store rejected: bad signature").ok());

  SECTION("max_scans") {
    auto rep = c.apply_retention({0, 0, 2}, vigil::test::fake_gap_signer());
    REQUIRE(rep.ok());
    CHECK(rep->scans_removed == 6);
    CHECK(rep->unshipped_removed == 3);
    REQUIRE(rep->gaps.size() == 2);
    CHECK(rep->gaps[0].sequence == 9);
    CHECK(rep->gaps[0].info.first_sequence == 3);
    CHECK(rep->gaps[0].info.last_sequence == 4);
    CHECK(rep->gaps[0].info.first_time_ms == 3 * 86400000LL);
    CHECK(rep->gaps[0].info.last_time_ms == 4 * 86400000LL);
    CHECK(rep->gaps[0].info.reason == "retention cap max_scans=2");
    CHECK(rep->gaps[1].sequence == 10);
    CHECK(rep->gaps[1].info.first_sequence == 6);
    CHECK(rep->gaps[1].info.last_sequence == 6);
    auto envs = c.envelopes_between(INT64_MIN, INT64_MAX);
    REQUIRE(envs.ok());
    std::vector<std::int64_t> seqs;
    for (const auto& e : *envs) seqs.push_back(e.sequence);
    CHECK(seqs == std::vector<std::int64_t>{7, 8, 9, 10});
    CHECK(envs->at(2).kind == "gap");
    auto gap = json::parse(envs->at(2).bytes);
    CHECK(gap.at("first").as_int64() == 3);
    CHECK(gap.at("reason").as_string() == "retention cap max_scans=2");
    auto st = c.status();
    REQUIRE(st.ok());
    CHECK(st->outbox_depth == 4);  // 7, 8 and the two gap records
    CHECK(st->set_aside == 0);
    CHECK(st->gaps == 2);
    CHECK(record(c, f, {Verdict::pass, Verdict::pass}, 9 * 86400000LL).sequence == 11);
    require_chain_consecutive(c);
  }
  SECTION("max_age_days") {
    // Scans of days 1..8, now = day 100: a 95-day cap keeps days 5..8.
    auto rep = c.apply_retention({95, 0, 0}, vigil::test::fake_gap_signer());
    REQUIRE(rep.ok());
    CHECK(rep->scans_removed == 4);
    REQUIRE(rep->gaps.size() == 1);
    CHECK(rep->gaps[0].info.first_sequence == 3);
    CHECK(rep->gaps[0].info.last_sequence == 4);
    CHECK(rep->gaps[0].info.reason == "retention cap max_age_days=95: older than 95 days");
    require_chain_consecutive(c);
  }
  SECTION("the newest scan stays whatever the caps") {
    auto rep = c.apply_retention({1, 1, 1}, vigil::test::fake_gap_signer());
    REQUIRE(rep.ok());
    CHECK(count(c, "SELECT count(*) FROM scans") == 1);
    CHECK(count(c, "SELECT sequence FROM scans") == 8);
    CHECK(rep->still_over_size);
    require_chain_consecutive(c);
  }
  SECTION("a failing gap signer removes nothing") {
    const auto before = table_counts(c);
    auto rep =
        c.apply_retention({0, 0, 2}, [](const ChainLink&, const GapInfo&) -> vigil::Result<SignedEnvelope> {
          return vigil::make_error(vigil::Errc::io, "no key");
        });
    REQUIRE_FALSE(rep.ok());
    CHECK(rep.error().message == "signing sequence 9: no key");
    CHECK(table_counts(c) == before);
  }
}

TEST_CASE("the size cap removes the oldest scans until the pages in use fit", "[cache]") {
  TempDir dir;
  Cache c = open_ok(options(dir.path()));
  ScanFactory f(10);
  const std::vector<Verdict> v(10, Verdict::fail);
  for (int i = 1; i <= 40; ++i) record(c, f, v, i * 1000, 40);
  auto st = c.status();
  REQUIRE(st.ok());
  const std::int64_t cap = st->used_bytes / 2;
  auto rep = c.apply_retention({0, cap, 0}, vigil::test::fake_gap_signer());
  REQUIRE(rep.ok());
  CHECK(rep->bytes_before == st->used_bytes);
  CHECK(rep->bytes_after <= cap);
  CHECK_FALSE(rep->still_over_size);
  CHECK(rep->scans_removed >= 15);
  CHECK(rep->scans_removed < 40);
  REQUIRE(rep->gaps.size() == 1);
  CHECK(rep->gaps[0].info.first_sequence == 1);
  CHECK(rep->gaps[0].info.last_sequence == rep->scans_removed);
  CHECK(rep->gaps[0].info.reason.starts_with("retention cap max_bytes=" + std::to_string(cap)));
  CHECK(count(c, "SELECT min(sequence) FROM scans") == rep->scans_removed + 1);
  require_chain_consecutive(c);
  // The file gave the pages back (auto_vacuum = INCREMENTAL).
  CHECK(count(c, "PRAGMA freelist_count") == 0);
}

TEST_CASE("drift state survives retention of the scans behind it", "[cache]") {
  TempDir dir;
  Cache c = open_ok(options(dir.path()));
  ScanFactory f(2);
  record(c, f, {Verdict::pass, Verdict::pass}, 1000);  // c1 passes, then is not run for a while
  record(c, f, {Verdict::pass}, 2000);
  record(c, f, {Verdict::pass}, 3000);
  for (std::int64_t s = 1; s <= 3; ++s) REQUIRE(c.mark_shipped(s, 5000).ok());
  auto rep = c.apply_retention({0, 0, 1}, vigil::test::fake_gap_signer());
  REQUIRE(rep.ok());
  CHECK(rep->scans_removed == 2);
  record(c, f, {Verdict::pass, Verdict::fail}, 4000);
  auto d = c.drift({4000, std::string("c1")});
  REQUIRE(d.ok());
  REQUIRE(d->size() == 1);
  CHECK(d->at(0).kind() == "pass->fail");
  CHECK(d->at(0).before_sequence == 1);
  CHECK(d->at(0).before_seen_ms == 1000);
  CHECK_FALSE(d->at(0).before_evidence.has_value());  // removed with scan 1
  CHECK(d->at(0).after_evidence.has_value());
}

TEST_CASE("envelopes and results for a period, by control and check", "[cache]") {
  TempDir dir;
  std::int64_t now = 0;
  Cache c = open_ok(options(dir.path(), &now));
  ScanFactory f(3);
  for (int i = 1; i <= 4; ++i) {
    now = i * 1000 + 5;
    record(c, f, {Verdict::pass, Verdict::fail, Verdict::pass}, i * 1000);
  }
  auto envs = c.envelopes_between(2005, 3005);
  REQUIRE(envs.ok());
  REQUIRE(envs->size() == 2);
  CHECK(envs->at(0).sequence == 2);
  CHECK(envs->at(0).created_at_ms == 2005);
  CHECK(envs->at(0).kind == "scan");
  CHECK_FALSE(envs->at(0).shipped_at_ms.has_value());

  ResultQuery q{2000, 4000, {"A.8.8"}, {}};
  auto r = c.results_between(q);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);  // c1 in scans 2..4
  CHECK(r->at(0).check_id == "c1");
  CHECK(r->at(0).verdict == "fail");
  CHECK(r->at(0).sequence == 2);
  CHECK(r->at(0).controls_2022 == std::vector<std::string>{"A.8.8"});
  CHECK(r->at(0).evidence.rows.size() == 2);
  q = {0, 10000, {"A.9.4.2"}, {"c2"}};  // a 2013 id; c0 and c2 carry it, only c2 asked for
  r = c.results_between(q);
  REQUIRE(r.ok());
  CHECK(r->size() == 4);
  for (const auto& x : *r) CHECK(x.check_id == "c2");
  q = {0, 10000, {}, {}};
  r = c.results_between(q);
  REQUIRE(r.ok());
  CHECK(r->size() == 12);
}

TEST_CASE("a scan killed mid-write is all there or not at all", "[cache]") {
  TempDir dir;
  const std::string state = dir.path() + "/state";
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> delay_us(0, 60000);
  std::int64_t recorded_total = 0;
  for (int round = 0; round < 12; ++round) {
    INFO("round " << round);
    int out[2];
    REQUIRE(::pipe(out) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      const char* helper = VIGIL_CACHE_CRASH_HELPER;
      ::execl(helper, helper, state.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    // Once the helper has committed a scan in this round, kill it at a
    // random point of the writes that follow.
    char byte = 0;
    while (::read(out[0], &byte, 1) == 1 && byte != '\n') {
    }
    ::usleep(static_cast<useconds_t>(delay_us(rng)));
    REQUIRE(::kill(pid, SIGKILL) == 0);
    ::close(out[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    // It was killed, not finished or failed on its own.
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    REQUIRE(byte == '\n');  // it had written a scan

    Cache c = open_ok(options(state));  // quick_check runs here
    auto ic = c.database().prepare("PRAGMA integrity_check");
    REQUIRE(ic.ok());
    REQUIRE(ic->step());
    CHECK(ic->column_text(0) == "ok");
    require_chain_consecutive(c);
    auto s = c.database().prepare(
        "SELECT s.sequence, s.result_count, (SELECT count(*) FROM results r WHERE r.scan_id = s.id), "
        "(SELECT count(*) FROM evidence e JOIN results r ON r.id = e.result_id WHERE r.scan_id = s.id), "
        "(SELECT count(*) FROM outbox o WHERE o.sequence = s.sequence) FROM scans s ORDER BY s.sequence");
    REQUIRE(s.ok());
    std::int64_t scans = 0;
    while (s->step()) {
      const std::int64_t seq = s->column_int(0);
      INFO("sequence " << seq);
      const std::int64_t expected = 10 + seq % 31;  // what the helper wrote for this sequence
      CHECK(s->column_int(1) == expected);
      CHECK(s->column_int(2) == expected);
      CHECK(s->column_int(3) == expected);
      CHECK(s->column_int(4) == 1);
      ++scans;
    }
    REQUIRE(s->succeeded());
    CHECK(count(c, "SELECT count(*) FROM chain") == scans);
    CHECK(count(c, "SELECT count(*) FROM outbox") == scans);
    recorded_total = scans;
  }
  // Every round committed at least one scan before it was killed.
  CHECK(recorded_total >= 12);
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
