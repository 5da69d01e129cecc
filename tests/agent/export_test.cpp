// agent/export_oscal, agent/export_html, agent/text_escape and `vigil
// evidence convert`: OSCAL documents validated against NIST's schema by
// python3-jsonschema as a real process, determinism, control status over a
// period, hostile host text on the page, tampered bundles.
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <sstream>

#include "agent/chain_support.hpp"
#include "cli.hpp"
#include "export_html.hpp"
#include "export_oscal.hpp"
#include "file_io.hpp"
#include "host.hpp"
#include "runner.hpp"
#include "strings.hpp"
#include "test_support.hpp"
#include "text_escape.hpp"

using namespace vigil;
using namespace vigil::agent;
namespace json = boost::json;

namespace {

constexpr std::int64_t kT0 = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kHour = 3600000;

// Signs one scan per report at sequences 1..n, each previous_digest the
// SHA-256 of the envelope before (computed here, as the cache will).
std::vector<std::string> sign_scans(const crypto::HostKey& key,
                                    const std::vector<const test::SampleScan*>& scans) {
  std::vector<std::string> out;
  std::string prev;
  std::int64_t seq = 1;
  for (const auto* s : scans) {
    auto env = make_scan_signer(key, s->report, s->meta, {{"site", "lab"}})(ChainLink{seq++, prev});
    REQUIRE(env.ok());
    prev = crypto::sha256_hex(env->bytes);
    CHECK(prev == env->digest);
    out.push_back(env->bytes);
  }
  return out;
}

BundleManifest manifest(std::string host, std::vector<std::string> controls = {}) {
  BundleManifest m;
  m.host = std::move(host);
  m.from_ms = kT0 - 24 * kHour;
  m.to_ms = kT0 + 24 * kHour;
  m.controls = std::move(controls);
  m.created_at_ms = kT0 + 25 * kHour;
  return m;
}

// The baseline scanned once on the debian12-hardened fixture (a real
// engine run), shared by the tests that need real evidence.
const test::SampleScan& hardened_scan() {
  static const test::SampleScan scan = [] {
    test::SampleScan s;
    auto pack = builtin_baseline();
    REQUIRE(pack.ok());
    s.packs.push_back(std::move(*pack));
    auto host = collectors::Host::open(test::fixture_host("debian12-hardened"));
    REQUIRE(host.ok());
    auto engine = Engine::create(*host);
    REQUIRE(engine.ok());
    REQUIRE((*engine)->validate(s.packs[0]).ok());
    s.report = (*engine)->scan(s.packs);
    s.meta.vigil_version = "0.1.0-test";
    const auto& info = s.report.host_info;
    for (std::size_t i = 0; !info.rows.empty() && i < info.columns.size(); ++i)
      s.meta.host[info.columns[i]] = value_to_json(info.rows[0][i]);
    return s;
  }();
  return scan;
}

// Three signed scans of the hardened fixture an hour apart.
std::string hardened_bundle(const crypto::HostKey& key) {
  const auto& base = hardened_scan();
  std::vector<test::SampleScan> copies(3);
  std::vector<const test::SampleScan*> ptrs;
  for (std::size_t i = 0; i < 3; ++i) {
    copies[i].report = base.report;  // points into base.packs, which lives on
    copies[i].meta = base.meta;
    copies[i].report.started_at_ms = kT0 + static_cast<std::int64_t>(i) * kHour;
    ptrs.push_back(&copies[i]);
  }
  return make_bundle(sign_scans(key, ptrs), key.public_key(), manifest(host_identity(base.meta))).value();
}

// Three scans of sample_scan(3) whose verdicts per check are given per scan.
struct History {
  std::vector<test::SampleScan> scans;
  std::string bundle;
};
History history(const crypto::HostKey& key, const std::vector<std::vector<Verdict>>& verdicts_per_scan,
                std::vector<std::string> controls = {}) {
  History h;
  h.scans.reserve(verdicts_per_scan.size());
  std::vector<const test::SampleScan*> ptrs;
  for (std::size_t s = 0; s < verdicts_per_scan.size(); ++s) {
    h.scans.push_back(test::sample_scan(3, "", kT0 + static_cast<std::int64_t>(s) * kHour));
    auto& sc = h.scans.back();
    sc.report.packs = {&sc.packs[0]};
    for (std::size_t c = 0; c < sc.report.results.size(); ++c) {
      sc.report.results[c].pack = &sc.packs[0];
      sc.report.results[c].check = &sc.packs[0].checks[c];
      sc.report.results[c].verdict = verdicts_per_scan[s][c];
      sc.report.results[c].message =
          std::string("scan ") + std::to_string(s) + " " + verdict_name(verdicts_per_scan[s][c]);
    }
  }
  for (const auto& sc : h.scans) ptrs.push_back(&sc);
  h.bundle =
      make_bundle(sign_scans(key, ptrs), key.public_key(), manifest("0123456789abcdef", std::move(controls)))
          .value();
  return h;
}

// Re-encodes envelope #index's payload with `from` replaced by `to`, keeping its signature.
std::string tamper(const std::string& bundle, std::size_t index, const std::string& from,
                   const std::string& to) {
  auto v = json::parse(bundle);
  auto& item = v.at("envelopes").as_array().at(index - 1).as_object();
  auto env = json::parse(std::string(item.at("envelope").as_string())).as_object();
  std::string payload = crypto::base64_decode(std::string(env.at("payload").as_string())).value();
  const auto at = payload.find(from);
  REQUIRE(at != std::string::npos);
  payload.replace(at, from.size(), to);
  env["payload"] = crypto::base64_encode(payload);
  const std::string bytes = json::serialize(env);
  item["envelope"] = bytes;
  item["sha256"] = crypto::sha256_hex(bytes);
  return json::serialize(v);
}

const json::object& assessment(const json::value& doc) {
  return doc.at("assessment-results").as_object();
}

std::map<std::string, std::pair<std::string, std::string>> finding_states(const json::value& doc) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  const auto& r = assessment(doc).at("results").as_array().at(0).as_object();
  if (const auto* f = r.if_contains("findings")) {
    for (const auto& x : f->as_array()) {
      const auto& t = x.at("target").as_object();
      out[std::string(t.at("target-id").as_string())] = {
          std::string(t.at("status").at("state").as_string()),
          std::string(t.at("status").at("reason").as_string())};
    }
  }
  return out;
}

// Validates documents with python3-jsonschema against the OSCAL schema in
// ../shared/oscal. The schema's token pattern uses \p{L}, which Python's re
// lacks, so patterns are checked with the `regex` module (python3-regex);
// formats with the draft-7 FormatChecker (uri and uri-reference through
// python3-rfc3987). Exit 3 when a module is missing.
constexpr const char* kValidator = R"py(
import json, sys
try:
    import jsonschema, regex
    from jsonschema import validators
except ImportError as e:
    print("missing python module:", e); sys.exit(3)
schema = json.load(open(sys.argv[1]))
base = validators.validator_for(schema)
def pattern(validator, patrn, instance, schema):
    if validator.is_type(instance, "string") and not regex.search(patrn, instance):
        yield jsonschema.ValidationError("%r does not match %r" % (instance[:80], patrn[:60]))
V = validators.extend(base, {"pattern": pattern})
fc = base.FORMAT_CHECKER
if "uri-reference" not in fc.checkers:
    print("missing python module: rfc3987 (uri-reference format)"); sys.exit(3)
bad = 0
for path in sys.argv[2:]:
    doc = json.load(open(path))
    errs = sorted(V(schema, format_checker=fc).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    for e in errs[:10]:
        print("%s: /%s: %s" % (path, "/".join(map(str, e.absolute_path)), e.message[:300]))
    bad += 1 if errs else 0
print("%s: %d of %d documents invalid (%s)" % (base.__name__, bad, len(sys.argv) - 2, schema.get("$schema")))
sys.exit(1 if bad else 0)
)py";

std::string schema_path() {
  return std::string(VIGIL_SOURCE_DIR) + "/../shared/oscal/oscal_assessment-results_schema.json";
}

bool ci() {
  const char* v = std::getenv("CI");
  return v != nullptr && *v != '\0';
}

// Exit code of the validator over docs (written to dir), or -1 when it cannot run here.
int validate(const test::TempDir& dir, const std::vector<std::string>& docs, std::string& output) {
  const std::string python = "/usr/bin/python3";
  std::string schema = schema_path();
  if (::access(schema.c_str(), R_OK) != 0) schema = "/work/shared/oscal/oscal_assessment-results_schema.json";
  if (::access(python.c_str(), X_OK) != 0 || ::access(schema.c_str(), R_OK) != 0) {
    if (ci()) FAIL("CI is set and " << python << " or the OSCAL schema (" << schema << ") is missing");
    WARN(python << " or " << schema << " is missing: skipped (CI=true makes this a failure)");
    return -1;
  }
  std::vector<std::string> args{"-c", kValidator, schema};
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const std::string rel = "doc" + std::to_string(i) + ".json";
    dir.write(rel, docs[i]);
    args.push_back(dir.path() + "/" + rel);
  }
  auto r = collectors::run_program(python, args,
                                   collectors::RunOptions{std::chrono::milliseconds(300000), 1 << 20});
  REQUIRE(r.ok());
  output = r->out + r->err;
  if (r->exit_code == 3) {
    if (ci())
      FAIL("CI is set and python3-jsonschema, python3-regex or python3-rfc3987 is missing: " << output);
    WARN("skipped: " << output << " (CI=true makes this a failure; scripts/deps.sh installs them)");
    return -1;
  }
  return r->exit_code;
}

}  // namespace

TEST_CASE("name_based_uuid: version-5 layout over SHA-256, as Python computes it", "[export]") {
  CHECK(name_based_uuid(kOscalUuidNamespace, "observation\nabc") == "9b279e51-30b1-50f4-8dce-e8a5dbed3b2e");
  CHECK(name_based_uuid(kOscalUuidNamespace, "a") != name_based_uuid(kOscalUuidNamespace, "b"));
}

TEST_CASE("text escaping for OSCAL, Markdown and HTML", "[export]") {
  struct Case {
    std::string in, line, md, token, html;
  };
  const std::vector<Case> cases{
      {"A.8.5", "A.8.5", "A\\.8\\.5", "A.8.5", "A.8.5"},
      {"  two\nlines\t ", "two lines", "two lines", "__two_lines__", "  two\nlines\t "},
      {"<script>\"x\"&'y'", "<script>\"x\"&'y'", "\\<script\\>\\\"x\\\"\\&\\'y\\'", "_script__x___y_",
       "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;"},
      {"bad \xff byte", "bad \xef\xbf\xbd byte", "bad \xef\xbf\xbd byte", "bad___byte",
       "bad \xef\xbf\xbd byte"},
      {"\xe2\x80\xae"
       "evil\x01",
       "\xe2\x80\xae"
       "evil",
       "\xe2\x80\xae"
       "evil",
       "___evil_", "[U+202E]evil\xe2\x90\x81"},
      {"\xc2\xa0 nbsp \xe3\x80\x80", "nbsp", "nbsp", "___nbsp____", "\xc2\xa0 nbsp \xe3\x80\x80"},
      {"", "", "", "_", ""},
      {"9lives", "9lives", "9lives", "_9lives", "9lives"},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    CHECK(single_line_text(c.in) == c.line);
    CHECK(markdown_text(c.in) == c.md);
    CHECK(token_text(c.in) == c.token);
    CHECK(html_escape(c.in) == c.html);
  }
  CHECK(fenced_code("a``b", "json") == "```json\na``b\n```");
  CHECK(fenced_code("a````b", "") == "`````\na````b\n`````");
  bool cut = false;
  CHECK(utf8_prefix("ab\xc3\xa9"
                    "cd",
                    3, cut) == "ab");
  CHECK(cut);
  CHECK(utf8_prefix("abc", 3, cut) == "abc");
  CHECK_FALSE(cut);
}

TEST_CASE("OSCAL documents validate against the OSCAL assessment-results schema", "[export]") {
  auto key = crypto::HostKey::generate().value();
  const std::string hardened = hardened_bundle(key);
  auto fails = history(key, {{Verdict::fail, Verdict::error, Verdict::pass},
                             {Verdict::pass, Verdict::error, Verdict::waived},
                             {Verdict::fail, Verdict::not_applicable, Verdict::pass}});
  // Hostile host text: markup, quotes, control characters, invalid UTF-8, bidi overrides.
  auto hostile = test::sample_scan(2);
  hostile.packs[0].checks[0].title = "<script>alert(1)</script> \"t\" & 'u'\n# heading";
  hostile.report.results[0].message = "msg\x01\xff \xe2\x80\xae``` [x](javascript:alert(1))";
  hostile.meta.host["hostname"] = "  <b>evil</b>\n";
  hostile.meta.host["weird key!"] = "\t";
  const std::string hostile_bundle =
      make_bundle(sign_scans(key, {&hostile}), key.public_key(), manifest("0123456789abcdef")).value();
  const std::string empty =
      make_bundle({}, key.public_key(), manifest("0123456789abcdef", {"A.8.5", "A.5.15"})).value();
  const std::string tampered = tamper(fails.bundle, 2, "\"verdict\":\"pass\"", "\"verdict\":\"fail\"");
  OscalOptions loose;
  loose.allow_unverified = true;
  loose.bundle_href = "my bundle#1.json";
  // A gap record explaining sequences 3..4, and a bundle with an envelope that is garbage.
  auto one = test::sample_scan(2);
  auto chain = test::sign_chain(key, one, 2);
  auto gap = make_gap_signer(key, "0123456789abcdef")(
      ChainLink{5, std::string(64, 'a')}, GapInfo{3, 4, kT0, kT0, "retention: cache over 64 MiB"});
  REQUIRE(gap.ok());
  auto six = make_scan_signer(key, one.report, one.meta, {})(ChainLink{6, gap->digest});
  REQUIRE(six.ok());
  const std::string with_gap = make_bundle({chain.envelopes[0], chain.envelopes[1], gap->bytes, six->bytes},
                                           key.public_key(), manifest("0123456789abcdef"))
                                   .value();
  auto garbage_v = json::parse(with_gap);
  garbage_v.at("envelopes").as_array()[1].as_object()["envelope"] = "{\"payloadType\":";
  const std::string garbage = json::serialize(garbage_v);
  std::vector<std::string> docs{
      bundle_to_oscal(hardened).value(),        bundle_to_oscal(fails.bundle).value(),
      bundle_to_oscal(empty).value(),           bundle_to_oscal(hostile_bundle).value(),
      bundle_to_oscal(tampered, loose).value(), bundle_to_oscal(with_gap).value(),
      bundle_to_oscal(garbage, loose).value()};
  CHECK_THAT(
      std::string(assessment(json::parse(docs[5])).at("results").at(0).at("remarks").as_string()),
      Catch::Contains("Sequences 3 to 4 were dropped before export, as the signed gap record at sequence 5 "
                      "says: retention\\: cache over 64 MiB"));
  const auto gap_page = bundle_to_html(with_gap).value();
  CHECK_THAT(gap_page, Catch::Contains("Sequences 3 to 4 were dropped on the host before export"));
  CHECK_THAT(gap_page, Catch::Contains("Verification: passed"));
  const auto garbage_page = bundle_to_html(garbage).value();
  CHECK_THAT(garbage_page, Catch::Contains("does not decode: envelope: "));
  CHECK_THAT(garbage_page, Catch::Contains("Verification FAILED"));
  // The hardened fixture gives real evidence: observations for every result of every scan.
  const auto doc = json::parse(docs[0]);
  const auto& result = assessment(doc).at("results").at(0).as_object();
  CHECK(result.at("observations").as_array().size() == 3 * hardened_scan().report.results.size());
  CHECK(result.at("start").as_string() == "2025-12-31T00:00:00.000Z");
  CHECK(result.at("end").as_string() == "2026-01-02T00:00:00.000Z");
  CHECK(assessment(doc).at("metadata").at("oscal-version").as_string() == "1.0.6");
  test::TempDir dir;
  std::string output;
  const int rc = validate(dir, docs, output);
  if (rc < 0) return;
  INFO(output);
  CHECK(rc == 0);
  // The validator is not a rubber stamp: a document without its required import-ap is refused.
  auto broken = json::parse(docs[1]);
  broken.at("assessment-results").as_object().erase("import-ap");
  auto bad_uuid = json::parse(docs[1]);
  bad_uuid.at("assessment-results").as_object()["uuid"] = "not-a-uuid";
  test::TempDir dir2;
  std::string out2;
  CHECK(validate(dir2, {json::serialize(broken)}, out2) == 1);
  CHECK_THAT(out2, Catch::Contains("import-ap"));
  test::TempDir dir3;
  std::string out3;
  CHECK(validate(dir3, {json::serialize(bad_uuid)}, out3) == 1);
}

TEST_CASE("the same bundle gives the same bytes, OSCAL and HTML", "[export]") {
  auto key = crypto::HostKey::generate().value();
  const std::string b = hardened_bundle(key);
  auto a1 = bundle_to_oscal(b);
  auto a2 = bundle_to_oscal(b);
  REQUIRE(a1.ok());
  REQUIRE(a2.ok());
  CHECK(*a1 == *a2);
  auto h1 = bundle_to_html(b);
  auto h2 = bundle_to_html(b);
  REQUIRE(h1.ok());
  CHECK(*h1 == *h2);
  // A different bundle (another key, so other envelopes) gives another document uuid.
  auto other = bundle_to_oscal(hardened_bundle(crypto::HostKey::generate().value()));
  REQUIRE(other.ok());
  CHECK(json::parse(*a1).at("assessment-results").at("uuid") !=
        json::parse(*other).at("assessment-results").at("uuid"));
}

TEST_CASE("findings per control over a period: pass->fail->pass is not satisfied", "[export]") {
  auto key = crypto::HostKey::generate().value();
  // sample_scan(3): check-0 -> A.8.5, A.8.1; check-1 -> A.8.5, A.8.2; check-2 -> A.8.5, A.8.3.
  auto h = history(key, {{Verdict::pass, Verdict::pass, Verdict::not_applicable},
                         {Verdict::fail, Verdict::pass, Verdict::not_applicable},
                         {Verdict::pass, Verdict::pass, Verdict::not_applicable}});
  auto doc = json::parse(bundle_to_oscal(h.bundle).value());
  using P = std::pair<std::string, std::string>;
  auto states = finding_states(doc);
  CHECK(states["A.8.1"] == P{"not-satisfied", "fail"});
  CHECK(states["A.8.2"] == P{"satisfied", "pass"});
  CHECK(states["A.8.3"] == P{"satisfied", "not-applicable"});
  CHECK(states["A.8.5"] == P{"not-satisfied", "fail"});
  CHECK(states.size() == 4);
  // Each finding points at every observation of its checks (3 scans each).
  const auto& r = assessment(doc).at("results").at(0).as_object();
  for (const auto& f : r.at("findings").as_array()) {
    const auto id = f.at("target").at("target-id").as_string();
    CHECK(f.at("related-observations").as_array().size() == (id == "A.8.5" ? 9u : 3u));
  }
  // Errors and waivers: each its own reason; a --control filter limits the findings.
  auto h2 = history(key,
                    {{Verdict::pass, Verdict::pass, Verdict::waived},
                     {Verdict::pass, Verdict::error, Verdict::pass},
                     {Verdict::pass, Verdict::pass, Verdict::pass}},
                    {"A.8.1", "A.8.2", "A.8.3", "A.5.1"});
  states = finding_states(json::parse(bundle_to_oscal(h2.bundle).value()));
  CHECK(states["A.8.1"] == P{"satisfied", "pass"});
  CHECK(states["A.8.2"] == P{"not-satisfied", "error"});
  CHECK(states["A.8.3"] == P{"not-satisfied", "waived"});
  CHECK(states["A.5.1"] == P{"not-satisfied", "no-evidence"});
  CHECK(states.count("A.8.5") == 0);

  // The page shows the evidence of every change and of the latest scan.
  auto page = bundle_to_html(h.bundle).value();
  CHECK_THAT(page, Catch::Contains("(verdict changed from pass)"));
  CHECK_THAT(page, Catch::Contains("(latest scan, verdict changed from fail)"));
  CHECK_THAT(page, Catch::Contains("title=\"pass: sequence 1, 2026-01-01T00:00:00.000Z\">1</span>"));
  CHECK_THAT(page, Catch::Contains("title=\"fail: sequence 2, 2026-01-01T01:00:00.000Z\">1</span>"));
  CHECK_THAT(page, Catch::Contains("title=\"pass: sequences 1 to 3, 2026-01-01T00:00:00.000Z to "
                                   "2026-01-01T02:00:00.000Z\">3</span>"));
}

TEST_CASE("the HTML page escapes every host-originated string and loads nothing", "[export]") {
  auto key = crypto::HostKey::generate().value();
  auto s = test::sample_scan(2);
  s.packs[0].checks[0].title = "<script>alert(1)</script>";
  s.packs[0].id = "pack\"><img src=x onerror=alert(1)>";
  s.report.results[0].message =
      "a & b \"quoted\" 'single' \xe2\x80\xae"
      "dlrow \xff";
  s.report.results[0].evidence.rows[0][2] = collectors::Value(std::string("</td><script>x()</script>"));
  s.meta.host["hostname"] = "<b>evil</b>";
  const std::string b =
      make_bundle(sign_scans(key, {&s}), key.public_key(), manifest("0123456789abcdef")).value();
  HtmlOptions opts;
  opts.max_rows_per_result = 2;
  opts.bundle_name = "<bundle>.json";
  auto page = bundle_to_html(b, opts).value();
  CHECK(page.find("<script") == std::string::npos);
  CHECK(page.find("<img") == std::string::npos);
  CHECK(page.find("<b>evil") == std::string::npos);
  CHECK(page.find("\xe2\x80\xae") == std::string::npos);
  CHECK(sanitize_utf8(page) == page);
  CHECK_THAT(page, Catch::Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(page,
             Catch::Contains("a &amp; b &quot;quoted&quot; &#39;single&#39; [U+202E]dlrow \xef\xbf\xbd"));
  CHECK_THAT(page, Catch::Contains("&lt;/td&gt;&lt;script&gt;x()&lt;/script&gt;"));
  CHECK_THAT(page, Catch::Contains("&lt;b&gt;evil&lt;/b&gt;"));
  CHECK_THAT(page, Catch::Contains("&lt;bundle&gt;.json"));
  // Self-contained: no script, no external resource of any kind.
  for (const char* banned :
       {"<script", "<link", "<img", "<iframe", "<object", "<embed", "url(", "@import", "http://", "https://"})
    CHECK(page.find(banned) == std::string::npos);
  // Evidence capped per result, and the page says so (3 kept of 5 returned, 2 shown).
  CHECK_THAT(page, Catch::Contains("Showing 2 of the 3 rows the statement keeps (the query returned 5"));
  CHECK_THAT(page, Catch::Contains("Verification: passed"));
}

TEST_CASE("a tampered bundle: the page lists the failure, OSCAL is refused unless allowed", "[export]") {
  auto key = crypto::HostKey::generate().value();
  auto h = history(key, {{Verdict::pass, Verdict::pass, Verdict::pass},
                         {Verdict::fail, Verdict::pass, Verdict::pass},
                         {Verdict::pass, Verdict::pass, Verdict::pass}});
  const std::string bad = tamper(h.bundle, 2, "\"verdict\":\"fail\"", "\"verdict\":\"pass\"");
  auto page = bundle_to_html(bad).value();
  CHECK_THAT(page, Catch::Contains("Verification FAILED"));
  CHECK_THAT(page, Catch::Contains("sequence 2, envelope #2: the signature by key " + key.key_id() +
                                   " does not verify (payload or signature altered)"));
  CHECK_THAT(page, Catch::Contains("[envelope not verified]"));
  auto refused = bundle_to_oscal(bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::invalid);
  CHECK_THAT(refused.error().message, Catch::Contains("sequence 2, envelope #2"));
  OscalOptions loose;
  loose.allow_unverified = true;
  auto doc = json::parse(bundle_to_oscal(bad, loose).value());
  const auto& meta = assessment(doc).at("metadata").as_object();
  CHECK_THAT(std::string(meta.at("remarks").as_string()), Catch::Contains("did not verify"));
  const auto& r = assessment(doc).at("results").at(0).as_object();
  CHECK_THAT(std::string(r.at("remarks").as_string()), Catch::Contains("Verification FAILED"));
  std::size_t marked = 0;
  for (const auto& o : r.at("observations").as_array()) {
    for (const auto& p : o.at("props").as_array()) marked += p.at("name") == "verification" ? 1u : 0u;
  }
  // The three results of the altered envelope, and of the next one, whose
  // link to it (previous_digest) no longer holds.
  CHECK(marked == 6);
}

TEST_CASE("vigil evidence convert: verify, write atomically, refuse to overwrite", "[export]") {
  auto key = crypto::HostKey::generate().value();
  auto h = history(
      key, {{Verdict::pass, Verdict::pass, Verdict::pass}, {Verdict::fail, Verdict::pass, Verdict::pass}});
  test::TempDir dir;
  dir.write("bundle.json", h.bundle);
  dir.write("bad.json", tamper(h.bundle, 1, "\"verdict\":\"pass\"", "\"verdict\":\"fail\""));
  const std::string in = dir.path() + "/bundle.json", bad = dir.path() + "/bad.json";
  auto run = [](std::vector<std::string> args, std::string* err_out = nullptr) {
    std::ostringstream out, err;
    args.insert(args.begin(), {"vigil", "evidence", "convert"});
    const int rc = run_cli(args, out, err);
    if (err_out != nullptr) *err_out = err.str();
    return rc;
  };
  auto read = [](const std::string& p) {
    auto t = read_file(p);
    REQUIRE(t.ok());
    return *t;
  };
  const std::string oscal = dir.path() + "/ar.json", html = dir.path() + "/report.html";
  CHECK(run({in, "--format", "oscal", "--out", oscal}) == 0);
  OscalOptions o;
  o.bundle_href = "bundle.json";
  CHECK(read(oscal) == bundle_to_oscal(h.bundle, o).value());
  std::string err;
  CHECK(run({in, "--format=oscal", "--out", oscal}, &err) == 2);
  CHECK_THAT(err, Catch::Contains("--force"));
  CHECK(run({in, "--format", "oscal", "--out", oscal, "--force"}) == 0);
  CHECK(run({in, "--format", "html", "--out", html}) == 0);
  CHECK_THAT(read(html), Catch::Contains("Verification: passed"));
  // With the host's key pinned; and with another key, which fails verification.
  dir.write("pub.pem", key.public_key().pem());
  dir.write("other.pem", crypto::HostKey::generate().value().public_key().pem());
  CHECK(run({in, "--format", "html", "--out", html, "--force", "--key", dir.path() + "/pub.pem"}) == 0);
  CHECK_THAT(read(html), Catch::Contains("pinned: the verifier was given the host's key"));
  CHECK(run({in, "--format", "html", "--out", html, "--force", "--key", dir.path() + "/other.pem"}) == 1);
  // Tampered: the page is written and exits 1; OSCAL is not written unless allowed.
  const std::string bad_html = dir.path() + "/bad.html", bad_oscal = dir.path() + "/bad-ar.json";
  CHECK(run({bad, "--format", "html", "--out", bad_html}, &err) == 1);
  CHECK_THAT(err, Catch::Contains("verification FAILED"));
  CHECK_THAT(read(bad_html), Catch::Contains("Verification FAILED"));
  CHECK(run({bad, "--format", "oscal", "--out", bad_oscal}, &err) == 1);
  CHECK_THAT(err, Catch::Contains("not written"));
  CHECK(::access(bad_oscal.c_str(), F_OK) != 0);
  CHECK(run({bad, "--format", "oscal", "--out", bad_oscal, "--allow-unverified"}) == 1);
  CHECK(::access(bad_oscal.c_str(), F_OK) == 0);
  // Usage errors.
  CHECK(run({in, "--format", "pdf", "--out", html}) == 2);
  CHECK(run({in, "--format", "html"}) == 2);
  CHECK(run({in, "--out", html}) == 2);
  CHECK(run({"--format", "html", "--out", html}) == 2);
  CHECK(run({in, "--force=yes", "--format", "html", "--out", html}) == 2);
  CHECK(run({dir.path() + "/missing.json", "--format", "html", "--out", html, "--force"}) == 2);
  dir.write("junk.json", "{\"schema\":");
  CHECK(run({dir.path() + "/junk.json", "--format", "html", "--out", html, "--force"}, &err) == 2);
  CHECK_THAT(err, Catch::Contains("not valid JSON"));
  std::ostringstream out, e2;
  CHECK(run_cli({"vigil", "evidence", "frobnicate"}, out, e2) == 2);
  CHECK(run_cli({"vigil", "evidence", "--help"}, out, e2) == 0);
  CHECK_THAT(out.str(), Catch::Contains("vigil evidence convert BUNDLE"));
}
