// The SQLite wrapper: one statement per prepare, errors as values, RAII transactions.
#include "sqlite.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

using vigil::sql::Database;
using vigil::sql::Migration;
using vigil::sql::Transaction;
using vigil::sql::migrate;

TEST_CASE("prepare refuses a second statement hidden after the first", "[sqlite]") {
  auto db = Database::open(":memory:");
  REQUIRE(db.ok());
  CHECK(db->prepare("SELECT 1;").ok());
  CHECK(db->prepare("SELECT 1; -- trailing comment\n").ok());
  auto two = db->prepare("SELECT 1; SELECT 2");
  REQUIRE_FALSE(two.ok());
  CHECK(two.error().message == "more than one SQL statement");
  auto bad = db->prepare("SELEC 1");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("syntax error") != std::string::npos);
  CHECK_FALSE(db->prepare("   ").ok());
}

TEST_CASE("statements step, bind and report values", "[sqlite]") {
  auto db = Database::open(":memory:");
  REQUIRE(db.ok());
  auto s = db->prepare("SELECT :a + 1 AS n, :b AS t, NULL AS z");
  REQUIRE(s.ok());
  REQUIRE(s->bind_int(s->parameter_index(":a"), 41).ok());
  REQUIRE(s->bind_text(s->parameter_index(":b"), "x").ok());
  REQUIRE(s->step());
  CHECK(s->column_name(0) == "n");
  CHECK(s->column_int(0) == 42);
  CHECK(s->column_text(1) == "x");
  CHECK(s->column_is_null(2));
  CHECK_FALSE(s->step());
  CHECK(s->succeeded());
}

TEST_CASE("a transaction rolls back unless committed", "[sqlite]") {
  auto db = Database::open(":memory:");
  REQUIRE(db.ok());
  REQUIRE(db->exec("CREATE TABLE t(x)").ok());
  {
    Transaction tx(*db);
    REQUIRE(tx.begin().ok());
    REQUIRE(db->exec("INSERT INTO t VALUES (1)").ok());
  }
  {
    Transaction tx(*db);
    REQUIRE(tx.begin().ok());
    REQUIRE(db->exec("INSERT INTO t VALUES (2)").ok());
    REQUIRE(tx.commit().ok());
  }
  auto s = db->prepare("SELECT group_concat(x) FROM t");
  REQUIRE(s.ok());
  REQUIRE(s->step());
  CHECK(s->column_text(0) == "2");
}

TEST_CASE("blobs, bind_all, query_int and user_version", "[sqlite]") {
  auto db = Database::open(":memory:");
  REQUIRE(db.ok());
  REQUIRE(db->exec("CREATE TABLE t(a, b, c, d, e)").ok());
  auto ins = db->prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)");
  REQUIRE(ins.ok());
  const std::string bytes("a\0b\xff", 4);
  REQUIRE(
      ins->bind_all({nullptr, std::int64_t{7}, 2.5, std::string_view("x"), vigil::sql::Blob{bytes}}).ok());
  CHECK_FALSE(ins->step());
  CHECK(ins->succeeded());
  CHECK(db->changes() == 1);
  CHECK(db->last_insert_rowid() == 1);
  auto s = db->prepare("SELECT typeof(a), b, c, d, typeof(e), e FROM t");
  REQUIRE(s.ok());
  REQUIRE(s->step());
  CHECK(s->column_text(0) == "null");
  CHECK(s->column_int(1) == 7);
  CHECK(s->column_double(2) == 2.5);
  CHECK(s->column_text(3) == "x");
  CHECK(s->column_text(4) == "blob");
  CHECK(s->column_blob(5) == bytes);
  auto n = db->query_int("SELECT count(*) FROM t");
  REQUIRE(n.ok());
  CHECK(*n == 1);
  CHECK_FALSE(db->query_int("SELECT 1 WHERE 0").ok());
  CHECK(*db->user_version() == 0);
  REQUIRE(db->set_user_version(3).ok());
  CHECK(*db->user_version() == 3);
}

TEST_CASE("an immediate transaction takes the write lock at begin", "[sqlite]") {
  vigil::test::TempDir dir;
  const std::string path = dir.path() + "/t.db";
  auto a = Database::open(path);
  auto b = Database::open(path);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->exec("PRAGMA journal_mode = WAL").ok());
  REQUIRE(a->exec("CREATE TABLE t(x)").ok());
  REQUIRE(b->set_busy_timeout(std::chrono::milliseconds(0)).ok());
  Transaction ta(*a, vigil::sql::TransactionMode::immediate);
  REQUIRE(ta.begin().ok());
  Transaction tb(*b, vigil::sql::TransactionMode::immediate);
  auto s = tb.begin();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("locked") != std::string::npos);
  // A deferred transaction may begin; it is its first write that waits.
  Transaction td(*b);
  CHECK(td.begin().ok());
  CHECK_FALSE(b->exec("INSERT INTO t VALUES (1)").ok());
}

TEST_CASE("migrate runs each step once, in order, and refuses a newer schema", "[sqlite]") {
  auto db = Database::open(":memory:");
  REQUIRE(db);
  const Migration v1[] = {{1, "CREATE TABLE a (x INTEGER);"}};
  const Migration v2[] = {{1, "CREATE TABLE a (x INTEGER);"}, {2, "ALTER TABLE a ADD COLUMN y TEXT;"}};
  REQUIRE(migrate(*db, v1, "test.db").ok());
  CHECK(*db->user_version() == 1);
  REQUIRE(migrate(*db, v2, "test.db").ok());  // only step 2 runs (step 1 again would fail)
  CHECK(*db->user_version() == 2);
  REQUIRE(migrate(*db, v2, "test.db").ok());
  CHECK(db->exec("INSERT INTO a (x, y) VALUES (1, 'z')").ok());

  auto newer = migrate(*db, v1, "test.db");
  REQUIRE_FALSE(newer.ok());
  CHECK_THAT(newer.error().message, Catch::Contains("test.db: schema version 2 is newer"));

  auto fresh = Database::open(":memory:");
  REQUIRE(fresh);
  const Migration bad[] = {{1, "CREATE TABLE b (x INTEGER);"}, {2, "NOT SQL"}};
  auto failed = migrate(*fresh, bad, "fresh.db");
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.error().message, Catch::Contains("fresh.db: migration to v2"));
  CHECK(*fresh->user_version() == 1);  // step 1 stayed, step 2 rolled back
}

TEST_CASE("prepare_cached reuses a statement once it is done, and a fresh one while it is in use", "[sqlite]") {
  auto db = Database::open(":memory:");
  REQUIRE(db);
  REQUIRE(db->exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);").ok());
  const char* sql = "SELECT x FROM t WHERE x >= ?1 ORDER BY x";
  sqlite3_stmt* first = nullptr;
  {
    auto a = db->prepare_cached(sql);
    REQUIRE(a);
    first = a->get();
    REQUIRE(a->bind_int(1, 2).ok());
    REQUIRE(a->step());
    CHECK(a->column_int(0) == 2);
    // In use (half read): the same SQL gets a statement of its own.
    auto b = db->prepare_cached(sql);
    REQUIRE(b);
    CHECK(b->get() != first);
    REQUIRE(b->bind_int(1, 3).ok());
    REQUIRE(b->step());
    CHECK(b->column_int(0) == 3);
  }
  // Back in the cache, reset and unbound: it starts from the first row again.
  auto c = db->prepare_cached(sql);
  REQUIRE(c);
  REQUIRE(c->bind_int(1, 1).ok());
  REQUIRE(c->step());
  CHECK(c->column_int(0) == 1);
  CHECK_FALSE(db->prepare_cached("SELECT 1; SELECT 2").ok());  // the same single-statement rule
}
