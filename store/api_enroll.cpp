// POST /v1/enroll: an enrollment token, the host's identity and public key,
// and a proof that the caller holds the private key (docs/store-api.md).
#include <boost/json/serialize.hpp>

#include "api_routes.hpp"
#include "crypto.hpp"
#include "tokens.hpp"

namespace vigil::store {

namespace {

inline constexpr std::size_t kMaxIdentity = 256;

struct EnrollBody {
  std::string token, host, public_key, proof;
  std::string facts_json = "{}";
  ScopeTags scope;
};

std::variant<EnrollBody, Response> read_enroll(const Request& req) {
  auto body = parse_body_object(req);
  if (!body.object) return body.error;
  FieldReader f(*body.object);
  EnrollBody b;
  auto token = f.string("token", true, 256);
  auto host = f.string("host", true, kMaxIdentity);
  auto key = f.string("public_key", true, crypto::kMaxKeyFileBytes);
  auto proof = f.string("proof", true, 256);
  const auto* facts = f.object("facts", false);
  if (auto e = f.finish()) return bad_request(*e);
  b.token = *token;
  b.host = *host;
  b.public_key = *key;
  b.proof = *proof;
  if (b.host.empty()) return bad_request("body: \"host\" is empty");
  if (facts != nullptr) {
    b.facts_json = boost::json::serialize(*facts);
    if (const auto* scope = facts->if_contains("scope")) {
      if (!scope->is_object()) return bad_request("body: \"facts.scope\" must be an object of strings");
      for (const auto& [k, v] : scope->as_object()) {
        if (!v.is_string())
          return bad_request("body: \"facts.scope." + std::string(k) + "\" must be a string");
        b.scope[std::string(k)] = std::string(v.as_string());
      }
    }
  }
  return b;
}

Response enrolled(unsigned status, const HostRecord& h) {
  return json_response(
      status, boost::json::object{
                  {"host_id", h.id}, {"key_id", h.key_id}, {"enrolled_at", iso_ms(h.enrolled_at_ms)}});
}

Response token_refused(const std::string& message) {
  Response r = error_response(401, "unauthorized", message);
  r.headers.emplace_back("WWW-Authenticate", "Vigil-Enroll");
  return r;
}

}  // namespace

Response handle_enroll(Ctx& ctx, const Request& req) {
  auto read = read_enroll(req);
  if (auto* r = std::get_if<Response>(&read)) return std::move(*r);
  const EnrollBody& b = std::get<EnrollBody>(read);
  auto key = crypto::PublicKey::from_pem(b.public_key, "public_key");
  if (!key) return bad_request("body: " + key.error().message);
  auto proof = crypto::base64_decode(b.proof);
  if (!proof) return bad_request("body: \"proof\": " + proof.error().message);
  if (!key->verify("vigil-enroll-v1\n" + b.host + "\n" + b.token, *proof))
    return token_refused("proof does not verify with public_key " + key->key_id());
  auto id = random_hex(8);
  if (!id) return internal_error(req, id.error());
  EnrollInput in{token_hash(b.token), b.host,  key->pem(), key->key_id(),
                 b.facts_json,        b.scope, "h-" + *id, ctx.now_ms()};
  auto out = ctx.storage.enroll(in, audit_entry(ctx, req, Actor{"enroll", "", "", "enroll"}, "", "", ""));
  if (!out) return internal_error(req, out.error());
  switch (out->status) {
    case EnrollStatus::created:
      return enrolled(201, out->host);
    case EnrollStatus::unchanged:
    case EnrollStatus::rekeyed:
      return enrolled(200, out->host);
    case EnrollStatus::bad_token:
      return token_refused(out->message);
    case EnrollStatus::conflict:
      return error_response(409, "conflict", out->message);
  }
  return internal_error(req, make_error(Errc::internal, "enroll: unknown outcome"));
}

}  // namespace vigil::store
