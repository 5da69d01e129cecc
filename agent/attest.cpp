// DSSE envelopes and in-toto statements of scans and gaps (see attest.hpp).
#include "attest.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <memory>

#include "json_exact.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

json::string jstr(std::string_view s) {
  return json::string(sanitize_utf8(s));
}

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Everything of a scan statement but its chain position, built once.
struct ScanParts {
  std::string host;
  json::object host_facts;
  json::object scan;
  json::array policies;
  json::object scope;
  json::array results;
  std::string results_digest;
};

ScanParts scan_parts(const ScanReport& report, const ReportMeta& meta, const ScopeTags& scope) {
  ScanParts p;
  p.host = host_identity(meta);
  p.host_facts = meta.host;
  p.scan = json::object{{"started_at", iso_time(report.started_at_ms)},
                        {"started_at_ms", report.started_at_ms},
                        {"duration_ms", report.duration_ms},
                        {"root", jstr(report.root)},
                        {"agent", json::object{{"name", "vigil"}, {"version", jstr(meta.vigil_version)}}}};
  for (const auto* pack : report.packs) {
    p.policies.push_back(json::object{
        {"id", jstr(pack->id)},
        {"version", jstr(pack->version)},
        {"source", jstr(pack->source)},
        {"sha256", pack->sha256.empty() ? json::value(nullptr) : json::value(json::string(pack->sha256))}});
  }
  for (const auto& [k, v] : scope) p.scope[sanitize_utf8(k)] = jstr(v);  // std::map: sorted keys
  for (const auto& r : report.results) {
    p.results.push_back(json::object{{"check", jstr(r.check->id)},
                                     {"policy", jstr(r.pack->id)},
                                     {"title", jstr(r.check->title)},
                                     {"severity", severity_name(r.check->severity)},
                                     {"controls", controls_to_json(*r.check)},
                                     {"verdict", verdict_name(r.verdict)},
                                     {"message", jstr(r.message)},
                                     {"evidence", evidence_to_json(r.evidence)}});
  }
  p.results_digest = crypto::sha256_hex(json::serialize(p.results));
  return p;
}

json::object subject(const std::string& host, const std::string& digest) {
  return json::object{{"name", "host:" + sanitize_utf8(host)}, {"digest", json::object{{"sha256", digest}}}};
}

std::string scan_statement_of(const ScanParts& p, const ChainLink& link, const std::string& key_id) {
  json::object predicate{{"host", p.host_facts},
                         {"scan", p.scan},
                         {"policies", p.policies},
                         {"sequence", link.sequence},
                         {"previous_digest", link.previous_digest},
                         {"key_id", key_id},
                         {"scope", p.scope},
                         {"results", p.results}};
  json::object st{{"_type", kStatementType},
                  {"subject", json::array{subject(p.host, p.results_digest)}},
                  {"predicateType", kScanPredicateType},
                  {"predicate", std::move(predicate)}};
  return json::serialize(st);
}

json::object gap_object(const GapInfo& g) {
  return json::object{{"first_sequence", g.first_sequence},
                      {"last_sequence", g.last_sequence},
                      {"first_time", iso_time(g.first_time_ms)},
                      {"first_time_ms", g.first_time_ms},
                      {"last_time", iso_time(g.last_time_ms)},
                      {"last_time_ms", g.last_time_ms},
                      {"reason", jstr(g.reason)}};
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Field readers for decode: each failure names the field.
Result<std::string> str_field(const json::object& o, std::string_view key, const std::string& where) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return make_error(Errc::parse, where + ": missing \"" + std::string(key) + "\"");
  if (!v->is_string())
    return make_error(Errc::parse, where + ": \"" + std::string(key) + "\" is not a string");
  return std::string(v->get_string());
}

Result<std::int64_t> int_field(const json::object& o, std::string_view key, const std::string& where) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return make_error(Errc::parse, where + ": missing \"" + std::string(key) + "\"");
  if (!v->is_int64())
    return make_error(Errc::parse, where + ": \"" + std::string(key) + "\" is not an integer");
  return v->get_int64();
}

Result<const json::object*> obj_field(const json::object& o, std::string_view key, const std::string& where) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return make_error(Errc::parse, where + ": missing \"" + std::string(key) + "\"");
  if (!v->is_object())
    return make_error(Errc::parse, where + ": \"" + std::string(key) + "\" is not an object");
  return &v->get_object();
}

Result<std::string> decode_b64(std::string_view text, const std::string& what) {
  auto d = crypto::base64_decode(text, crypto::Base64Alphabet::standard);
  if (d) return d;
  auto u = crypto::base64_decode(text, crypto::Base64Alphabet::url);
  if (u) return u;
  return make_error(Errc::parse, what + ": " + d.error().message);
}

// Checks that a parsed statement serialises to exactly the payload's bytes
// (the canonical form), in one pass, noting on the way where the parts the
// readers need lie: predicate.results, predicate.gap and each result's
// evidence. Serialising the whole statement and comparing it, then each of
// those parts again for its digest or its row, was three passes over a
// 100 KB payload. Objects and arrays on the path to those parts are walked;
// every other value is serialised whole and compared in place.
class CanonicalScan {
 public:
  explicit CanonicalScan(std::string_view text) : text_(text) {}

  bool statement(const json::value& v) { return value(v, Role::statement) && pos_ == text_.size(); }

  PayloadSpan results, gap;
  std::vector<std::optional<PayloadSpan>> evidence;

 private:
  enum class Role { leaf, statement, predicate, results, result };

  bool literal(std::string_view s) {
    if (text_.compare(pos_, s.size(), s) != 0) return false;
    pos_ += s.size();
    return true;
  }

  bool value(const json::value& v, Role role) {
    if (role == Role::results && v.is_array()) {
      if (!literal("[")) return false;
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first && !literal(",")) return false;
        first = false;
        evidence.emplace_back();
        if (!value(e, Role::result)) return false;
      }
      return literal("]");
    }
    if (role == Role::leaf || role == Role::results || !v.is_object()) return literal(json::serialize(v));
    if (!literal("{")) return false;
    bool first = true;
    for (const auto& kv : v.get_object()) {
      if (!first && !literal(",")) return false;
      first = false;
      if (!literal(json::serialize(kv.key())) || !literal(":")) return false;
      const std::size_t start = pos_;
      PayloadSpan* span = nullptr;
      Role child = Role::leaf;
      if (role == Role::statement && kv.key() == "predicate") {
        child = Role::predicate;
      } else if (role == Role::predicate && kv.key() == "results") {
        child = Role::results;
        span = &results;
      } else if (role == Role::predicate && kv.key() == "gap") {
        span = &gap;
      } else if (role == Role::result && kv.key() == "evidence") {
        span = &evidence.back().emplace();
      }
      if (!value(kv.value(), child)) return false;
      if (span != nullptr) *span = PayloadSpan{start, pos_ - start};
    }
    return literal("}");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string dsse_pae(std::string_view payload_type, std::string_view body) {
  std::string out = "DSSEv1 ";
  out.reserve(out.size() + payload_type.size() + body.size() + 32);
  out += std::to_string(payload_type.size());
  out += ' ';
  out += payload_type;
  out += ' ';
  out += std::to_string(body.size());
  out += ' ';
  out += body;
  return out;
}

std::string serialize_envelope(const DsseEnvelope& env) {
  json::array sigs;
  for (const auto& s : env.signatures)
    sigs.push_back(json::object{{"keyid", s.keyid}, {"sig", crypto::base64_encode(s.sig)}});
  json::object o{{"payloadType", env.payload_type},
                 {"payload", crypto::base64_encode(env.payload)},
                 {"signatures", std::move(sigs)}};
  return json::serialize(o);
}

Result<DsseEnvelope> parse_envelope(std::string_view bytes) {
  if (bytes.size() > kMaxEnvelopeBytes)
    return make_error(Errc::too_large, "envelope of " + std::to_string(bytes.size()) +
                                           " bytes, over the cap of " + std::to_string(kMaxEnvelopeBytes));
  auto parsed = parse_json_exact(bytes, "envelope", 8);
  if (!parsed) return parsed.error();
  if (!parsed->is_object()) return make_error(Errc::parse, "envelope: not a JSON object");
  const auto& o = parsed->get_object();
  for (const auto& kv : o) {
    if (kv.key() != "payloadType" && kv.key() != "payload" && kv.key() != "signatures")
      return make_error(Errc::parse, "envelope: unknown member \"" + sanitize_utf8(kv.key()) + "\"");
  }
  DsseEnvelope env;
  auto type = str_field(o, "payloadType", "envelope");
  if (!type) return type.error();
  env.payload_type = std::move(*type);
  auto payload = str_field(o, "payload", "envelope");
  if (!payload) return payload.error();
  auto decoded = decode_b64(*payload, "envelope: payload");
  if (!decoded) return decoded.error();
  env.payload = std::move(*decoded);
  const auto* sigs = o.if_contains("signatures");
  if (sigs == nullptr || !sigs->is_array())
    return make_error(Errc::parse, "envelope: \"signatures\" missing or not an array");
  if (sigs->get_array().empty()) return make_error(Errc::parse, "envelope: no signatures");
  std::size_t i = 0;
  for (const auto& s : sigs->get_array()) {
    const std::string where = "envelope: signatures[" + std::to_string(i++) + "]";
    if (!s.is_object()) return make_error(Errc::parse, where + ": not an object");
    DsseSignature sig;
    if (const auto* k = s.get_object().if_contains("keyid")) {
      if (!k->is_string()) return make_error(Errc::parse, where + ": \"keyid\" is not a string");
      sig.keyid = std::string(k->get_string());
    }
    auto text = str_field(s.get_object(), "sig", where);
    if (!text) return text.error();
    auto raw = decode_b64(*text, where + ": sig");
    if (!raw) return raw.error();
    sig.sig = std::move(*raw);
    env.signatures.push_back(std::move(sig));
  }
  return env;
}

Result<SignedEnvelope> sign_envelope(const crypto::HostKey& key, std::string_view payload_type,
                                     std::string payload) {
  auto sig = key.sign(dsse_pae(payload_type, payload));
  if (!sig) return sig.error();
  DsseEnvelope env{
      std::string(payload_type), std::move(payload), {DsseSignature{key.key_id(), std::move(*sig)}}};
  SignedEnvelope out;
  out.bytes = serialize_envelope(env);
  out.digest = crypto::sha256_hex(out.bytes);
  return out;
}

Status verify_envelope(const DsseEnvelope& env, const crypto::PublicKey& key) {
  const std::string pae = dsse_pae(env.payload_type, env.payload);
  std::string others;
  for (const auto& s : env.signatures) {
    if (!crypto::constant_time_equal(s.keyid, key.key_id())) {
      others += (others.empty() ? "" : ", ") +
                (s.keyid.empty() ? std::string("(no keyid)") : sanitize_utf8(s.keyid));
      continue;
    }
    if (key.verify(pae, s.sig)) return Status::success();
    return make_error(Errc::invalid, "the signature by key " + key.key_id() + " does not verify");
  }
  return make_error(Errc::invalid, "no signature by key " + key.key_id() + " (signed by " + others + ")");
}

std::string host_identity(const ReportMeta& meta) {
  for (const char* k : {"machine_id", "hostname"}) {
    if (const auto* v = meta.host.if_contains(k); v != nullptr && v->is_string() && !v->get_string().empty())
      return std::string(v->get_string());
  }
  return "unknown";
}

std::string scan_statement(const ScanReport& report, const ReportMeta& meta, const ScopeTags& scope,
                           const ChainLink& link, const std::string& key_id) {
  return scan_statement_of(scan_parts(report, meta, scope), link, key_id);
}

std::string gap_statement(const std::string& host, const GapInfo& gap, const ChainLink& link,
                          const std::string& key_id, std::int64_t recorded_at_ms) {
  json::object g = gap_object(gap);
  const std::string digest = crypto::sha256_hex(json::serialize(g));
  json::object predicate{{"host_id", jstr(host)},
                         {"recorded_at", iso_time(recorded_at_ms)},
                         {"recorded_at_ms", recorded_at_ms},
                         {"sequence", link.sequence},
                         {"previous_digest", link.previous_digest},
                         {"key_id", key_id},
                         {"gap", std::move(g)}};
  json::object st{{"_type", kStatementType},
                  {"subject", json::array{subject(host, digest)}},
                  {"predicateType", kGapPredicateType},
                  {"predicate", std::move(predicate)}};
  return json::serialize(st);
}

ScanSigner make_scan_signer(const crypto::HostKey& key, const ScanReport& report, const ReportMeta& meta,
                            const ScopeTags& scope) {
  auto parts = std::make_shared<const ScanParts>(scan_parts(report, meta, scope));
  return [key, parts](const ChainLink& link) -> Result<SignedEnvelope> {
    if (link.sequence < 1)
      return make_error(Errc::invalid,
                        "chain sequence must start at 1, not " + std::to_string(link.sequence));
    return sign_envelope(key, kDssePayloadType, scan_statement_of(*parts, link, key.key_id()));
  };
}

GapSigner make_gap_signer(const crypto::HostKey& key, const std::string& host) {
  return [key, host](const ChainLink& link, const GapInfo& gap) -> Result<SignedEnvelope> {
    if (link.sequence < 1)
      return make_error(Errc::invalid,
                        "chain sequence must start at 1, not " + std::to_string(link.sequence));
    if (gap.first_sequence < 1 || gap.last_sequence < gap.first_sequence ||
        gap.last_sequence >= link.sequence)
      return make_error(Errc::invalid, "gap record: range " + std::to_string(gap.first_sequence) + ".." +
                                           std::to_string(gap.last_sequence) + " is not before sequence " +
                                           std::to_string(link.sequence));
    return sign_envelope(key, kDssePayloadType, gap_statement(host, gap, link, key.key_id(), now_ms()));
  };
}

Result<Statement> decode_statement(const DsseEnvelope& env) {
  if (env.payload_type != kDssePayloadType)
    return make_error(Errc::parse, "payloadType \"" + sanitize_utf8(env.payload_type) + "\" is not " +
                                       std::string(kDssePayloadType));
  // One arena for the whole statement, its first block sized from the
  // payload (a scan's values take two to four times its bytes, so one or two
  // blocks): a malloc and a free per value were a sixth of the store's
  // ingest time.
  auto arena = json::make_shared_resource<json::monotonic_resource>(2 * env.payload.size() + 1024);
  auto parsed = parse_json_exact(env.payload, "statement", 64, arena);
  if (!parsed) return parsed.error();
  if (!parsed->is_object()) return make_error(Errc::parse, "statement: not a JSON object");
  CanonicalScan canonical(env.payload);
  if (!canonical.statement(*parsed))
    return make_error(Errc::parse, "statement: not in canonical form (re-serialising it changes the bytes)");
  const auto& st = parsed->get_object();
  auto type = str_field(st, "_type", "statement");
  if (!type) return type.error();
  if (*type != kStatementType)
    return make_error(Errc::parse, "statement: _type \"" + sanitize_utf8(*type) + "\" is not " +
                                       std::string(kStatementType));
  Statement out(arena);
  const auto* subj = st.if_contains("subject");
  if (subj == nullptr || !subj->is_array() || subj->get_array().size() != 1 ||
      !subj->get_array()[0].is_object())
    return make_error(Errc::parse, "statement: \"subject\" must be an array of one object");
  const auto& s0 = subj->get_array()[0].get_object();
  auto name = str_field(s0, "name", "statement: subject");
  if (!name) return name.error();
  if (name->rfind("host:", 0) != 0)
    return make_error(Errc::parse, "statement: subject name does not start with \"host:\"");
  out.host = name->substr(5);
  auto digests = obj_field(s0, "digest", "statement: subject");
  if (!digests) return digests.error();
  auto sha = str_field(**digests, "sha256", "statement: subject.digest");
  if (!sha) return sha.error();
  if (!is_hex64(*sha))
    return make_error(Errc::parse, "statement: subject.digest.sha256 is not 64 lowercase hex digits");
  out.subject_digest = std::move(*sha);
  auto ptype = str_field(st, "predicateType", "statement");
  if (!ptype) return ptype.error();
  if (*ptype == kScanPredicateType) {
    out.kind = StatementKind::scan;
  } else if (*ptype == kGapPredicateType) {
    out.kind = StatementKind::gap;
  } else {
    return make_error(Errc::parse, "statement: unknown predicateType \"" + sanitize_utf8(*ptype) + "\"");
  }
  auto pred = obj_field(st, "predicate", "statement");
  if (!pred) return pred.error();
  const json::object& p = **pred;
  const std::string where = "statement: predicate";
  auto seq = int_field(p, "sequence", where);
  if (!seq) return seq.error();
  if (*seq < 1)
    return make_error(Errc::parse, where + ": sequence " + std::to_string(*seq) + " is not positive");
  out.sequence = *seq;
  auto prev = str_field(p, "previous_digest", where);
  if (!prev) return prev.error();
  if (out.sequence == 1 ? !prev->empty() : !is_hex64(*prev))
    return make_error(Errc::parse,
                      where + ": previous_digest of sequence " + std::to_string(out.sequence) +
                          (out.sequence == 1 ? " must be empty" : " is not 64 lowercase hex digits"));
  out.previous_digest = std::move(*prev);
  auto kid = str_field(p, "key_id", where);
  if (!kid) return kid.error();
  out.key_id = std::move(*kid);
  if (out.kind == StatementKind::scan) {
    auto scan = obj_field(p, "scan", where);
    if (!scan) return scan.error();
    auto t = int_field(**scan, "started_at_ms", where + ".scan");
    if (!t) return t.error();
    out.time_ms = *t;
    const auto* results = p.if_contains("results");
    if (results == nullptr || !results->is_array())
      return make_error(Errc::parse, where + ": \"results\" missing or not an array");
    // The payload is canonical, so these bytes are the results serialised.
    out.computed_digest = crypto::sha256_hex(canonical.results.of(env.payload));
    out.result_evidence = std::move(canonical.evidence);
  } else {
    auto t = int_field(p, "recorded_at_ms", where);
    if (!t) return t.error();
    out.time_ms = *t;
    auto gap = obj_field(p, "gap", where);
    if (!gap) return gap.error();
    const std::string gw = where + ".gap";
    auto first = int_field(**gap, "first_sequence", gw);
    auto last = int_field(**gap, "last_sequence", gw);
    auto ft = int_field(**gap, "first_time_ms", gw);
    auto lt = int_field(**gap, "last_time_ms", gw);
    auto reason = str_field(**gap, "reason", gw);
    for (const Error* e : {first.ok() ? nullptr : &first.error(), last.ok() ? nullptr : &last.error(),
                           ft.ok() ? nullptr : &ft.error(), lt.ok() ? nullptr : &lt.error(),
                           reason.ok() ? nullptr : &reason.error()}) {
      if (e != nullptr) return *e;
    }
    out.gap = GapInfo{*first, *last, *ft, *lt, *reason};
    if (out.gap.first_sequence < 1 || out.gap.last_sequence < out.gap.first_sequence ||
        out.gap.last_sequence >= out.sequence)
      return make_error(Errc::parse, gw + ": range " + std::to_string(out.gap.first_sequence) + ".." +
                                         std::to_string(out.gap.last_sequence) +
                                         " is not before the record's sequence " +
                                         std::to_string(out.sequence));
    out.computed_digest = crypto::sha256_hex(canonical.gap.of(env.payload));
  }
  // Moved, not copied (same arena): for a scan it is most of the statement.
  out.predicate = std::move(parsed->get_object().at("predicate").get_object());
  return out;
}

}  // namespace vigil::agent
