// POST /v1/evidence: the host's request signature (over the body as sent,
// before anything reads it), then each envelope verified on its own and
// handed to the storage's chain rules (docs/store-api.md, "Ingest").
#include <algorithm>

#include "api_routes.hpp"
#include "attest.hpp"
#include "crypto.hpp"
#include "posture.hpp"
#include "request_auth.hpp"

namespace vigil::store {

namespace {

inline constexpr std::size_t kMaxEnvelopesPerRequest = 1000;

Response host_unauthorized(const std::string& message) {
  Response r = error_response(401, "unauthorized", message);
  r.headers.emplace_back("WWW-Authenticate", std::string(request_auth::kScheme));
  return r;
}

struct Verified {
  std::optional<IngestItem> item;
  std::optional<std::int64_t> sequence;
  std::string reason;  // when !item
};

std::string str_member(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The rows of a scan's results. Each result's evidence is kept as where the
// payload has it (decode_statement found that; the payload is canonical, so
// those bytes are its serialisation), since the envelope is stored anyway.
std::vector<ResultRow> results_of(const agent::Statement& st) {
  std::vector<ResultRow> out;
  const auto* rs = st.predicate.if_contains("results");
  if (rs == nullptr || !rs->is_array()) return out;
  const auto& array = rs->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    const auto& v = array[i];
    if (!v.is_object()) continue;
    const auto& o = v.as_object();
    // A result without evidence is stored with "{}" inline.
    std::optional<EvidenceSpan> evidence;
    if (i < st.result_evidence.size() && st.result_evidence[i])
      evidence = EvidenceSpan{static_cast<std::int64_t>(st.result_evidence[i]->offset),
                              static_cast<std::int64_t>(st.result_evidence[i]->size)};
    ResultRow r{str_member(o, "check"),
                str_member(o, "policy"),
                str_member(o, "title"),
                str_member(o, "severity"),
                str_member(o, "verdict"),
                str_member(o, "message"),
                evidence ? "" : "{}",
                {},
                evidence};
    const auto* controls = o.if_contains("controls");
    const auto* c22 = controls != nullptr && controls->is_object()
                          ? controls->as_object().if_contains("iso27001-2022")
                          : nullptr;
    if (c22 != nullptr && c22->is_array())
      for (const auto& c : c22->as_array())
        if (c.is_string()) r.controls.emplace_back(c.as_string());
    std::sort(r.controls.begin(), r.controls.end());
    r.controls.erase(std::unique(r.controls.begin(), r.controls.end()), r.controls.end());
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<ScopeTags> scope_of(const boost::json::object& predicate) {
  const auto* s = predicate.if_contains("scope");
  if (s == nullptr || !s->is_object()) return std::nullopt;
  ScopeTags out;
  for (const auto& [k, v] : s->as_object())
    if (v.is_string()) out[std::string(k)] = std::string(v.as_string());
  return out;
}

// Steps 1-3 of the rules: envelope, statement, host, key, signature, digest.
Verified verify_one(const HostRecord& host, const crypto::PublicKey& key, std::string_view bytes) {
  Verified v;
  auto env = agent::parse_envelope(bytes);
  if (!env) return Verified{std::nullopt, std::nullopt, "not a DSSE envelope: " + env.error().message};
  auto st = agent::decode_statement(*env);
  if (!st) return Verified{std::nullopt, std::nullopt, "not a Vigil statement: " + st.error().message};
  v.sequence = st->sequence;
  if (st->host != host.identity)
    return Verified{std::nullopt, v.sequence,
                    "statement is about host '" + st->host + "', not this host '" + host.identity + "'"};
  if (st->key_id != host.key_id)
    return Verified{std::nullopt, v.sequence,
                    "statement names key " + st->key_id + ", the enrolled key is " + host.key_id};
  if (auto s = agent::verify_envelope(*env, key); !s)
    return Verified{std::nullopt, v.sequence,
                    "signature does not verify with the enrolled key " + host.key_id.substr(0, 8) + ": " +
                        s.error().message};
  if (st->computed_digest != st->subject_digest)
    return Verified{std::nullopt, v.sequence, "subject digest does not match the statement's results"};
  IngestItem it;
  it.bytes = std::string(bytes);
  it.digest = crypto::sha256_hex(bytes);
  it.sequence = st->sequence;
  it.previous_digest = st->previous_digest;
  it.time_ms = st->time_ms;
  if (st->kind == agent::StatementKind::gap) {
    it.kind = EnvelopeKind::gap;
    it.gap_first = st->gap.first_sequence;
    it.gap_last = st->gap.last_sequence;
    it.gap_reason = st->gap.reason;
  } else {
    it.results = results_of(*st);
    it.scope = scope_of(st->predicate);
  }
  v.item = std::move(it);
  return v;
}

const char* status_name(IngestStatus s) {
  return s == IngestStatus::accepted ? "accepted" : s == IngestStatus::duplicate ? "duplicate" : "rejected";
}

struct SigningHost {
  HostRecord record;
  crypto::PublicKey key;  // parsed once, for the request signature and every envelope
};

// The host the signature names, verified; or the 401.
std::variant<SigningHost, Response> authenticate_host(Ctx& ctx, const Request& req) {
  const std::string* h = req.header("authorization");
  if (h == nullptr) return host_unauthorized("no Vigil-Host authorization");
  auto cred = request_auth::parse_authorization(*h);
  if (!cred) return host_unauthorized("Authorization: " + cred.error().message);
  auto host = ctx.storage.find_host(cred->host_id);
  if (!host) return internal_error(req, host.error());
  if (!*host) return host_unauthorized("unknown host " + cred->host_id);
  auto key = crypto::PublicKey::from_pem((*host)->public_key_pem, "host " + cred->host_id);
  if (!key) return internal_error(req, key.error());
  if (auto s = request_auth::verify(*cred, *key, req.method, req.target, req.raw_body, ctx.now_ms() / 1000);
      !s)
    return host_unauthorized("host " + cred->host_id + ": " + s.error().message);
  return SigningHost{std::move(**host), std::move(*key)};
}

}  // namespace

Response handle_evidence(Ctx& ctx, const Request& req) {
  auto who = authenticate_host(ctx, req);
  if (auto* r = std::get_if<Response>(&who)) return std::move(*r);
  const HostRecord& host = std::get<SigningHost>(who).record;
  const crypto::PublicKey& key = std::get<SigningHost>(who).key;
  auto body = parse_body_object(req);
  if (!body.object) return body.error;
  FieldReader f(*body.object);
  auto host_id = f.string("host_id", true, 256);
  const auto* envs = f.array("envelopes", true);
  if (auto e = f.finish()) return bad_request(*e);
  if (*host_id != host.id)
    return bad_request("body: host_id '" + *host_id + "' is not the signing host " + host.id);
  if (envs->size() > kMaxEnvelopesPerRequest)
    return bad_request("body: " + std::to_string(envs->size()) + " envelopes, at most " +
                       std::to_string(kMaxEnvelopesPerRequest) + " per request");
  for (std::size_t i = 0; i < envs->size(); ++i)
    if (!(*envs)[i].is_string())
      return bad_request("body: envelopes[" + std::to_string(i) + "] must be a string");
  // Verify every envelope first, outside the write transaction (it is the
  // CPU-heavy part), then hand the verified ones to the chain rules at once.
  std::vector<Verified> verified;
  verified.reserve(envs->size());
  std::vector<IngestItem> items;
  for (const auto& e : *envs) {
    verified.push_back(verify_one(host, key, e.get_string()));
    // The item moves to the batch; the optional stays engaged, so has_value()
    // below still says which envelopes went to the storage.
    if (auto& v = verified.back(); v.item) items.push_back(std::move(*v.item));
  }
  auto outcomes = ctx.storage.ingest(host.id, items, ctx.now_ms());
  if (!outcomes) return internal_error(req, outcomes.error());
  boost::json::array results;
  std::size_t counts[3] = {0, 0, 0};
  std::size_t next_item = 0;
  for (std::size_t i = 0; i < verified.size(); ++i) {
    const Verified& v = verified[i];
    const bool stored = v.item.has_value();
    IngestOutcome out = stored ? std::move((*outcomes)[next_item]) : IngestOutcome{IngestStatus::rejected, v.reason};
    boost::json::object o{{"index", i},
                          {"sequence", v.sequence ? boost::json::value(*v.sequence) : nullptr},
                          {"digest", stored ? items[next_item].digest
                                            : crypto::sha256_hex(std::string_view((*envs)[i].get_string()))},
                          {"status", status_name(out.status)}};
    if (stored) ++next_item;
    if (out.status == IngestStatus::rejected) o["reason"] = out.reason;
    ++counts[static_cast<int>(out.status)];
    results.push_back(std::move(o));
  }
  auto chain = ctx.storage.chain_state(host.id);
  if (!chain) return internal_error(req, chain.error());
  Actor actor{"host", host.id, host.identity, ""};
  auto a = ctx.storage.append_audit(audit_entry(ctx, req, actor, "evidence.ingest", host.id,
                                                "accepted=" + std::to_string(counts[0]) +
                                                    " duplicate=" + std::to_string(counts[1]) +
                                                    " rejected=" + std::to_string(counts[2])));
  if (!a) return internal_error(req, a.error());
  return json_response(
      200, boost::json::object{
               {"host_id", host.id}, {"results", std::move(results)}, {"chain", chain_json(*chain)}});
}

}  // namespace vigil::store
