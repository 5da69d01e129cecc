// agent/attest: DSSE PAE and envelopes, in-toto statements, deterministic
// serialisation, and signatures checked by openssl as a separate process.
#include "attest.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <random>

#include "agent/chain_support.hpp"
#include "json_exact.hpp"
#include "runner.hpp"
#include "test_support.hpp"

using namespace vigil;
using namespace vigil::agent;
namespace json = boost::json;

TEST_CASE("PAE matches the DSSE specification's test vector", "[attest]") {
  // protocol.md, "Test Vectors": PAYLOAD_TYPE http://example.com/HelloWorld,
  // SERIALIZED_BODY "hello world".
  CHECK(dsse_pae("http://example.com/HelloWorld", "hello world") ==
        "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  CHECK(dsse_pae("", "") == "DSSEv1 0  0 ");
  // Lengths are of bytes, not characters.
  CHECK(dsse_pae("t", "\xc3\xa9") == "DSSEv1 1 t 2 \xc3\xa9");
}

TEST_CASE("the DSSE specification's example envelope parses", "[attest]") {
  // The "Result" of protocol.md's test vector (members in another order, no keyid).
  const std::string spec =
      R"({"payload": "aGVsbG8gd29ybGQ=",
 "payloadType": "http://example.com/HelloWorld",
 "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]})";
  auto env = parse_envelope(spec);
  REQUIRE(env.ok());
  CHECK(env->payload == "hello world");
  CHECK(env->payload_type == "http://example.com/HelloWorld");
  REQUIRE(env->signatures.size() == 1);
  CHECK(env->signatures[0].keyid.empty());
  CHECK(env->signatures[0].sig.size() == 64);  // ECDSA P-256 r||s
  // It is not a Vigil statement.
  CHECK_THAT(decode_statement(*env).error().message, Catch::Contains("payloadType"));
}

TEST_CASE("malformed envelopes are refused with the field named", "[attest]") {
  struct Case {
    std::string text;
    const char* why;
  };
  const std::vector<Case> cases{
      {"", "invalid JSON"},
      {"{not json", "invalid JSON"},
      {"[]", "not a JSON object"},
      {R"({"payloadType":"t","payload":"aGk=","signatures":[{"sig":"aGk="}]} x)",
       "text after the JSON value"},
      {R"({"payloadType":"t","payload":"aGk=","signatures":[{"sig":"aGk="}],"extra":1})",
       "unknown member \"extra\""},
      {R"({"payload":"aGk=","signatures":[{"sig":"aGk="}]})", "missing \"payloadType\""},
      {R"({"payloadType":1,"payload":"aGk=","signatures":[{"sig":"aGk="}]})",
       "\"payloadType\" is not a string"},
      {R"({"payloadType":"t","payload":"a*k=","signatures":[{"sig":"aGk="}]})",
       "payload: base64: invalid character '*'"},
      {R"({"payloadType":"t","payload":"aGk=","signatures":[]})", "no signatures"},
      {R"({"payloadType":"t","payload":"aGk=","signatures":{}})", "\"signatures\" missing or not an array"},
      {R"({"payloadType":"t","payload":"aGk=","signatures":[{"keyid":"k"}]})",
       "signatures[0]: missing \"sig\""},
      {R"({"payloadType":"t","payload":"aGk=","signatures":[{"sig":"a"}]})", "signatures[0]: sig"},
      {R"({"payloadType":"t","payload":"aGk=","signatures":[[[[[[[[[[1]]]]]]]]]]})", "invalid JSON"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto r = parse_envelope(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains(c.why));
  }
}

TEST_CASE("the scan statement is deterministic and decodes to what was signed", "[attest]") {
  const auto scan = test::sample_scan(6);
  const ScopeTags scope{{"site", "lab"}, {"env", "prod"}};
  const ChainLink link{7, std::string(64, 'a')};
  const std::string a = scan_statement(scan.report, scan.meta, scope, link, "kid");
  const std::string b = scan_statement(scan.report, scan.meta, scope, link, "kid");
  CHECK(a == b);
  // A second, equal report (other objects, same content) gives the same bytes.
  const auto scan2 = test::sample_scan(6);
  CHECK(scan_statement(scan2.report, scan2.meta, scope, link, "kid") == a);
  // Anything else changes them.
  CHECK(scan_statement(test::sample_scan(6, "x").report, scan.meta, scope, link, "kid") != a);
  CHECK(scan_statement(scan.report, scan.meta, scope, ChainLink{8, link.previous_digest}, "kid") != a);

  // Fixed member order, compact, scope keys sorted.
  CHECK_THAT(
      a,
      Catch::StartsWith(
          R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"host:0123456789abcdef","digest":{"sha256":")"));
  CHECK_THAT(
      a,
      Catch::Contains(
          R"("predicateType":"https://vigil.dev/attestation/scan/v1","predicate":{"host":{"hostname":"web1")"));
  CHECK_THAT(
      a,
      Catch::Contains(
          R"("sequence":7,"previous_digest":")" + std::string(64, 'a') +
          R"(","key_id":"kid","scope":{"env":"prod","site":"lab"},"results":[{"check":"test.check-0","policy":"test-pack")"));
  CHECK_THAT(
      a, Catch::Contains(
             R"("policies":[{"id":"test-pack","version":"2026.1.0","source":"tests/sample.yaml","sha256":")" +
             crypto::sha256_hex("pack text")));
  CHECK(a.find('\n') == std::string::npos);

  // The subject digest is the SHA-256 of the canonical results.
  // (Parsed exactly: json::parse would round some of the doubles.)
  auto v = parse_json_exact(a, "statement").value();
  const std::string results = json::serialize(v.at("predicate").at("results"));
  CHECK(v.at("subject").at(0).at("digest").at("sha256").as_string() == crypto::sha256_hex(results));
  CHECK_THAT(
      results,
      Catch::Contains(
          R"("controls":{"iso27001-2022":["A.8.5","A.8.1"],"iso27001-2013":["A.9.4.2"]},"verdict":"fail")"));
  CHECK_THAT(results,
             Catch::Contains(
                 R"("evidence":{"columns":["file","line","value","ratio","compliant"],"rows":[{"file":)"));
  CHECK_THAT(results, Catch::Contains(R"("total_rows":5,"truncated":true)"));
}

TEST_CASE("doubles survive the round trip exactly, where Boost.JSON 1.81's parser rounds", "[attest]") {
  std::mt19937_64 rng(42);
  json::array a;
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t bits = rng();
    double d = 0;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    a.push_back(d);
    a.push_back(static_cast<double>(rng() % 100000000) / static_cast<double>(1 + rng() % 10000));
  }
  const std::string text = json::serialize(a);
  auto exact = parse_json_exact(text, "t");
  REQUIRE(exact.ok());
  CHECK(json::serialize(*exact) == text);
  // The reason this parser exists (if Boost ever parses exactly, this can go).
  CHECK(json::serialize(json::parse(text)) != text);
}

TEST_CASE("a signed scan envelope verifies and decodes", "[attest]") {
  auto key = crypto::HostKey::generate();
  REQUIRE(key.ok());
  const auto scan = test::sample_scan(4);
  auto signer = make_scan_signer(*key, scan.report, scan.meta, {});
  auto env = signer(ChainLink{1, ""});
  REQUIRE(env.ok());
  CHECK(env->digest == crypto::sha256_hex(env->bytes));
  // Same link, same bytes: the signer is a pure function of its inputs.
  CHECK(signer(ChainLink{1, ""}).value().bytes == env->bytes);
  CHECK_THAT(env->bytes, Catch::StartsWith(R"({"payloadType":"application/vnd.in-toto+json","payload":")"));
  CHECK_THAT(
      env->bytes,
      Catch::EndsWith(
          R"("signatures":[{"keyid":")" + key->key_id() + R"(","sig":")" +
          crypto::base64_encode(
              key->sign(dsse_pae(kDssePayloadType, parse_envelope(env->bytes).value().payload)).value()) +
          "\"}]}"));
  auto parsed = parse_envelope(env->bytes);
  REQUIRE(parsed.ok());
  CHECK(serialize_envelope(*parsed) == env->bytes);
  CHECK(verify_envelope(*parsed, key->public_key()).ok());
  auto st = decode_statement(*parsed);
  REQUIRE(st.ok());
  CHECK(st->kind == StatementKind::scan);
  CHECK(st->host == "0123456789abcdef");
  CHECK(st->sequence == 1);
  CHECK(st->previous_digest.empty());
  CHECK(st->key_id == key->key_id());
  CHECK(st->time_ms == scan.report.started_at_ms);
  CHECK(st->computed_digest == st->subject_digest);

  auto other = crypto::HostKey::generate();
  REQUIRE(other.ok());
  auto wrong = verify_envelope(*parsed, other->public_key());
  REQUIRE_FALSE(wrong.ok());
  CHECK_THAT(wrong.error().message, Catch::Contains("no signature by key " + other->key_id()));
  auto flipped = *parsed;
  flipped.payload[flipped.payload.size() / 2] ^= 1;
  CHECK_THAT(verify_envelope(flipped, key->public_key()).error().message, Catch::Contains("does not verify"));
  // A signer refuses positions that cannot be.
  CHECK_FALSE(signer(ChainLink{0, ""}).ok());
}

TEST_CASE("statements that were altered or are not Vigil's are refused by decode", "[attest]") {
  auto key = crypto::HostKey::generate();
  REQUIRE(key.ok());
  const auto scan = test::sample_scan(2);
  const std::string good =
      scan_statement(scan.report, scan.meta, {}, ChainLink{2, std::string(64, 'b')}, "k");
  auto decode = [](std::string payload) {
    return decode_statement(DsseEnvelope{std::string(kDssePayloadType), std::move(payload), {}});
  };
  REQUIRE(decode(good).ok());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  struct Case {
    std::string payload;
    const char* why;
  };
  const std::vector<Case> cases{
      {"not json", "invalid JSON"},
      {good + " ", "not in canonical form"},
      {good + "{}", "text after the JSON value"},
      {" " + good, "not in canonical form"},
      {replace(R"("sequence":2)", R"("sequence":2.0)"), "not in canonical form"},
      {replace("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"), "_type"},
      {replace("https://vigil.dev/attestation/scan/v1", "https://example.com/x"), "unknown predicateType"},
      {replace(R"("name":"host:)", R"("name":"box:)"), "does not start with \"host:\""},
      {replace(R"("sequence":2)", R"("sequence":0)"), "sequence 0 is not positive"},
      {replace(R"("sequence":2)", R"("sequence":"2")"), "\"sequence\" is not an integer"},
      {replace(std::string(64, 'b'), "bbbb"), "previous_digest of sequence 2 is not 64 lowercase hex"},
      {replace(R"("results":[)", R"("resultz":[)"), "\"results\" missing"},
      // Inside the parts decode walks rather than serialises whole.
      {replace(R"("results":[{)", R"("results":[ {)"), "not in canonical form"},
      {replace(R"("evidence":)", R"("evidence": )"), "not in canonical form"},
      {replace(R"("verdict":"fail")", R"("verdict":"fail" )"), "not in canonical form"},
      {replace(R"(}]}})", R"(} ]}})"), "not in canonical form"},
  };
  for (const auto& c : cases) {
    INFO(c.payload.substr(0, 80));
    auto r = decode(c.payload);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains(c.why));
  }
  // Where decode says the parts are, their serialisations are.
  auto st = decode(good);
  REQUIRE(st.ok());
  const auto& results = st->predicate.at("results").as_array();
  REQUIRE(results.size() == 2);
  REQUIRE(st->result_evidence.size() == 2);
  for (std::size_t i = 0; i < results.size(); ++i) {
    REQUIRE(st->result_evidence[i].has_value());
    CHECK(st->result_evidence[i]->of(good) == boost::json::serialize(results[i].at("evidence")));
  }
  CHECK(st->computed_digest == crypto::sha256_hex(boost::json::serialize(results)));
  // A result without evidence, one that is not an object, and no results.
  auto doc = boost::json::parse(good).as_object();
  auto& rs = doc.at("predicate").as_object().at("results").as_array();
  rs[0].as_object().erase("evidence");
  rs[1] = 7;
  const std::string odd = boost::json::serialize(doc);
  auto o = decode(odd);
  REQUIRE(o.ok());
  CHECK(o->result_evidence == std::vector<std::optional<PayloadSpan>>{std::nullopt, std::nullopt});
  CHECK(o->computed_digest == crypto::sha256_hex(boost::json::serialize(rs)));
  rs.clear();
  auto none = decode(boost::json::serialize(doc));
  REQUIRE(none.ok());
  CHECK(none->result_evidence.empty());
  CHECK(none->computed_digest == crypto::sha256_hex("[]"));
  // Changed results decode, but their digest is no longer the subject's.
  auto changed = decode(replace(R"("verdict":"fail")", R"("verdict":"pass")"));
  REQUIRE(changed.ok());
  CHECK(changed->computed_digest != changed->subject_digest);
}

TEST_CASE("gap records are signed statements of their own kind", "[attest]") {
  auto key = crypto::HostKey::generate();
  REQUIRE(key.ok());
  auto signer = make_gap_signer(*key, "0123456789abcdef");
  const GapInfo gap{3, 5, 1767225600000, 1767229200000, "retention: cache over 64 MiB"};
  auto env = signer(ChainLink{9, std::string(64, 'c')}, gap);
  REQUIRE(env.ok());
  auto parsed = parse_envelope(env->bytes);
  REQUIRE(parsed.ok());
  CHECK(verify_envelope(*parsed, key->public_key()).ok());
  auto st = decode_statement(*parsed);
  REQUIRE(st.ok());
  CHECK(st->kind == StatementKind::gap);
  CHECK(st->sequence == 9);
  CHECK(st->gap.first_sequence == 3);
  CHECK(st->gap.last_sequence == 5);
  CHECK(st->gap.reason == "retention: cache over 64 MiB");
  CHECK(st->computed_digest == st->subject_digest);
  CHECK_THAT(parsed->payload, Catch::Contains(R"("predicateType":"https://vigil.dev/attestation/gap/v1")"));
  // Deterministic for a given time.
  CHECK(gap_statement("h", gap, ChainLink{9, ""}, "k", 5) ==
        gap_statement("h", gap, ChainLink{9, ""}, "k", 5));
  // A gap must lie before the record.
  CHECK_FALSE(signer(ChainLink{5, std::string(64, 'c')}, gap).ok());
  CHECK_FALSE(signer(ChainLink{9, std::string(64, 'c')}, GapInfo{4, 3, 0, 0, "x"}).ok());
}

TEST_CASE("openssl pkeyutl verifies Vigil's signature over the PAE", "[attest]") {
  const std::string openssl = test::openssl_or_skip();
  if (openssl.empty()) return;
  test::TempDir dir;
  auto key = crypto::HostKey::generate();
  REQUIRE(key.ok());
  const auto scan = test::sample_scan(3);
  auto env = make_scan_signer(*key, scan.report, scan.meta, {})(ChainLink{1, ""});
  REQUIRE(env.ok());
  auto parsed = parse_envelope(env->bytes);
  REQUIRE(parsed.ok());
  dir.write("pae.bin", dsse_pae(parsed->payload_type, parsed->payload));
  dir.write("sig.bin", parsed->signatures.at(0).sig);
  dir.write("pub.pem", key->public_key().pem());
  auto verify = [&](const std::string& pae_file) {
    auto r =
        collectors::run_program(openssl,
                                {"pkeyutl", "-verify", "-pubin", "-inkey", dir.path() + "/pub.pem", "-rawin",
                                 "-in", dir.path() + "/" + pae_file, "-sigfile", dir.path() + "/sig.bin"},
                                collectors::RunOptions{std::chrono::milliseconds(30000), 65536});
    REQUIRE(r.ok());
    return *r;
  };
  auto ok = verify("pae.bin");
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("Signature Verified Successfully"));
  // And the same tool refuses a PAE with one byte changed.
  std::string pae = dsse_pae(parsed->payload_type, parsed->payload);
  pae[pae.size() - 3] ^= 1;
  dir.write("bad.bin", pae);
  CHECK(verify("bad.bin").exit_code != 0);
  // The key id is the SHA-256 of the DER openssl writes for the public key.
  auto der =
      collectors::run_program(openssl, {"pkey", "-pubin", "-in", dir.path() + "/pub.pem", "-outform", "DER"});
  REQUIRE(der.ok());
  CHECK(crypto::sha256_hex(der->out) == key->key_id());
}
