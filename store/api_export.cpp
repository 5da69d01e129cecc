// GET /v1/export?from=&to=&control=&host=&format=json|oscal: the envelopes
// the store holds, as the agent's own evidence bundle (one host) so that
// `vigil verify` checks them offline, or a bundle set (every host with
// envelopes in the period), or OSCAL assessment-results (one host).
#include "api_routes.hpp"
#include "catalog.hpp"
#include "export_oscal.hpp"
#include "verify.hpp"

namespace vigil::store {

namespace {

struct ExportQuery {
  std::int64_t from_ms = 0, to_ms = 0;
  std::vector<std::string> controls;
  std::string host_id, format = "json";
};

std::variant<ExportQuery, Response> read_query(Ctx& ctx, const Request& req) {
  if (auto e = unknown_query(req, {"from", "to", "control", "host", "format"})) return bad_request(*e);
  ExportQuery q;
  auto to = time_param(req, "to", ctx.now_ms());
  if (to.error) return bad_request(*to.error);
  auto from = time_param(req, "from", 0);
  if (from.error) return bad_request(*from.error);
  if (from.value > to.value) return bad_request("query: from lies after to");
  q.from_ms = from.value;
  q.to_ms = to.value;
  if (const auto* c = req.query_value("control")) {
    if (!agent::ControlCatalog::builtin().has_2022(*c))
      return bad_request("query: control '" + *c + "' is not an ISO/IEC 27001:2022 Annex A control");
    q.controls.push_back(*c);
  }
  if (const auto* h = req.query_value("host")) q.host_id = *h;
  if (const auto* f = req.query_value("format")) q.format = *f;
  if (q.format != "json" && q.format != "oscal")
    return bad_request("query: format must be json or oscal, not '" + q.format + "'");
  if (q.format == "oscal" && q.host_id.empty()) return bad_request("query: format=oscal needs host=");
  return q;
}

// One host's bundle, or nullopt when it has no envelope in the period.
Result<std::optional<std::string>> host_bundle(Ctx& ctx, const HostRecord& h, const ExportQuery& q) {
  auto envs = ctx.storage.envelopes(h.id, q.from_ms, q.to_ms);
  if (!envs) return std::move(envs).error();
  if (envs->empty()) return std::optional<std::string>();
  auto key = crypto::PublicKey::from_pem(h.public_key_pem, "host " + h.id);
  if (!key) return std::move(key).error();
  agent::BundleManifest m;
  m.host = h.identity;
  m.from_ms = q.from_ms;
  m.to_ms = q.to_ms;
  m.controls = q.controls;
  m.created_at_ms = ctx.now_ms();
  auto b = agent::make_bundle(*envs, *key, m);
  if (!b) return std::move(b).error();
  return std::optional<std::string>(std::move(*b));
}

Response one_host(Ctx& ctx, const Request& req, const ExportQuery& q) {
  auto host = ctx.storage.find_host(q.host_id);
  if (!host) return internal_error(req, host.error());
  if (!*host) return not_found("no host " + q.host_id);
  auto bundle = host_bundle(ctx, **host, q);
  if (!bundle) return internal_error(req, bundle.error());
  if (!*bundle)
    return not_found("host " + q.host_id + " has no evidence between " + iso_ms(q.from_ms) + " and " +
                     iso_ms(q.to_ms));
  if (q.format == "json") return Response{200, "application/json", std::move(**bundle), {}};
  agent::OscalOptions opts;
  // The store exports what it holds; a chain problem (a fork, an unexplained
  // gap) is stated in the document rather than hidden by a refusal.
  opts.allow_unverified = true;
  auto oscal = agent::bundle_to_oscal(**bundle, opts);
  if (!oscal) return internal_error(req, oscal.error());
  return Response{200, "application/json", std::move(*oscal), {}};
}

}  // namespace

Response handle_export(Ctx& ctx, const Request& req, const Caller&, const Params&) {
  auto read = read_query(ctx, req);
  if (auto* r = std::get_if<Response>(&read)) return std::move(*r);
  const ExportQuery& q = std::get<ExportQuery>(read);
  if (!q.host_id.empty()) return one_host(ctx, req, q);
  auto hosts = ctx.storage.list_hosts();
  if (!hosts) return internal_error(req, hosts.error());
  std::vector<std::string> bundles;
  for (const auto& h : *hosts) {
    auto b = host_bundle(ctx, h, q);
    if (!b) return internal_error(req, b.error());
    if (*b) bundles.push_back(std::move(**b));
  }
  auto set = agent::make_bundle_set(bundles, ctx.now_ms());
  if (!set) return internal_error(req, set.error());
  return Response{200, "application/json", std::move(*set), {}};
}

}  // namespace vigil::store
