// How an enrolled host proves a request to vigil-store is its own: an
// Authorization header with an Ed25519 signature, by the host key, over the
// method, the request target, the time and the SHA-256 of the body exactly as
// sent (before any decompression, so the store checks it before inflating
// anything). Format in docs/store-api.md ("Host requests").
//
//   Authorization: Vigil-Host host="<host id>", time="<unix seconds>", sig="<base64>"
//
// The envelopes inside are signed on their own; this signature only keeps
// strangers from making the store verify, decompress and log their bodies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto.hpp"
#include "result.hpp"

namespace vigil::request_auth {

inline constexpr std::string_view kScheme = "Vigil-Host";
// How far the client's clock may be from the store's.
inline constexpr std::int64_t kMaxClockSkewSeconds = 300;

// "vigil-request-v1\n" METHOD "\n" TARGET "\n" TIME "\n" hex(SHA-256(body))
std::string signing_input(std::string_view method, std::string_view target, std::int64_t time_s,
                          std::string_view body);

// The header's value (without "Authorization: ").
Result<std::string> make_authorization(const crypto::HostKey& key, std::string_view host_id,
                                       std::string_view method, std::string_view target,
                                       std::string_view body, std::int64_t time_s);

struct Credentials {
  std::string host_id;
  std::int64_t time_s = 0;
  std::string signature;  // raw bytes
};

// Errc::parse naming what is wrong (scheme, a missing or repeated field, a bad value).
Result<Credentials> parse_authorization(std::string_view header);

// Errc::invalid when the time is more than kMaxClockSkewSeconds from now_s or
// the signature does not verify with key.
Status verify(const Credentials& c, const crypto::PublicKey& key, std::string_view method,
              std::string_view target, std::string_view body, std::int64_t now_s);

}  // namespace vigil::request_auth
