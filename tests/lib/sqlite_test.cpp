// The SQLite wrapper: one statement per prepare, errors as values, RAII transactions.
#include "sqlite.hpp"

#include <catch2/catch.hpp>

using vigil::sql::Database;
using vigil::sql::Transaction;

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
