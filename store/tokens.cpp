#include "tokens.hpp"

#include <openssl/rand.h>

#include <string>

#include "crypto.hpp"
#include "strings.hpp"
#include "verify.hpp"

namespace vigil::store {

namespace {

Result<std::string> random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    return make_error(Errc::internal, "RAND_bytes: " + crypto::openssl_error());
  return out;
}

}  // namespace

Result<NewSecret> make_token_secret(Role role) {
  auto bytes = random_bytes(32);
  if (!bytes) return std::move(bytes).error();
  std::string b64 = crypto::base64_encode(*bytes, crypto::Base64Alphabet::url);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  NewSecret s;
  s.token = std::string(role == Role::enroll ? kEnrollTokenPrefix : kPersonTokenPrefix) + b64;
  s.hash = token_hash(s.token);
  return s;
}

std::string token_hash(std::string_view token) {
  return crypto::sha256_hex(token);
}

Result<std::string> random_hex(std::size_t n) {
  auto bytes = random_bytes(n);
  if (!bytes) return std::move(bytes).error();
  return crypto::to_hex(*bytes);
}

Result<std::int64_t> parse_expiry(std::string_view s, std::int64_t now_ms) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid, "expiry '" + std::string(s) + "': " + why);
  };
  std::int64_t at = 0;
  if (auto t = agent::parse_iso_time(s)) {
    at = *t;
  } else if (s.size() >= 2) {
    const char unit = s.back();
    auto n = parse_int(s.substr(0, s.size() - 1));
    const std::int64_t scale = unit == 'm' ? 60000 : unit == 'h' ? 3600000 : unit == 'd' ? 86400000 : 0;
    if (!n || *n <= 0 || scale == 0 || *n > 36500LL * 86400000 / scale)
      return bad("expected a duration like 30m, 24h or 7d, or a time like 2026-12-31T00:00:00Z");
    at = now_ms + *n * scale;
  } else {
    return bad("expected a duration like 30m, 24h or 7d, or a time like 2026-12-31T00:00:00Z");
  }
  if (at <= now_ms) return bad("lies in the past");
  return at;
}

Result<CreatedToken> create_token(Storage& storage, Role role, const std::string& name,
                                  const std::optional<std::string>& expires, std::optional<std::int64_t> uses,
                                  std::int64_t now_ms, AuditEntry audit) {
  if (uses && role != Role::enroll)
    return make_error(Errc::invalid, "uses: only enrollment tokens (role enroll) have a use count");
  if (uses && *uses < 1)
    return make_error(Errc::invalid, "uses: must be at least 1, not " + std::to_string(*uses));
  CreatedToken t;
  t.record.role = role;
  t.record.name = name;
  t.record.created_at_ms = now_ms;
  t.record.max_uses = uses;
  if (expires) {
    auto at = parse_expiry(*expires, now_ms);
    if (!at) return std::move(at).error();
    t.record.expires_at_ms = *at;
  } else if (role == Role::enroll) {
    t.record.expires_at_ms = now_ms + 24 * 3600000LL;
  }
  auto id = random_hex(8);
  if (!id) return std::move(id).error();
  t.record.id = "tok-" + *id;
  auto secret = make_token_secret(role);
  if (!secret) return std::move(secret).error();
  t.secret = std::move(secret->token);
  audit.target = t.record.id;
  audit.detail = std::string("role ") + role_name(role) + (name.empty() ? "" : " name " + name);
  if (auto s = storage.create_token(t.record, secret->hash, audit); !s) return s.error();
  return t;
}

}  // namespace vigil::store
