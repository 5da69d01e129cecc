// Catch2 helpers shared by the evidence cache tests: opening, counting rows,
// recording fake scans, and checking the chain link by link.
#pragma once

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cache.hpp"
#include "cache_support.hpp"

namespace vigil::test {

using agent::Cache;
using agent::CacheOptions;
using agent::RecordedScan;
using agent::Verdict;
namespace json = boost::json;

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline CacheOptions options(const std::string& dir, std::int64_t* clock = nullptr) {
  CacheOptions o;
  o.state_dir = dir;
  if (clock != nullptr) o.clock = [clock] { return *clock; };
  return o;
}

inline Cache open_ok(const CacheOptions& o) {
  auto c = Cache::open(o);
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c.ok());
  return std::move(*c);
}

inline std::int64_t count(const Cache& c, const std::string& sql) {
  auto n = c.database().query_int(sql);
  REQUIRE(n.ok());
  return *n;
}

// Table row counts: what a failed write must leave untouched.
inline std::vector<std::int64_t> table_counts(const Cache& c) {
  std::vector<std::int64_t> v;
  for (const char* t : {"scans", "scan_packs", "results", "evidence", "transitions", "check_state", "chain",
                        "outbox", "gaps"})
    v.push_back(count(c, std::string("SELECT count(*) FROM ") + t));
  return v;
}

inline RecordedScan record(Cache& c, const ScanFactory& f, const std::vector<Verdict>& verdicts,
                           std::int64_t at_ms, std::size_t rows = 2) {
  auto r = c.record_scan(f.report(verdicts, at_ms, rows), f.meta(), vigil::test::fake_scan_signer());
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return *r;
}

// The chain is 1..N with each link naming the previous digest, every
// outbox envelope hashes to its link's digest, and the fake envelope bytes
// carry the same sequence and previous digest.
inline void require_chain_consecutive(const Cache& c) {
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

}  // namespace vigil::test
