// X.509 certificates in files, read with OpenSSL (PEM with any number of
// certificates, or one DER certificate), behind the `certificates` table:
// certificates('["/etc/ssl/certs", "/etc/nginx/ssl"]').
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collector.hpp"

namespace vigil::collectors {

// A certificate file is small (Debian's whole CA bundle is ~200 KiB).
inline constexpr std::size_t kCertMaxFileBytes = 1024u * 1024u;
// Directory entries one call may visit in all, and levels below a root.
inline constexpr std::size_t kCertMaxEntries = 10000;
inline constexpr std::size_t kCertMaxDepth = 16;

struct CertWalkOptions {
  std::size_t max_entries = kCertMaxEntries;
  std::size_t max_depth = kCertMaxDepth;
};

struct CertInfo {
  int index = 0;        // 1-based among the file's certificate blocks
  std::string format;   // "pem" or "der"
  std::string subject;  // RFC 2253, UTF-8
  std::string issuer;
  std::string serial;  // upper-case hex, as `openssl x509 -serial`
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;
  std::string key_type;  // rsa, rsa-pss, ec, ed25519, ed448, dsa, ...
  std::optional<std::int64_t> key_bits;
  std::optional<std::string> curve;  // OpenSSL's group name for EC keys: prime256v1, secp384r1...
  std::string
      signature_algorithm;  // OpenSSL's long name: sha256WithRSAEncryption, ecdsa-with-SHA256, ED25519
  std::optional<std::string> signature_hash;  // sha256, sha1... NULL for Ed25519/Ed448
  std::string sha256;                         // lower-case hex of the DER encoding
  bool self_signed = false;
  bool is_ca = false;
};

struct CertFile {
  std::vector<CertInfo> certs;
  bool pem = false;    // the file holds PEM blocks (certificates or not: keys, requests...)
  int bad_blocks = 0;  // CERTIFICATE blocks OpenSSL could not decode
  std::string error;   // the first problem, for a warning
};

// Certificates already described during one walk, by their encoding: a CA
// store holds each certificate two or three times (the bundle, the file and
// its hash link), and describing one (the self-signature check above all:
// P-384 verification costs about a millisecond) is the walk's whole cost.
using CertMemo = std::unordered_map<std::string, CertInfo>;

// How a certificate's key is read: fast reads the common kinds from the
// SubjectPublicKeyInfo and decodes the rest with OpenSSL; full always
// decodes with OpenSSL (slower by about 4x; the tests compare the two).
enum class CertDecode { fast, full };

// Pure: the bytes of one file in, its certificates out. A file that is
// neither PEM nor a DER certificate gives no certificates and no error
// unless it is a certificate block that fails (error then says why). With a
// memo, a certificate seen before is not described again.
CertFile parse_certificate_file(std::string_view data, CertMemo* memo = nullptr,
                                CertDecode mode = CertDecode::fast);

// .pem .crt .cer .der (any case): a file that should hold a certificate,
// worth a warning when it does not parse.
bool certificate_file_name(std::string_view name) noexcept;

// Seconds since the epoch as ISO 8601 UTC: 2001-01-01T00:00:00Z.
std::string iso8601_utc(std::int64_t epoch);

// The table's collection with its caps as options (tests use small ones).
// ctx.args() holds the paths argument.
Status collect_certificates(CollectContext& ctx, std::vector<Row>& rows, const CertWalkOptions& opts = {});

}  // namespace vigil::collectors
