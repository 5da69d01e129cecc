// Api: opening, routing by method and path (404/405), and people's
// authentication and role checks (401 with WWW-Authenticate, 403).
#include "api.hpp"

#include <chrono>
#include <exception>
#include <optional>
#include <variant>

#include "api_routes.hpp"
#include "sqlite_storage.hpp"
#include "strings.hpp"
#include "tokens.hpp"

namespace vigil::store {

namespace {

enum class Auth { none, people };
using PeopleHandler = Response (*)(Ctx&, const Request&, const Caller&, const Params&);
using OpenHandler = Response (*)(Ctx&, const Request&);

struct Route {
  const char* method;
  const char* pattern;  // "{}" matches one segment
  OpenHandler open = nullptr;
  PeopleHandler people = nullptr;
  unsigned roles = 0;  // bits of role_bit()
};

constexpr unsigned role_bit(Role r) {
  return 1u << static_cast<unsigned>(r);
}
constexpr unsigned kAdmins = role_bit(Role::admin);
constexpr unsigned kAnalysts = kAdmins | role_bit(Role::analyst);
constexpr unsigned kReaders = kAnalysts | role_bit(Role::auditor);

const std::vector<Route>& routes() {
  static const std::vector<Route> r = {
      {"GET", "/v1/health", handle_health},
      {"POST", "/v1/enroll", handle_enroll},
      {"POST", "/v1/evidence", handle_evidence},
      {"GET", "/v1/hosts", nullptr, handle_hosts, kReaders},
      {"GET", "/v1/hosts/{}", nullptr, handle_host, kReaders},
      {"POST", "/v1/hosts/{}/allow-rekey", nullptr, handle_allow_rekey, kAdmins},
      {"GET", "/v1/controls", nullptr, handle_controls, kReaders},
      {"GET", "/v1/drift", nullptr, handle_drift, kReaders},
      {"GET", "/v1/export", nullptr, handle_export, kReaders},
      {"POST", "/v1/waivers", nullptr, handle_waiver_create, kAnalysts},
      {"GET", "/v1/waivers", nullptr, handle_waiver_list, kReaders},
      {"DELETE", "/v1/waivers/{}", nullptr, handle_waiver_revoke, kAnalysts},
      {"POST", "/v1/tokens", nullptr, handle_token_create, kAdmins},
      {"GET", "/v1/tokens", nullptr, handle_token_list, kAdmins},
      {"DELETE", "/v1/tokens/{}", nullptr, handle_token_revoke, kAdmins},
      {"GET", "/v1/audit", nullptr, handle_audit, kAdmins},
  };
  return r;
}

// The {} segments when path matches pattern.
std::optional<Params> match(std::string_view pattern, std::string_view path) {
  auto ps = split(pattern, '/');
  auto xs = split(path, '/');
  if (ps.size() != xs.size()) return std::nullopt;
  Params params;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (ps[i] == "{}") {
      if (xs[i].empty()) return std::nullopt;
      params.emplace_back(xs[i]);
    } else if (ps[i] != xs[i]) {
      return std::nullopt;
    }
  }
  return params;
}

Response unauthorized(const std::string& message, const std::string& challenge) {
  Response r = error_response(401, "unauthorized", message);
  r.headers.emplace_back("WWW-Authenticate", challenge);
  return r;
}

// The caller of a people's endpoint, or the 401 to answer.
std::variant<Caller, Response> authenticate(Ctx& ctx, const Request& req) {
  const std::string* h = req.header("authorization");
  const std::string challenge = "Bearer realm=\"vigil-store\"";
  if (h == nullptr) return unauthorized("no bearer token", challenge);
  std::string_view v = trim(*h);
  if (v.size() < 7 || !iequals(v.substr(0, 7), "Bearer "))
    return unauthorized("Authorization must be 'Bearer <token>'", challenge);
  const std::string token(trim(v.substr(7)));
  auto found = ctx.storage.find_person_token(token_hash(token), ctx.now_ms());
  if (!found) return internal_error(req, found.error());
  if (!*found)
    return unauthorized("unknown, revoked or expired token", challenge + ", error=\"invalid_token\"");
  const TokenRecord& t = **found;
  return Caller{Actor{"token", t.id, t.name, role_name(t.role)}, t.role};
}

Response allowed_methods(const std::string& path) {
  std::string allow;
  for (const auto& r : routes())
    if (match(r.pattern, path)) allow += (allow.empty() ? "" : ", ") + std::string(r.method);
  if (allow.empty()) return not_found("no endpoint " + path);
  Response resp = error_response(405, "method_not_allowed", "allowed: " + allow);
  resp.headers.emplace_back("Allow", allow);
  return resp;
}

}  // namespace

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::unique_ptr<Storage>> open_storage(const DatabaseConfig& db) {
  if (db.backend != "sqlite")
    return make_error(Errc::invalid, "database.backend: '" + db.backend + "' is not supported (sqlite)");
  auto s = SqliteStorage::open(db.path, db.busy_timeout);
  if (!s) return std::move(s).error();
  return std::unique_ptr<Storage>(std::move(*s));
}

Result<std::unique_ptr<Api>> Api::open(const StoreConfig& config) {
  auto st = open_storage(config.database);
  if (!st) return std::move(st).error();
  return with_storage(std::move(*st), system_now_ms);
}

std::unique_ptr<Api> Api::with_storage(std::unique_ptr<Storage> storage, Clock clock) {
  return std::make_unique<Api>(Passkey(), std::move(storage), std::move(clock));
}

Response Api::handle(const Request& req) {
  try {
    return dispatch(req);
  } catch (const std::exception& e) {
    return internal_error(req, make_error(Errc::internal, std::string("exception: ") + e.what()));
  }
}

Response Api::dispatch(const Request& req) {
  Ctx ctx{*storage_, clock_};
  for (const auto& r : routes()) {
    if (req.method != r.method) continue;
    auto params = match(r.pattern, req.path);
    if (!params) continue;
    if (r.open != nullptr) return r.open(ctx, req);
    auto who = authenticate(ctx, req);
    if (auto* resp = std::get_if<Response>(&who)) return std::move(*resp);
    const Caller& caller = std::get<Caller>(who);
    if ((r.roles & role_bit(caller.role)) == 0)
      return error_response(
          403, "forbidden",
          std::string("role ") + role_name(caller.role) + " may not " + req.method + " " + req.path);
    return r.people(ctx, req, caller, *params);
  }
  return allowed_methods(req.path);
}

}  // namespace vigil::store
