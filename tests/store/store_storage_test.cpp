// The SQLite backend: schema version, reopening, secrets never stored, the
// audit log append-only, and a one-time token two threads race for.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <thread>

#include "agent/chain_support.hpp"
#include "evidence.hpp"
#include "sqlite.hpp"
#include "sqlite_storage.hpp"
#include "store/store_support.hpp"
#include "tokens.hpp"

using namespace vigil;
using namespace vigil::store;
using vigil::test::StoreFixture;

TEST_CASE("storage: migrations by user_version, reopened without loss", "[store-storage]") {
  StoreFixture f;
  const std::string secret = f.person_token(Role::admin, "alice");
  {
    auto db = sql::Database::open(f.db_path());
    REQUIRE(db.ok());
    CHECK(*db->user_version() == kStoreSchemaVersion);
    CHECK(*db->query_int("PRAGMA journal_mode='wal'") >= 0);
    // Only the hash is stored.
    auto st = db->prepare("SELECT hash FROM tokens");
    REQUIRE(st.ok());
    REQUIRE(st->step());
    CHECK(st->column_text(0) == token_hash(secret));
    CHECK(*db->query_int("SELECT COUNT(*) FROM tokens WHERE hash LIKE '%vst_%' OR name LIKE '%vst_%'") == 0);
    // The audit log cannot be rewritten.
    CHECK(!db->exec("DELETE FROM audit").ok());
    CHECK(!db->exec("UPDATE audit SET action = 'x'").ok());
  }
  auto again = SqliteStorage::open(f.db_path(), std::chrono::milliseconds(1000));
  REQUIRE(again.ok());
  auto t = (*again)->find_person_token(token_hash(secret), f.now);
  REQUIRE(t.ok());
  REQUIRE(t->has_value());
  CHECK((*t)->name == "alice");
}

TEST_CASE("storage: refuses a database it cannot share between connections", "[store-storage]") {
  for (const char* p : {":memory:", "", "file:x?mode=memory"}) {
    CAPTURE(p);
    CHECK(!SqliteStorage::open(p, std::chrono::milliseconds(10)).ok());
  }
  test::TempDir dir;
  {
    auto st = SqliteStorage::open(dir.path() + "/s.db", std::chrono::milliseconds(10));
    REQUIRE(st.ok());
  }
  auto db = sql::Database::open(dir.path() + "/s.db");
  REQUIRE(db->set_user_version(kStoreSchemaVersion + 1).ok());
  auto newer = SqliteStorage::open(dir.path() + "/s.db", std::chrono::milliseconds(10));
  REQUIRE(!newer.ok());
  CHECK_THAT(newer.error().message, Catch::Contains("newer"));
}

TEST_CASE("storage: a new database is 0600, and root makes it for the directory's owner", "[store-storage]") {
  test::TempDir dir;
  const std::string sub = dir.path() + "/state";
  REQUIRE(::mkdir(sub.c_str(), 0700) == 0);
  const bool root = ::geteuid() == 0;
  if (root) REQUIRE(::chown(sub.c_str(), 4242, 4343) == 0);
  const mode_t old_mask = ::umask(0022);
  {
    auto st = SqliteStorage::open(sub + "/store.db", std::chrono::milliseconds(10));
    REQUIRE(st.ok());
  }
  ::umask(old_mask);
  struct stat info {};
  REQUIRE(::stat((sub + "/store.db").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  if (root) {
    CHECK(info.st_uid == 4242);
    CHECK(info.st_gid == 4343);
  }
}

TEST_CASE("storage: two threads racing for a one-time token, one wins", "[store-storage]") {
  StoreFixture f;
  const std::string token = f.enroll_token(1);
  std::vector<crypto::HostKey> keys;
  for (int i = 0; i < 4; ++i) keys.push_back(*crypto::HostKey::generate());
  std::vector<unsigned> statuses(keys.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < keys.size(); ++i)
    threads.emplace_back([&, i] {
      // No Catch2 macros off the main thread: the helpers' REQUIREs are not thread-safe.
      auto proof = keys[i].sign("vigil-enroll-v1\nrace-" + std::to_string(i) + "\n" + token);
      EnrollInput in{token_hash(token),
                     "race-" + std::to_string(i),
                     keys[i].public_key().pem(),
                     keys[i].key_id(),
                     "{}",
                     {},
                     "h-race" + std::to_string(i),
                     f.now};
      auto out = f.storage().enroll(in, AuditEntry{});
      statuses[i] = !out ? 500u : out->status == EnrollStatus::created ? 201u : 401u;
      (void)proof;
    });
  for (auto& t : threads) t.join();
  CHECK(std::count(statuses.begin(), statuses.end(), 201u) == 1);
  CHECK(std::count(statuses.begin(), statuses.end(), 401u) == 3);
}

namespace {

// A store with one enrolled host and a signed chain of n scans of it.
struct ChainHost {
  StoreFixture f;
  crypto::HostKey key = crypto::HostKey::generate().value();
  std::string host = f.enrolled_host(key);
  test::SampleScan scan = test::sample_scan(3);
  test::Chain chain;
  explicit ChainHost(std::size_t n) : chain(test::sign_chain(key, scan, n)) {}

  // Envelope i as the API hands it to the storage, with one result of
  // check in verdict.
  IngestItem item(std::size_t i, const std::string& check, const std::string& verdict) const {
    IngestItem it;
    it.bytes = chain.envelopes[i];
    it.digest = chain.digests[i];
    it.sequence = static_cast<std::int64_t>(i + 1);
    it.previous_digest = i == 0 ? "" : chain.digests[i - 1];
    it.time_ms = scan.report.started_at_ms;
    it.results = {ResultRow{check, "p", "t", "high", verdict, "", "{}", {"A.8.5"}, std::nullopt}};
    return it;
  }
};

}  // namespace

TEST_CASE("storage: two threads ingesting one chain store each envelope once", "[store-storage]") {
  ChainHost h(6);
  auto& f = h.f;
  const std::string& host = h.host;
  std::vector<IngestItem> items;
  for (std::size_t i = 0; i < h.chain.envelopes.size(); ++i)
    items.push_back(h.item(i, "c", i % 2 == 0 ? "pass" : "fail"));
  std::vector<std::vector<int>> seen(2);
  auto worker = [&](std::size_t w) {
    for (const auto& it : items) {
      auto r = f.storage().ingest(host, std::span(&it, 1), f.now);
      seen[w].push_back(!r || r->size() != 1 ? -1 : static_cast<int>(r->front().status));
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  for (std::size_t i = 0; i < items.size(); ++i) {
    CAPTURE(i, seen[0][i], seen[1][i]);
    const int acc = static_cast<int>(IngestStatus::accepted), dup = static_cast<int>(IngestStatus::duplicate);
    CHECK(((seen[0][i] == acc && seen[1][i] == dup) || (seen[0][i] == dup && seen[1][i] == acc)));
  }
  auto chain_state = f.storage().chain_state(host);
  REQUIRE(chain_state.ok());
  CHECK(chain_state->ok());
  CHECK(chain_state->last_sequence == 6);
  DriftFilter d;
  auto ts = f.storage().drift(d);
  REQUIRE(ts.ok());
  CHECK(ts->size() == 6);  // null->pass, then a change at every scan, each once
}

TEST_CASE(
    "storage: drift within one request and across requests is one transition per change, latest the last",
    "[store-storage]") {
  ChainHost h(6);
  auto& f = h.f;
  const std::string& host = h.host;
  const std::vector<std::string> verdicts{"fail", "fail", "pass", "pass", "pass", "fail"};
  std::vector<IngestItem> items;
  for (std::size_t i = 0; i < verdicts.size(); ++i) items.push_back(h.item(i, "c", verdicts[i]));
  // Sequences 1-4 in one request, 5-6 in the next: the second starts from
  // the latest verdict the first left.
  // Each request leaves `latest` at its last envelope's result.
  auto latest_is = [&](std::int64_t sequence, const std::string& verdict) {
    auto l = f.storage().latest_results(host);
    REQUIRE(l.ok());
    REQUIRE(l->size() == 1);
    CHECK(l->front().sequence == sequence);
    CHECK(l->front().row.verdict == verdict);
  };
  auto first = f.storage().ingest(host, std::span(items).first(4), f.now);
  REQUIRE(first.ok());
  latest_is(4, "pass");
  auto second = f.storage().ingest(host, std::span(items).subspan(4), f.now);
  REQUIRE(second.ok());
  latest_is(6, "fail");
  DriftFilter d;
  auto ts = f.storage().drift(d);
  REQUIRE(ts.ok());
  std::vector<std::string> seen;
  for (const auto& t : *ts)
    seen.push_back(std::to_string(t.sequence) + ":" + t.from.value_or("-") + ">" + t.to);
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::string>{"1:->fail", "3:fail>pass", "6:pass>fail"});
}

TEST_CASE("storage: a v1 database migrates to the current schema and keeps its evidence text",
          "[store-storage]") {
  ChainHost h(2);
  auto& f = h.f;
  const std::string& host = h.host;
  auto item = h.item(0, "c", "fail");
  item.results[0].evidence_json = R"({"rows":[1]})";
  REQUIRE(f.storage().ingest(host, std::span(&item, 1), f.now).ok());
  f.api.reset();
  {
    // Back to what v1 had: the text inline, no span columns, and the
    // per-control rows and host/check index that v3 drops.
    auto db = sql::Database::open(f.db_path());
    REQUIRE(db.ok());
    REQUIRE(db->exec("ALTER TABLE results DROP COLUMN evidence_offset").ok());
    REQUIRE(db->exec("ALTER TABLE results DROP COLUMN evidence_size").ok());
    REQUIRE(db->exec("CREATE TABLE result_controls (result_id INTEGER NOT NULL REFERENCES results(id),"
                     " control TEXT NOT NULL, PRIMARY KEY (result_id, control)) STRICT, WITHOUT ROWID;"
                     "CREATE INDEX result_controls_control ON result_controls(control);"
                     "CREATE INDEX results_host_check ON results(host_id, check_id, sequence);"
                     "INSERT INTO result_controls SELECT id, 'A.8.5' FROM results")
                .ok());
    REQUIRE(db->set_user_version(1).ok());
  }
  auto again = SqliteStorage::open(f.db_path(), std::chrono::milliseconds(1000));
  REQUIRE(again.ok());
  {
    auto db = sql::Database::open(f.db_path());
    CHECK(*db->user_version() == kStoreSchemaVersion);
    CHECK(*db->query_int("SELECT COUNT(*) FROM sqlite_schema WHERE name IN"
                         " ('result_controls', 'result_controls_control', 'results_host_check')") == 0);
  }
  auto latest = (*again)->latest_results(host);
  REQUIRE(latest.ok());
  REQUIRE(latest->size() == 1);
  CHECK_FALSE(latest->front().row.evidence_span.has_value());
  REQUIRE(resolve_evidence(**again, *latest).ok());
  CHECK(latest->front().row.evidence_json == R"({"rows":[1]})");
  CHECK(latest->front().row.controls == item.results[0].controls);
  // And the migrated database takes the chain's next envelope.
  auto next = h.item(1, "c", "pass");
  auto r = (*again)->ingest(host, std::span(&next, 1), f.now);
  REQUIRE(r.ok());
  CHECK(r->front().status == IngestStatus::accepted);
}

TEST_CASE("storage: a request's envelopes go in one transaction, and an error keeps none of them",
          "[store-storage]") {
  ChainHost h(3);
  auto& f = h.f;
  const std::string& host = h.host;
  auto item = [&](std::size_t i, const std::string& check) { return h.item(i, check, "pass"); };
  {
    // A trigger stands in for a write that fails half way through the batch.
    auto db = sql::Database::open(f.db_path());
    REQUIRE(db.ok());
    REQUIRE(db->exec("CREATE TRIGGER boom BEFORE INSERT ON results WHEN NEW.check_id = 'boom'"
                     " BEGIN SELECT RAISE(ABORT, 'boom'); END")
                .ok());
  }
  std::vector<IngestItem> failing{item(0, "c"), item(1, "boom")};
  auto r = f.storage().ingest(host, failing, f.now);
  REQUIRE(!r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("boom"));
  auto none = f.storage().chain_state(host);
  REQUIRE(none.ok());
  CHECK(!none->last_sequence);  // the first envelope went back with the second
  auto latest = f.storage().latest_results(host);
  REQUIRE(latest.ok());
  CHECK(latest->empty());

  // The same batch without the failure: each envelope sees the one before
  // it (the second is chained to the first), the repeat is a duplicate.
  std::vector<IngestItem> good{item(0, "c"), item(1, "c"), item(0, "c")};
  auto ok = f.storage().ingest(host, good, f.now);
  REQUIRE(ok.ok());
  REQUIRE(ok->size() == 3);
  CHECK((*ok)[0].status == IngestStatus::accepted);
  CHECK((*ok)[1].status == IngestStatus::accepted);
  CHECK((*ok)[2].status == IngestStatus::duplicate);
  auto two = f.storage().chain_state(host);
  REQUIRE(two.ok());
  CHECK(two->ok());
  CHECK(two->last_sequence == 2);
  auto empty = f.storage().ingest(host, std::span<const IngestItem>(), f.now);
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}
