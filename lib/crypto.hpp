// The cryptography Vigil's evidence chain rests on, over OpenSSL 3: SHA-256,
// strict base64 (RFC 4648), and Ed25519 keys (generated, stored as PKCS#8 /
// SPKI PEM, identified by the SHA-256 of the SPKI DER) that sign and verify
// raw messages. See docs/evidence-bundle.md and docs/architecture.md.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "openssl_handles.hpp"
#include "result.hpp"

namespace vigil::crypto {

using Sha256Digest = std::array<unsigned char, 32>;

Sha256Digest sha256(std::string_view data) noexcept;
// Lowercase hex of the SHA-256 of data (64 characters).
std::string sha256_hex(std::string_view data);
std::string to_hex(std::string_view bytes);
std::string to_hex(const Sha256Digest& d);

// Equal length and content, in time that depends only on the length.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

enum class Base64Alphabet {
  standard,  // A-Z a-z 0-9 + /, padding required
  url,       // A-Z a-z 0-9 - _, padding optional (RFC 4648 section 5)
};

std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet = Base64Alphabet::standard);
// Strict: a character outside the alphabet (whitespace too), padding in the
// wrong place or of the wrong length, or non-zero bits after the last byte
// (a second spelling of the same bytes) are refused with Errc::parse and the
// offset of the problem.
Result<std::string> base64_decode(std::string_view text, Base64Alphabet alphabet = Base64Alphabet::standard);

// Caps on key files and PEM text.
inline constexpr std::size_t kMaxKeyFileBytes = 16 * 1024;

// An Ed25519 public key.
class PublicKey {
 public:
  // PEM "PUBLIC KEY" (SPKI); `where` names the source in errors. Other key
  // types are refused.
  static Result<PublicKey> from_pem(std::string_view pem, const std::string& where);
  static Result<PublicKey> from_spki_der(std::string_view der, const std::string& where);

  const std::string& spki_der() const noexcept { return der_; }
  std::string pem() const;
  // Lowercase hex SHA-256 of the SPKI DER.
  const std::string& key_id() const noexcept { return key_id_; }
  // True when signature is a valid Ed25519 signature of message by this key.
  bool verify(std::string_view message, std::string_view signature) const;

 private:
  static Result<PublicKey> from_pkey(EvpPkeyPtr pkey, const std::string& where);
  // An Ed25519 key and its SPKI DER, known to match; the key id from the DER.
  static PublicKey assemble(EvpPkeyPtr pkey, std::string der);
  std::shared_ptr<EVP_PKEY> pkey_;  // shared: a PublicKey is a value that is copied freely
  std::string der_;
  std::string key_id_;
};

// An Ed25519 private key (the host key) with its public half.
class HostKey {
 public:
  static Result<HostKey> generate();
  // PEM "PRIVATE KEY" (PKCS#8, unencrypted); encrypted keys are refused.
  static Result<HostKey> from_pem(std::string_view pem, const std::string& where);

  const PublicKey& public_key() const noexcept { return public_; }
  const std::string& key_id() const noexcept { return public_.key_id(); }
  // The 64-byte Ed25519 signature of message (EVP_DigestSign, no digest:
  // Ed25519 hashes the message itself).
  Result<std::string> sign(std::string_view message) const;
  // The PKCS#8 PEM text; the caller should OPENSSL_cleanse it when done.
  Result<std::string> private_pem() const;

 private:
  std::shared_ptr<EVP_PKEY> pkey_;
  PublicKey public_;
};

// Writes the private key PEM atomically, mode 0600, never replacing an
// existing file.
Status save_private_key(const HostKey& key, const std::string& path);
// Reads a private key file: refused unless it is a regular file (a symlink is
// refused too), owned by the effective user, and not readable or writable by
// group or others; the message names the path and its mode.
Result<HostKey> load_private_key(const std::string& path);
// Writes the public key PEM atomically, mode 0644, replacing the file.
Status save_public_key(const PublicKey& key, const std::string& path);
Result<PublicKey> load_public_key(const std::string& path);

inline constexpr const char* kHostKeyFile = "host-key.pem";
inline constexpr const char* kHostPublicKeyFile = "host-key.pub.pem";

// The host key in state_dir/host-key.pem, made on first use (with
// host-key.pub.pem beside it, rewritten when missing or not the key's). The
// directory must exist, be a directory and not be writable by others.
Result<HostKey> load_or_create_host_key(const std::string& state_dir);

// The first error on OpenSSL's queue as text (and the queue cleared), or
// "no OpenSSL error" when it is empty.
std::string openssl_error();

}  // namespace vigil::crypto
