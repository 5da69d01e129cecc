// GET /v1/hosts, GET /v1/hosts/{id}, POST /v1/hosts/{id}/allow-rekey,
// GET /v1/drift.

#include "api_routes.hpp"
#include "evidence.hpp"
#include "json_exact.hpp"
#include "posture.hpp"

namespace vigil::store {

namespace {

// Stored JSON (evidence, facts) as a value, numbers exact: Boost.JSON's own
// parser would round some doubles, and the evidence shown would then differ
// from the signed statement's in the last digit.
boost::json::value parse_or_null(const std::string& text) {
  auto v = agent::parse_json_exact(text, "stored JSON");
  return v ? std::move(*v) : boost::json::value(nullptr);
}

boost::json::object scope_json(const ScopeTags& s) {
  boost::json::object o;
  for (const auto& [k, v] : s) o[k] = v;
  return o;
}

boost::json::object counts_json(const std::vector<EffectiveResult>& rs) {
  boost::json::object o{{"pass", 0}, {"fail", 0}, {"error", 0}, {"not_applicable", 0}, {"waived", 0}};
  for (const auto& r : rs) {
    auto* v = o.if_contains(r.verdict);
    if (v != nullptr) *v = v->as_int64() + 1;
  }
  return o;
}

boost::json::object host_summary(const HostRecord& h, const ChainState& chain,
                                 const std::vector<EffectiveResult>& rs) {
  return boost::json::object{{"host_id", h.id},
                             {"identity", h.identity},
                             {"key_id", h.key_id},
                             {"enrolled_at", iso_ms(h.enrolled_at_ms)},
                             {"last_seen", opt_time(h.last_seen_ms)},
                             {"last_scan", opt_time(h.last_scan_ms)},
                             {"rekey_allowed", h.rekey_allowed},
                             {"scope", scope_json(h.scope)},
                             {"counts", counts_json(rs)},
                             {"chain", chain_json(chain)}};
}

boost::json::object check_json(const EffectiveResult& e, std::int64_t now_ms) {
  const StoredResult& r = *e.result;
  boost::json::array controls;
  for (const auto& c : r.row.controls) controls.emplace_back(c);
  boost::json::object o{{"check", r.row.check},
                        {"policy", r.row.policy},
                        {"title", r.row.title},
                        {"severity", r.row.severity},
                        {"controls", std::move(controls)},
                        {"verdict", e.verdict},
                        {"signed_verdict", r.row.verdict},
                        {"message", r.row.message},
                        {"sequence", r.sequence},
                        {"scanned_at", iso_ms(r.time_ms)},
                        {"evidence", parse_or_null(r.row.evidence_json)}};
  if (e.waiver != nullptr) o["waiver"] = waiver_json(*e.waiver, now_ms);
  return o;
}

}  // namespace

Response handle_hosts(Ctx& ctx, const Request& req, const Caller&, const Params&) {
  if (auto e = unknown_query(req, {})) return bad_request(*e);
  auto hosts = ctx.storage.list_hosts();
  if (!hosts) return internal_error(req, hosts.error());
  auto latest = ctx.storage.latest_results("");
  if (!latest) return internal_error(req, latest.error());
  auto waivers = ctx.storage.list_waivers();
  if (!waivers) return internal_error(req, waivers.error());
  const std::int64_t now = ctx.now_ms();
  boost::json::array out;
  for (const auto& h : *hosts) {
    auto chain = ctx.storage.chain_state(h.id);
    if (!chain) return internal_error(req, chain.error());
    out.push_back(host_summary(h, *chain, apply_waivers(*latest, h, *waivers, now)));
  }
  return json_response(200, boost::json::object{{"hosts", std::move(out)}});
}

Response handle_host(Ctx& ctx, const Request& req, const Caller&, const Params& p) {
  if (auto e = unknown_query(req, {})) return bad_request(*e);
  auto host = ctx.storage.find_host(p[0]);
  if (!host) return internal_error(req, host.error());
  if (!*host) return not_found("no host " + p[0]);
  auto latest = ctx.storage.latest_results(p[0]);
  if (!latest) return internal_error(req, latest.error());
  if (auto s = resolve_evidence(ctx.storage, *latest); !s) return internal_error(req, s.error());
  auto waivers = ctx.storage.list_waivers();
  if (!waivers) return internal_error(req, waivers.error());
  auto chain = ctx.storage.chain_state(p[0]);
  if (!chain) return internal_error(req, chain.error());
  const std::int64_t now = ctx.now_ms();
  const auto effective = apply_waivers(*latest, **host, *waivers, now);
  boost::json::object o = host_summary(**host, *chain, effective);
  o["facts"] = parse_or_null((*host)->facts_json);
  boost::json::array checks;
  for (const auto& e : effective) checks.push_back(check_json(e, now));
  o["checks"] = std::move(checks);
  return json_response(200, o);
}

Response handle_allow_rekey(Ctx& ctx, const Request& req, const Caller& c, const Params& p) {
  auto done = ctx.storage.allow_rekey(p[0], audit_entry(ctx, req, c.actor, "host.allow-rekey", p[0], ""));
  if (!done) return internal_error(req, done.error());
  if (!*done) return not_found("no host " + p[0]);
  return json_response(200, boost::json::object{{"host_id", p[0]}, {"rekey_allowed", true}});
}

Response handle_drift(Ctx& ctx, const Request& req, const Caller&, const Params&) {
  if (auto e = unknown_query(req, {"since", "host", "check"})) return bad_request(*e);
  const std::int64_t now = ctx.now_ms();
  auto since = time_param(req, "since", now - 7 * 86400000LL);
  if (since.error) return bad_request(*since.error);
  DriftFilter f;
  f.since_ms = since.value;
  if (const auto* h = req.query_value("host")) f.host_id = *h;
  if (const auto* c = req.query_value("check")) f.check = *c;
  auto ts = ctx.storage.drift(f);
  if (!ts) return internal_error(req, ts.error());
  boost::json::array out;
  for (const auto& t : *ts)
    out.push_back(
        boost::json::object{{"host_id", t.host_id},
                            {"check", t.check},
                            {"from", t.from ? boost::json::value(boost::json::string(*t.from)) : nullptr},
                            {"to", t.to},
                            {"sequence", t.sequence},
                            {"scanned_at", iso_ms(t.time_ms)},
                            {"message", t.message}});
  return json_response(200, boost::json::object{{"since", iso_ms(f.since_ms)},
                                                {"truncated", ts->size() >= f.limit},
                                                {"transitions", std::move(out)}});
}

}  // namespace vigil::store
