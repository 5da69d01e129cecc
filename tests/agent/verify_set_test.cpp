// Bundle sets (vigil-store's multi-host export) and `vigil verify` on them.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <sstream>

#include "agent/chain_support.hpp"
#include "cli.hpp"
#include "test_support.hpp"
#include "verify.hpp"

using namespace vigil;
using namespace vigil::agent;

namespace {

std::string host_bundle(const crypto::HostKey& key, std::size_t n) {
  auto scan = test::sample_scan();
  auto chain = test::sign_chain(key, scan, n);
  auto b = make_bundle(chain.envelopes, key.public_key(), test::sample_manifest());
  REQUIRE(b.ok());
  return *b;
}

int verify(std::vector<std::string> args, std::string& out, std::string& err) {
  std::ostringstream o, e;
  args.insert(args.begin(), {"vigil", "verify"});
  const int rc = run_cli(args, o, e);
  out = o.str();
  err = e.str();
  return rc;
}

}  // namespace

TEST_CASE("bundle set: made, split back, and verified bundle by bundle", "[verify]") {
  auto k1 = crypto::HostKey::generate().value();
  auto k2 = crypto::HostKey::generate().value();
  const std::vector<std::string> bundles = {host_bundle(k1, 3), host_bundle(k2, 2)};
  auto set = make_bundle_set(bundles, 1767225600000);
  REQUIRE(set.ok());
  auto split = split_bundle_set(*set);
  REQUIRE(split.ok());
  REQUIRE(split->has_value());
  REQUIRE((*split)->size() == 2);
  CHECK(verify_bundle((**split)[0]).scans == 3);
  CHECK(verify_bundle((**split)[1]).ok());
  // A single bundle is not a set.
  auto single = split_bundle_set(bundles[0]);
  REQUIRE(single.ok());
  CHECK(!single->has_value());
  CHECK(!split_bundle_set(R"({"schema":"vigil.evidence-bundles.v1","bundles":{}})").ok());

  test::TempDir dir;
  dir.write("set.json", *set);
  // The first host's bundle with one envelope removed from the middle.
  auto doc = boost::json::parse(*set);
  auto& envs = doc.at("bundles").at(0).at("envelopes").as_array();
  envs.erase(envs.begin() + 1);
  dir.write("bad-set.json", boost::json::serialize(doc));
  dir.write("key.pem", k1.public_key().pem());
  std::string out, err;
  CHECK(verify({dir.path() + "/set.json"}, out, err) == kExitOk);
  CHECK_THAT(out, Catch::Contains("bundle #1") && Catch::Contains("bundle #2"));
  CHECK(verify({dir.path() + "/bad-set.json"}, out, err) == kExitFailed);
  CHECK_THAT(err, Catch::Contains("bundle #1") && Catch::Contains("sequence 2 missing"));
  CHECK(verify({dir.path() + "/set.json", "--format", "json"}, out, err) == kExitOk);
  CHECK(boost::json::parse(out).at("bundles").as_array().size() == 2);
  CHECK(verify({dir.path() + "/set.json", "--key", dir.path() + "/key.pem"}, out, err) == kExitUsage);
}
