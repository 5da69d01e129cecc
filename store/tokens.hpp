// Secrets and ids of vigil-store: people's tokens ("vst_") and enrollment
// tokens ("vse_") are 256 random bits (RAND_bytes), base64url; only their
// SHA-256 is stored and a presented token is found by that hash. Also the
// expiry syntax of `token create --expires` and `POST /v1/tokens`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "result.hpp"
#include "storage.hpp"

namespace vigil::store {

inline constexpr std::string_view kPersonTokenPrefix = "vst_";
inline constexpr std::string_view kEnrollTokenPrefix = "vse_";

struct NewSecret {
  std::string token;  // shown once
  std::string hash;   // stored
};

// The prefix of the role (vse_ for enroll, vst_ otherwise) and 32 random bytes.
Result<NewSecret> make_token_secret(Role role);
std::string token_hash(std::string_view token);
// n random bytes as lowercase hex, for ids ("tok-", "h-", "w-" + this).
Result<std::string> random_hex(std::size_t n);

// "30m", "24h", "7d" (from now) or an RFC 3339 UTC time; the result must lie
// after now. Errc::invalid naming the value.
Result<std::int64_t> parse_expiry(std::string_view s, std::int64_t now_ms);

struct CreatedToken {
  TokenRecord record;
  std::string secret;  // shown once, never stored
};
// Makes and stores a token (the audit entry's target and detail are filled
// in). uses only for enrollment tokens; an enrollment token without expires
// expires after 24 h. Errc::invalid for a bad expiry or use count.
Result<CreatedToken> create_token(Storage& storage, Role role, const std::string& name,
                                  const std::optional<std::string>& expires, std::optional<std::int64_t> uses,
                                  std::int64_t now_ms, AuditEntry audit);

}  // namespace vigil::store
