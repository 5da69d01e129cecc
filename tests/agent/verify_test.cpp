// agent/verify: evidence bundles, tampering named by sequence number, gap
// records, pinned keys, and `vigil verify` through run_cli.
#include "verify.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>

#include "agent/chain_support.hpp"
#include "attest.hpp"
#include "cli.hpp"
#include "test_support.hpp"

using namespace vigil;
using namespace vigil::agent;
namespace json = boost::json;

namespace {

struct Fixture {
  crypto::HostKey key = crypto::HostKey::generate().value();
  test::SampleScan scan = test::sample_scan(5);
  test::Chain chain = test::sign_chain(key, scan, 5);

  std::string bundle(const std::vector<std::string>& envelopes) const {
    return make_bundle(envelopes, key.public_key(), test::sample_manifest()).value();
  }
};

// Rewrites a bundle's envelope list, keeping the rest (the manifest is not
// touched, as a careless forger would do; tests that need it fix it).
std::string edit_envelopes(const std::string& bundle, const std::function<void(json::array&)>& f,
                           bool fix_count = true) {
  auto v = json::parse(bundle);
  auto& items = v.at("envelopes").as_array();
  f(items);
  if (fix_count) v.at("manifest").as_object()["count"] = items.size();
  return json::serialize(v);
}

std::string all_failures(const VerifyReport& r) {
  std::string s;
  for (const auto& f : r.failures)
    s += (f.sequence ? std::to_string(*f.sequence) : std::string("-")) + ": " + f.message + "\n";
  return s;
}

bool has_failure(const VerifyReport& r, std::int64_t seq, const std::string& part) {
  for (const auto& f : r.failures) {
    if (f.sequence && *f.sequence == seq && f.message.find(part) != std::string::npos) return true;
  }
  return false;
}

json::object item_of(const std::string& env, std::int64_t seq) {
  return json::object{{"sequence", seq}, {"sha256", crypto::sha256_hex(env)}, {"envelope", env}};
}

}  // namespace

TEST_CASE("an untouched bundle verifies", "[verify]") {
  Fixture f;
  const std::string b = f.bundle(f.chain.envelopes);
  auto r = verify_bundle(b);
  INFO(all_failures(r));
  CHECK(r.ok());
  CHECK(r.envelopes == 5);
  CHECK(r.scans == 5);
  CHECK(r.first_sequence == 1);
  CHECK(r.last_sequence == 5);
  CHECK(r.host == "0123456789abcdef");
  CHECK(r.key_ids == std::vector<std::string>{f.key.key_id()});
  CHECK_FALSE(r.key_pinned);
  CHECK(verify_report_text(r, "b.json") ==
        "b.json: 5 envelopes (5 scans, 0 gap records), sequences 1..5, key " + f.key.key_id() +
            ", chain intact\n  note: the key is the bundle's own; pass --key with the host's enrolled public "
            "key "
            "to pin it\n");
  // The envelopes are in the bundle byte for byte.
  auto v = json::parse(b);
  CHECK(v.at("envelopes").at(2).at("envelope").as_string() == f.chain.envelopes[2]);
  CHECK(v.at("manifest").at("first_sequence").as_int64() == 1);
  CHECK(v.at("manifest").at("count").as_int64() == 5);
  CHECK(v.at("schema").as_string() == "vigil.evidence-bundle.v1");

  VerifyOptions pinned;
  pinned.pinned_key = f.key.public_key();
  auto rp = verify_bundle(b, pinned);
  CHECK(rp.ok());
  CHECK(rp.key_pinned);
  // A chain that starts later (older envelopes pruned after shipping) is fine.
  auto later = test::sign_chain(f.key, f.scan, 3, 10, std::string(64, 'e'));
  CHECK(verify_bundle(f.bundle(later.envelopes)).ok());
}

TEST_CASE("tampering is detected and named by sequence number", "[verify]") {
  Fixture f;
  const std::string b = f.bundle(f.chain.envelopes);

  SECTION("a flipped byte in a payload") {
    auto env = parse_envelope(f.chain.envelopes[2]).value();
    const auto at = env.payload.find("\"verdict\":\"fail\"");
    REQUIRE(at != std::string::npos);
    env.payload.replace(at, 16, "\"verdict\":\"pasS\"");
    const std::string forged = serialize_envelope(env);
    auto r = verify_bundle(edit_envelopes(b, [&](json::array& a) { a[2] = item_of(forged, 3); }));
    INFO(all_failures(r));
    CHECK_FALSE(r.ok());
    CHECK(has_failure(r, 3, "does not verify"));
    CHECK(has_failure(r, 3, "is not the SHA-256 of its results"));
    CHECK(has_failure(r, 4, "previous_digest"));
  }
  SECTION("a flipped byte in the envelope text, bundle hints left as they were") {
    auto r = verify_bundle(edit_envelopes(b, [&](json::array& a) {
      auto& s = a[2].as_object()["envelope"].as_string();
      s[s.size() / 2] = s[s.size() / 2] == 'A' ? 'B' : 'A';
    }));
    INFO(all_failures(r));
    CHECK_FALSE(r.ok());
    CHECK(has_failure(r, 3, "envelope #3"));
  }
  SECTION("an envelope removed from the middle") {
    auto r = verify_bundle(edit_envelopes(b, [](json::array& a) { a.erase(a.begin() + 2); }));
    INFO(all_failures(r));
    CHECK_FALSE(r.ok());
    CHECK(has_failure(r, 4, "sequence 3 missing between sequence 2 and 4"));
    CHECK_THAT(verify_report_text(r, "b"), Catch::Contains("verification FAILED"));
  }
  SECTION("two envelopes swapped") {
    auto r = verify_bundle(edit_envelopes(b, [](json::array& a) { std::swap(a[1], a[2]); }));
    INFO(all_failures(r));
    CHECK_FALSE(r.ok());
    CHECK(has_failure(r, 2, "sequence 2 (envelope #3) comes after sequence 3: out of order"));
    CHECK(r.failures.size() == 1);
  }
  SECTION("a statement re-signed with another key") {
    auto other = crypto::HostKey::generate().value();
    auto env = parse_envelope(f.chain.envelopes[2]).value();
    auto resigned = sign_envelope(other, env.payload_type, env.payload).value();
    auto r = verify_bundle(edit_envelopes(b, [&](json::array& a) { a[2] = item_of(resigned.bytes, 3); }));
    INFO(all_failures(r));
    CHECK(has_failure(r, 3, "signed by key " + other.key_id() + ", not a trusted key"));
    // Claiming the host's key id does not help: the signature does not verify.
    auto spoof = parse_envelope(resigned.bytes).value();
    spoof.signatures[0].keyid = f.key.key_id();
    const std::string spoofed = serialize_envelope(spoof);
    auto r2 = verify_bundle(edit_envelopes(b, [&](json::array& a) { a[2] = item_of(spoofed, 3); }));
    INFO(all_failures(r2));
    CHECK(has_failure(r2, 3, "does not verify"));
  }
  SECTION("results changed and re-signed with the host key itself") {
    auto env = parse_envelope(f.chain.envelopes[1]).value();
    const auto at = env.payload.find("\"verdict\":\"fail\"");
    env.payload.replace(at, 16, "\"verdict\":\"pass\"");
    auto resigned = sign_envelope(f.key, env.payload_type, env.payload).value();
    auto r = verify_bundle(edit_envelopes(b, [&](json::array& a) { a[1] = item_of(resigned.bytes, 2); }));
    INFO(all_failures(r));
    CHECK(has_failure(r, 2, "is not the SHA-256 of its results"));
    CHECK(has_failure(r, 3, "previous_digest"));
  }
  SECTION("a duplicated envelope") {
    auto r = verify_bundle(edit_envelopes(b, [](json::array& a) { a.insert(a.begin() + 3, a[2]); }));
    INFO(all_failures(r));
    CHECK(has_failure(r, 3, "sequence 3 appears 2 times (envelopes #3, #4): duplicated"));
  }
  SECTION("a fork: two different envelopes at one sequence") {
    const auto other_scan = test::sample_scan(5, " (other)");
    auto fork =
        make_scan_signer(f.key, other_scan.report, other_scan.meta, {})(ChainLink{3, f.chain.digests[1]});
    REQUIRE(fork.ok());
    auto r = verify_bundle(
        edit_envelopes(b, [&](json::array& a) { a.insert(a.begin() + 3, item_of(fork->bytes, 3)); }));
    INFO(all_failures(r));
    CHECK(has_failure(r, 3, "fork at sequence 3: 2 different envelopes (#3, #4)"));
  }
  SECTION("garbage instead of an envelope") {
    auto r = verify_bundle(edit_envelopes(
        b, [](json::array& a) { a[2].as_object()["envelope"] = "{\"payloadType\": garbage"; }));
    INFO(all_failures(r));
    CHECK(has_failure(r, 3, "envelope #3: envelope: invalid JSON"));
    CHECK(has_failure(r, 4, "sequence 3 missing"));
    auto r2 = verify_bundle(edit_envelopes(b, [](json::array& a) { a[2] = 42; }));
    CHECK_THAT(all_failures(r2), Catch::Contains("envelope #3: not an object"));
  }
  SECTION("a bundle hint that lies about the sequence") {
    auto r = verify_bundle(edit_envelopes(b, [](json::array& a) { a[2].as_object()["sequence"] = 9; }));
    CHECK(has_failure(r, 3, "the bundle lists it as sequence 9"));
  }
  SECTION("a manifest that does not match the envelopes") {
    auto r = verify_bundle(edit_envelopes(
        b, [](json::array& a) { a.pop_back(); }, false));
    INFO(all_failures(r));
    CHECK_THAT(all_failures(r), Catch::Contains("manifest: count 5 but the bundle has 4 envelopes"));
    CHECK_THAT(all_failures(r), Catch::Contains("manifest: last_sequence 5 but the envelopes' is 4"));
    auto m = test::sample_manifest();
    m.to_ms = 1767225600000 - 1;
    auto r2 = verify_bundle(make_bundle(f.chain.envelopes, f.key.public_key(), m).value());
    CHECK(has_failure(r2, 1, "outside the manifest's range"));
    m = test::sample_manifest();
    m.host = "other";
    auto r3 = verify_bundle(make_bundle(f.chain.envelopes, f.key.public_key(), m).value());
    CHECK(has_failure(r3, 5, "statement of host 0123456789abcdef, the manifest's is other"));
  }
}

TEST_CASE("bundles that are not bundles fail with a reason", "[verify]") {
  Fixture f;
  for (
      const auto& [text, why] : std::vector<std::pair<std::string, std::string>>{
          {"", "not valid JSON"},
          {"{\"schema\":", "not valid JSON"},
          {"[1]", "not a JSON object"},
          {R"({"schema":"vigil.evidence-bundle.v0"})", "\"schema\" is not"},
          {R"({"schema":"vigil.evidence-bundle.v1","public_keys":[],"envelopes":[]})",
           "no usable public key"},
          {R"({"schema":"vigil.evidence-bundle.v1","public_keys":[{"key_id":"x","pem":"y"}],"envelopes":[]})",
           "public_keys[0]: not a PEM public key"},
      }) {
    INFO(text);
    auto r = verify_bundle(text);
    CHECK_FALSE(r.ok());
    CHECK_THAT(all_failures(r), Catch::Contains(why));
  }
  // A key_id that is not the key's.
  auto v = json::parse(f.bundle(f.chain.envelopes));
  v.at("public_keys").at(0).as_object()["key_id"] = std::string(64, '0');
  CHECK_THAT(all_failures(verify_bundle(json::serialize(v))),
             Catch::Contains("is not the SHA-256 of its key"));
}

TEST_CASE("a pinned key refuses a bundle made with another", "[verify]") {
  Fixture f;
  auto attacker = crypto::HostKey::generate().value();
  // Everything re-signed by another key, with that key in the bundle.
  std::vector<std::string> forged;
  std::string prev;
  for (const auto& e : f.chain.envelopes) {
    auto env = parse_envelope(e).value();
    forged.push_back(sign_envelope(attacker, env.payload_type, env.payload).value().bytes);
  }
  const std::string b = make_bundle(forged, attacker.public_key(), test::sample_manifest()).value();
  VerifyOptions pinned;
  pinned.pinned_key = f.key.public_key();
  auto r = verify_bundle(b, pinned);
  INFO(all_failures(r));
  CHECK_FALSE(r.ok());
  CHECK_THAT(all_failures(r), Catch::Contains("public key " + attacker.key_id() + " is not the trusted key"));
  CHECK(has_failure(r, 1, "not a trusted key"));
  // Without --key the forgery is self-consistent except for the key named inside each statement.
  auto unpinned = verify_bundle(b);
  CHECK(has_failure(unpinned, 1, "the statement names key " + f.key.key_id()));
}

TEST_CASE("a gap record explains a missing range, and only that range", "[verify]") {
  Fixture f;
  auto gap_signer = make_gap_signer(f.key, "0123456789abcdef");
  auto gap = gap_signer(ChainLink{6, f.chain.digests[4]},
                        GapInfo{2, 3, 1767225600000, 1767225600000, "retention: size cap"});
  REQUIRE(gap.ok());
  // Envelopes 2 and 3 were dropped; 4's previous digest cannot be checked.
  std::vector<std::string> kept{f.chain.envelopes[0], f.chain.envelopes[3], f.chain.envelopes[4], gap->bytes};
  auto r = verify_bundle(f.bundle(kept));
  INFO(all_failures(r));
  CHECK(r.ok());
  CHECK(r.gap_records == 1);
  REQUIRE(r.covered_gaps.size() == 1);
  CHECK(r.covered_gaps[0].first_sequence == 2);
  CHECK(r.covered_gaps[0].last_sequence == 3);
  CHECK(r.covered_gaps[0].recorded_at_sequence == 6);
  CHECK_THAT(
      verify_report_text(r, "b"),
      Catch::Contains("sequences 2..3 dropped before export, explained by the gap record at sequence 6: "
                      "retention: size cap"));
  // A record of 2..2 does not explain 3.
  auto small = gap_signer(ChainLink{6, f.chain.digests[4]}, GapInfo{2, 2, 0, 0, "x"});
  std::vector<std::string> kept2{f.chain.envelopes[0], f.chain.envelopes[3], f.chain.envelopes[4],
                                 small->bytes};
  auto r2 = verify_bundle(f.bundle(kept2));
  CHECK(has_failure(r2, 4, "sequences 2..3 missing between sequence 1 and 4, and no gap record explains it"));
  // A gap record signed by someone else explains nothing.
  auto other = crypto::HostKey::generate().value();
  auto forged =
      make_gap_signer(other, "0123456789abcdef")(ChainLink{6, f.chain.digests[4]}, GapInfo{2, 3, 0, 0, "x"});
  std::vector<std::string> kept3{f.chain.envelopes[0], f.chain.envelopes[3], f.chain.envelopes[4],
                                 forged->bytes};
  auto r3 = verify_bundle(f.bundle(kept3));
  CHECK(has_failure(r3, 4, "no gap record explains it"));
  CHECK(has_failure(r3, 6, "not a trusted key"));
}

TEST_CASE("make_bundle refuses an envelope that is not a statement", "[verify]") {
  Fixture f;
  auto r = make_bundle({f.chain.envelopes[0], "{}"}, f.key.public_key(), test::sample_manifest());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("envelope #2"));
}

TEST_CASE("parse_iso_time reads the times bundles carry", "[verify]") {
  CHECK(parse_iso_time("2026-01-01T00:00:00Z") == 1767225600000);
  CHECK(parse_iso_time("2026-01-01T00:00:00.250Z") == 1767225600250);
  CHECK(parse_iso_time(iso_time(1767225612345)) == 1767225612345);
  for (const char* bad : {"", "2026-01-01", "2026-02-31T00:00:00Z", "2026-01-01T24:00:00Z",
                          "2026-01-01 00:00:00Z", "2026-01-01T00:00:00+01:00", "2026-01-01T00:00:00.5Z"})
    CHECK_FALSE(parse_iso_time(bad).has_value());
}

TEST_CASE("vigil verify: exit codes and output", "[verify][cli]") {
  Fixture f;
  test::TempDir dir;
  const std::string good = f.bundle(f.chain.envelopes);
  dir.write("good.json", good);
  dir.write("bad.json", edit_envelopes(good, [](json::array& a) { a.erase(a.begin() + 2); }));
  dir.write("host.pub.pem", f.key.public_key().pem());
  dir.write("other.pub.pem", crypto::HostKey::generate().value().public_key().pem());
  auto run = [](std::vector<std::string> args, std::string& out, std::string& err) {
    std::ostringstream o, e;
    args.insert(args.begin(), {"vigil", "verify"});
    const int rc = run_cli(args, o, e);
    out = o.str();
    err = e.str();
    return rc;
  };
  std::string out, err;
  CHECK(run({dir.path() + "/good.json"}, out, err) == kExitOk);
  CHECK_THAT(out, Catch::Contains("5 envelopes (5 scans, 0 gap records), sequences 1..5") &&
                      Catch::Contains("chain intact"));
  CHECK(run({dir.path() + "/good.json", "--key", dir.path() + "/host.pub.pem"}, out, err) == kExitOk);
  CHECK_THAT(out, !Catch::Contains("note:"));
  CHECK(run({"--key=" + dir.path() + "/other.pub.pem", dir.path() + "/good.json"}, out, err) == kExitFailed);
  CHECK_THAT(err, Catch::Contains("is not the trusted key"));
  CHECK(run({dir.path() + "/bad.json"}, out, err) == kExitFailed);
  CHECK_THAT(err, Catch::Contains("verification FAILED") && Catch::Contains("sequence 3 missing"));
  CHECK(run({dir.path() + "/bad.json", "--format", "json"}, out, err) == kExitFailed);
  auto j = json::parse(out);
  CHECK(j.at("ok").as_bool() == false);
  CHECK(j.at("failures").at(0).at("sequence").as_int64() == 4);
  CHECK(run({dir.path() + "/good.json", "--format=json"}, out, err) == kExitOk);
  CHECK(json::parse(out).at("ok").as_bool());
  CHECK(json::parse(out).at("key_ids").at(0).as_string() == f.key.key_id());

  CHECK(run({dir.path() + "/missing.json"}, out, err) == kExitUsage);
  CHECK_THAT(err, Catch::Contains("missing.json: no such file"));
  CHECK(run({}, out, err) == kExitUsage);
  CHECK(run({"a", "b"}, out, err) == kExitUsage);
  CHECK(run({dir.path() + "/good.json", "--frob"}, out, err) == kExitUsage);
  CHECK(run({dir.path() + "/good.json", "--format", "xml"}, out, err) == kExitUsage);
  CHECK(run({dir.path() + "/good.json", "--key"}, out, err) == kExitUsage);
  CHECK(run({dir.path() + "/good.json", "--key", dir.path() + "/good.json"}, out, err) == kExitUsage);
  CHECK_THAT(err, Catch::Contains("--key:"));
  CHECK(run({"--help"}, out, err) == kExitOk);
  CHECK_THAT(out, Catch::Contains("Usage: vigil verify BUNDLE"));
}
