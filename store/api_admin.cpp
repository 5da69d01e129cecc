// Tokens (POST/GET/DELETE /v1/tokens), waivers (POST/GET/DELETE
// /v1/waivers), the audit log (GET /v1/audit) and GET /v1/health.
#include "api_routes.hpp"
#include "posture.hpp"
#include "strings.hpp"
#include "tokens.hpp"

namespace vigil::store {

namespace {

boost::json::object token_json(const TokenRecord& t) {
  return boost::json::object{{"id", t.id},
                             {"role", role_name(t.role)},
                             {"name", t.name},
                             {"created_at", iso_ms(t.created_at_ms)},
                             {"expires_at", opt_time(t.expires_at_ms)},
                             {"max_uses", t.max_uses ? boost::json::value(*t.max_uses) : nullptr},
                             {"uses", t.uses},
                             {"revoked_at", opt_time(t.revoked_at_ms)}};
}

std::string actor_label(const Actor& a) {
  return a.kind == "cli" ? std::string("cli") : a.kind + ":" + a.id + " (" + a.name + ")";
}

}  // namespace

Response handle_health(Ctx& ctx, const Request& req) {
  if (auto s = ctx.storage.ping(); !s)
    return error_response(503, "overloaded", "database: " + s.error().message);
  (void)req;
  return json_response(200, boost::json::object{{"status", "ok"}});
}

Response handle_token_create(Ctx& ctx, const Request& req, const Caller& c, const Params&) {
  auto body = parse_body_object(req);
  if (!body.object) return body.error;
  FieldReader f(*body.object);
  auto role_s = f.string("role", true, 16);
  auto name = f.string("name", false, 256);
  auto expires = f.string("expires", false, 64);
  auto uses = f.integer("uses", false);
  if (auto e = f.finish()) return bad_request(*e);
  auto role = parse_role(*role_s);
  if (!role)
    return bad_request("body: \"role\" must be enroll, admin, analyst or auditor, not '" + *role_s + "'");
  auto made = create_token(ctx.storage, *role, name.value_or(""), expires, uses, ctx.now_ms(),
                           audit_entry(ctx, req, c.actor, "token.create", "", ""));
  if (!made)
    return made.error().code == Errc::invalid ? bad_request(made.error().message)
                                              : internal_error(req, made.error());
  boost::json::object o = token_json(made->record);
  o["token"] = made->secret;
  return json_response(201, o);
}

Response handle_token_list(Ctx& ctx, const Request& req, const Caller&, const Params&) {
  auto ts = ctx.storage.list_tokens();
  if (!ts) return internal_error(req, ts.error());
  boost::json::array out;
  for (const auto& t : *ts) out.push_back(token_json(t));
  return json_response(200, boost::json::object{{"tokens", std::move(out)}});
}

Response handle_token_revoke(Ctx& ctx, const Request& req, const Caller& c, const Params& p) {
  auto done = ctx.storage.revoke_token(p[0], audit_entry(ctx, req, c.actor, "token.revoke", p[0], ""));
  if (!done) return internal_error(req, done.error());
  if (!*done) return not_found("no token " + p[0] + " (or it is revoked already)");
  return json_response(200, boost::json::object{{"id", p[0]}, {"revoked", true}});
}

Response handle_waiver_create(Ctx& ctx, const Request& req, const Caller& c, const Params&) {
  auto body = parse_body_object(req);
  if (!body.object) return body.error;
  FieldReader f(*body.object);
  auto check = f.string("check", true, 256);
  auto hosts = f.string("hosts", true, 512);
  auto owner = f.string("owner", true, 256);
  auto reason = f.string("reason", true, 4096);
  auto expires = f.string("expires", true, 64);
  if (auto e = f.finish()) return bad_request(*e);
  if (check->empty() || trim(*owner).empty() || trim(*reason).empty())
    return bad_request("body: \"check\", \"owner\" and \"reason\" must not be empty");
  if (auto p = selector_problem(*hosts); !p.empty()) return bad_request("body: " + p);
  if (*hosts != "*" && hosts->rfind("scope:", 0) != 0) {
    auto h = ctx.storage.find_host(*hosts);
    if (!h) return internal_error(req, h.error());
    if (!*h)
      return bad_request("body: \"hosts\": no host " + *hosts + " (use a host id, \"*\" or scope:KEY=VALUE)");
  }
  const std::int64_t now = ctx.now_ms();
  auto until = parse_expiry(*expires, now);
  if (!until) return bad_request("body: \"expires\": " + until.error().message);
  auto id = random_hex(8);
  if (!id) return internal_error(req, id.error());
  Waiver w{"w-" + *id, *check, *hosts, *owner, *reason, actor_label(c.actor), now, *until, std::nullopt};
  auto s = ctx.storage.create_waiver(
      w, audit_entry(ctx, req, c.actor, "waiver.create", w.id, "check " + w.check + " hosts " + w.selector));
  if (!s) return internal_error(req, s.error());
  return json_response(201, waiver_json(w, now));
}

Response handle_waiver_list(Ctx& ctx, const Request& req, const Caller&, const Params&) {
  auto ws = ctx.storage.list_waivers();
  if (!ws) return internal_error(req, ws.error());
  const std::int64_t now = ctx.now_ms();
  boost::json::array out;
  for (const auto& w : *ws) out.push_back(waiver_json(w, now));
  return json_response(200, boost::json::object{{"waivers", std::move(out)}});
}

Response handle_waiver_revoke(Ctx& ctx, const Request& req, const Caller& c, const Params& p) {
  auto done = ctx.storage.revoke_waiver(p[0], audit_entry(ctx, req, c.actor, "waiver.revoke", p[0], ""));
  if (!done) return internal_error(req, done.error());
  if (!*done) return not_found("no waiver " + p[0] + " (or it is revoked already)");
  return json_response(200, boost::json::object{{"id", p[0]}, {"revoked", true}});
}

Response handle_audit(Ctx& ctx, const Request& req, const Caller&, const Params&) {
  if (auto e = unknown_query(req, {"since", "limit"})) return bad_request(*e);
  auto since = time_param(req, "since", 0);
  if (since.error) return bad_request(*since.error);
  std::int64_t limit = 1000;
  if (const auto* l = req.query_value("limit")) {
    auto n = parse_int(*l);
    if (!n || *n < 1 || *n > 10000) return bad_request("query: limit must be 1..10000, not '" + *l + "'");
    limit = *n;
  }
  auto rs = ctx.storage.list_audit(since.value, static_cast<std::size_t>(limit));
  if (!rs) return internal_error(req, rs.error());
  boost::json::array out;
  for (const auto& r : *rs) {
    const auto& e = r.entry;
    out.push_back(boost::json::object{
        {"id", r.id},
        {"time", iso_ms(e.time_ms)},
        {"actor",
         boost::json::object{
             {"kind", e.actor.kind}, {"id", e.actor.id}, {"name", e.actor.name}, {"role", e.actor.role}}},
        {"action", e.action},
        {"target", e.target},
        {"detail", e.detail},
        {"request_id", e.request_id},
        {"peer", e.peer}});
  }
  return json_response(200, boost::json::object{{"entries", std::move(out)}});
}

}  // namespace vigil::store
