// The evidence cache's retention (caps, gap records, kept drift state) and
// the queries an export uses.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <random>

#include "cache.hpp"
#include "cache_support.hpp"
#include "cache_test_support.hpp"
#include "test_support.hpp"

using namespace vigil::agent;
using namespace vigil::test;
namespace fs = std::filesystem;
namespace json = boost::json;

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
