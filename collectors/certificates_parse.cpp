// Certificates from the bytes of one file with OpenSSL 3.0: PEM blocks
// (CERTIFICATE, X509 CERTIFICATE, TRUSTED CERTIFICATE) or one DER
// certificate, and the facts the certificates table reports about each.
//
// Speed: OpenSSL 3.0's d2i_X509 also decodes the certificate's public key,
// through a decoder context it builds each time by going over every decoder
// and key manager of the default provider under locks; for a CA store that
// is three quarters of the cost. So a certificate is parsed in a library
// context with no providers (the key is left undecoded, everything else is
// the same parse), and the key facts are read from its SubjectPublicKeyInfo
// for the common kinds (RSA, named-curve EC with the point checked on the
// curve, Ed25519/Ed448/X25519/X448); any other key, or any doubt, takes the
// full OpenSSL decode. The tests check both give the same facts.
#include <openssl/asn1t.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>

#include <cstring>
#include <ctime>
#include <optional>

#include "certificates.hpp"
#include "openssl_handles.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

// OpenSSL's error queue is per thread: each use here leaves it empty so a
// stale error never shows up in another caller's ERR_get_error().
struct ErrorQueueGuard {
  ErrorQueueGuard() = default;
  ErrorQueueGuard(const ErrorQueueGuard&) = delete;
  ErrorQueueGuard& operator=(const ErrorQueueGuard&) = delete;
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 && data != nullptr ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || name == nullptr) return {};
  // RFC 2253 ordering and escapes, UTF-8 kept as it is.
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) return {};
  return bio_text(bio.get());
}

std::string hex_lower(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 0xf];
  }
  return out;
}

std::int64_t epoch_of(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(::timegm(&tm));
}

std::string lower(const char* s) {
  return s == nullptr ? std::string() : to_lower(s);
}

struct KeyFacts {
  std::string type;  // rsa, rsa-pss, ec, ed25519, ...
  std::optional<std::int64_t> bits;
  std::optional<std::string> curve;
};

// From a decoded key, as OpenSSL reports it.
KeyFacts key_facts_of(const EVP_PKEY* key, X509* cert) {
  KeyFacts f;
  if (key == nullptr) {
    // A key OpenSSL cannot load (GOST without its provider...): the algorithm's OID name.
    X509_PUBKEY* pub = X509_get_X509_PUBKEY(cert);
    ASN1_OBJECT* alg = nullptr;
    if (pub == nullptr || X509_PUBKEY_get0_param(&alg, nullptr, nullptr, nullptr, pub) != 1 || alg == nullptr)
      f.type = "unknown";
    else
      f.type = lower(OBJ_nid2sn(OBJ_obj2nid(alg)));
    return f;
  }
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      f.type = "rsa";
      break;
    case EVP_PKEY_RSA_PSS:
      f.type = "rsa-pss";
      break;
    case EVP_PKEY_EC:
      f.type = "ec";
      break;
    case EVP_PKEY_ED25519:
      f.type = "ed25519";
      break;
    case EVP_PKEY_ED448:
      f.type = "ed448";
      break;
    case EVP_PKEY_DSA:
      f.type = "dsa";
      break;
    case EVP_PKEY_DH:
    case EVP_PKEY_DHX:
      f.type = "dh";
      break;
    case EVP_PKEY_X25519:
      f.type = "x25519";
      break;
    case EVP_PKEY_X448:
      f.type = "x448";
      break;
    default: {
      const char* name = EVP_PKEY_get0_type_name(key);
      f.type = name != nullptr ? lower(name) : "unknown";
    }
  }
  const int bits = EVP_PKEY_get_bits(key);
  if (bits > 0) f.bits = bits;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[80] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len) == 1) f.curve = group;
  }
  return f;
}

// From the SubjectPublicKeyInfo without decoding the key, for the kinds whose
// facts OpenSSL's decoders would give the same; nullopt for anything else.
std::optional<KeyFacts> key_facts_from_spki(X509* cert) {
  X509_PUBKEY* pub = X509_get_X509_PUBKEY(cert);
  ASN1_OBJECT* alg = nullptr;
  const unsigned char* key = nullptr;
  int key_len = 0;
  X509_ALGOR* algor = nullptr;
  if (pub == nullptr || X509_PUBKEY_get0_param(&alg, &key, &key_len, &algor, pub) != 1 || alg == nullptr)
    return std::nullopt;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  X509_ALGOR_get0(nullptr, &param_type, &param, algor);
  const int nid = OBJ_obj2nid(alg);
  // Keys of a fixed size and no parameters, with EVP_PKEY_get_bits' figure.
  struct Fixed {
    int nid;
    const char* type;
    std::int64_t bits;
    int key_len;
  };
  static constexpr Fixed kFixed[] = {{NID_ED25519, "ed25519", 256, 32},
                                     {NID_ED448, "ed448", 456, 57},
                                     {NID_X25519, "x25519", 253, 32},
                                     {NID_X448, "x448", 448, 56}};
  for (const auto& k : kFixed) {
    if (k.nid != nid) continue;
    if (param_type != V_ASN1_UNDEF || key_len != k.key_len) return std::nullopt;
    return KeyFacts{k.type, k.bits, std::nullopt};
  }
  KeyFacts f;
  switch (nid) {
    case NID_rsaEncryption: {
      // RSAPublicKey, decoded the legacy way (no provider decoder).
      const unsigned char* p = key;
      EvpPkeyPtr k(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, key_len));
      if (!k || p != key + key_len) return std::nullopt;
      const int bits = EVP_PKEY_get_bits(k.get());
      if (bits <= 0) return std::nullopt;
      f.type = "rsa";
      f.bits = bits;
      return f;
    }
    case NID_X9_62_id_ecPublicKey: {
      if (param_type != V_ASN1_OBJECT || param == nullptr) return std::nullopt;  // explicit parameters
      const int curve = OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(param));
      const char* name = OBJ_nid2sn(curve);
      if (curve == NID_undef || name == nullptr) return std::nullopt;
      EcGroupPtr group(EC_GROUP_new_by_curve_name(curve));
      if (!group) return std::nullopt;
      // The decoder refuses a point that is not on the curve; so does this.
      EcPointPtr point(EC_POINT_new(group.get()));
      if (!point ||
          EC_POINT_oct2point(group.get(), point.get(), key, static_cast<std::size_t>(key_len), nullptr) != 1)
        return std::nullopt;
      f.type = "ec";
      f.bits = EC_GROUP_order_bits(group.get());
      f.curve = name;
      return f;
    }
    default:
      return std::nullopt;
  }
}

// X509_self_signed(cert, 0) for a certificate whose key was not decoded:
// OpenSSL's rule is subject equal to issuer (EXFLAG_SI), the authority key
// identifier matching, and the signature algorithm made for the key's type.
bool self_signed_without_key(X509* cert) {
  const std::uint32_t flags = X509_get_extension_flags(cert);
  if ((flags & EXFLAG_INVALID) != 0 || (flags & EXFLAG_SI) == 0) return false;
  // The extension as OpenSSL caches it (absent: no constraint, X509_V_OK).
  std::unique_ptr<AUTHORITY_KEYID, decltype(&AUTHORITY_KEYID_free)> akid(
      static_cast<AUTHORITY_KEYID*>(X509_get_ext_d2i(cert, NID_authority_key_identifier, nullptr, nullptr)),
      &AUTHORITY_KEYID_free);
  if (X509_check_akid(cert, akid.get()) != X509_V_OK) return false;
  const ASN1_OBJECT* sig_alg = nullptr;
  X509_ALGOR_get0(&sig_alg, nullptr, nullptr, X509_get0_tbs_sigalg(cert));
  int sig_key_nid = NID_undef;
  if (sig_alg == nullptr || OBJ_find_sigid_algs(OBJ_obj2nid(sig_alg), nullptr, &sig_key_nid) != 1) return false;
  ASN1_OBJECT* key_alg = nullptr;
  if (X509_PUBKEY_get0_param(&key_alg, nullptr, nullptr, nullptr, X509_get_X509_PUBKEY(cert)) != 1) return false;
  const int key_nid = OBJ_obj2nid(key_alg);
  return sig_key_nid == key_nid || (key_nid == NID_rsaEncryption && sig_key_nid == NID_rsassaPss);
}

// Everything but the key and the self-signed flag.
CertInfo describe_certificate(X509* x, int index, const char* format) {
  CertInfo c;
  c.index = index;
  c.format = format;
  c.subject = name_text(X509_get_subject_name(x));
  c.issuer = name_text(X509_get_issuer_name(x));
  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr));
  if (serial) {
    OpensslCharPtr hex(BN_bn2hex(serial.get()));
    if (hex) c.serial = hex.get();
  }
  c.not_before = epoch_of(X509_get0_notBefore(x));
  c.not_after = epoch_of(X509_get0_notAfter(x));
  const int sig_nid = X509_get_signature_nid(x);
  if (sig_nid != NID_undef) {
    c.signature_algorithm = OBJ_nid2ln(sig_nid);
  } else {
    const X509_ALGOR* alg = nullptr;
    X509_get0_signature(nullptr, &alg, x);
    const ASN1_OBJECT* obj = nullptr;
    if (alg != nullptr) X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
    char oid[128] = {};
    if (obj != nullptr) OBJ_obj2txt(oid, sizeof oid, obj, 1);
    c.signature_algorithm = oid;
  }
  int md_nid = NID_undef;
  if (X509_get_signature_info(x, &md_nid, nullptr, nullptr, nullptr) == 1 && md_nid != NID_undef)
    c.signature_hash = lower(OBJ_nid2sn(md_nid));
  // X509_digest's bytes (the certificate re-encoded from what was parsed),
  // hashed in the default library context.
  unsigned char* encoded = nullptr;
  const int n = i2d_X509(x, &encoded);
  const OpensslBytePtr owned(encoded);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (n > 0 && EVP_Digest(encoded, static_cast<std::size_t>(n), md, &md_len, EVP_sha256(), nullptr) == 1)
    c.sha256 = hex_lower(md, md_len);
  c.is_ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
  return c;
}

void set_key(CertInfo& c, KeyFacts k) {
  c.key_type = std::move(k.type);
  c.key_bits = k.bits;
  c.curve = std::move(k.curve);
}

// The full OpenSSL decode, key included.
std::optional<CertInfo> describe_full(std::string_view der, bool trusted, int index, const char* format) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const auto len = static_cast<long>(der.size());
  X509Ptr x(trusted ? d2i_X509_AUX(nullptr, &p, len) : d2i_X509(nullptr, &p, len));
  if (!x) return std::nullopt;
  CertInfo c = describe_certificate(x.get(), index, format);
  set_key(c, key_facts_of(X509_get0_pubkey(x.get()), x.get()));
  // As OpenSSL recognises a trust anchor: subject and issuer names equal and
  // the key identifiers agree. The self-signature is not verified (neither
  // does OpenSSL for an anchor), which would cost more than the rest of the
  // description for a P-384 root.
  c.self_signed = X509_self_signed(x.get(), 0) == 1;
  return c;
}

// A library context with only the null provider: a certificate parsed in it
// keeps its key undecoded (the decoder finds nothing, at once).
OSSL_LIB_CTX* keyless_context() {
  static OSSL_LIB_CTX* const ctx = [] {
    OSSL_LIB_CTX* c = OSSL_LIB_CTX_new();
    if (c != nullptr && OSSL_PROVIDER_load(c, "null") == nullptr) {
      OSSL_LIB_CTX_free(c);
      c = nullptr;
    }
    return c;
  }();
  return ctx;
}

enum class Parsed { ok, not_a_certificate, needs_full };

Parsed describe_fast(std::string_view der, bool trusted, int index, const char* format, CertInfo& out) {
  OSSL_LIB_CTX* keyless = keyless_context();
  if (keyless == nullptr) return Parsed::needs_full;
  const auto* start = reinterpret_cast<const unsigned char*>(der.data());
  const auto* p = start;
  const auto len = static_cast<long>(der.size());
  X509Ptr x(reinterpret_cast<X509*>(ASN1_item_d2i_ex(nullptr, &p, len, ASN1_ITEM_rptr(X509), keyless, nullptr)));
  if (!x) return Parsed::not_a_certificate;
  // d2i_X509_AUX: the trust settings that follow must parse too.
  if (trusted && p < start + len) {
    std::unique_ptr<X509_CERT_AUX, decltype(&X509_CERT_AUX_free)> aux(
        d2i_X509_CERT_AUX(nullptr, &p, start + len - p), &X509_CERT_AUX_free);
    if (!aux) return Parsed::not_a_certificate;
  }
  auto key = key_facts_from_spki(x.get());
  if (!key) return Parsed::needs_full;
  out = describe_certificate(x.get(), index, format);
  set_key(out, std::move(*key));
  out.self_signed = self_signed_without_key(x.get());
  return Parsed::ok;
}

std::optional<CertInfo> describe(std::string_view der, bool trusted, int index, const char* format,
                                 CertDecode mode) {
  if (mode == CertDecode::fast) {
    CertInfo c;
    switch (describe_fast(der, trusted, index, format, c)) {
      case Parsed::ok:
        return c;
      case Parsed::not_a_certificate:
        return std::nullopt;
      case Parsed::needs_full:
        break;
    }
  }
  return describe_full(der, trusted, index, format);
}

// describe() through the memo: the key is the block's bytes with a tag for
// the trusted (X509_AUX) form, whose bytes mean something else.
std::optional<CertInfo> describe_der(std::string_view der, bool trusted, int index, const char* format,
                                     CertMemo* memo, CertDecode mode) {
  std::string key;
  if (memo != nullptr) {
    key.reserve(der.size() + 1);
    key.push_back(trusted ? 'T' : 'C');
    key.append(der);
    if (auto it = memo->find(key); it != memo->end()) {
      CertInfo c = it->second;
      c.index = index;
      c.format = format;
      return c;
    }
  }
  auto c = describe(der, trusted, index, format, mode);
  if (c && memo != nullptr) memo->emplace(std::move(key), *c);
  return c;
}

bool is_certificate_block(const char* name) {
  return std::strcmp(name, PEM_STRING_X509) == 0 || std::strcmp(name, PEM_STRING_X509_OLD) == 0 ||
         std::strcmp(name, PEM_STRING_X509_TRUSTED) == 0;
}

}  // namespace

bool certificate_file_name(std::string_view name) noexcept {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view ext = name.substr(dot);
  for (auto e : {".pem", ".crt", ".cer", ".der"}) {
    if (iequals(ext, e)) return true;
  }
  return false;
}

std::string iso8601_utc(std::int64_t epoch) {
  const auto t = static_cast<std::time_t>(epoch);
  struct tm tm {};
  if (::gmtime_r(&t, &tm) == nullptr) return {};
  char buf[32] = {};
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

CertFile parse_certificate_file(std::string_view data, CertMemo* memo, CertDecode mode) {
  const ErrorQueueGuard guard;
  CertFile out;
  if (data.empty() || data.size() > static_cast<std::size_t>(INT32_MAX)) return out;
  if (data.find("-----BEGIN ") != std::string_view::npos) {
    out.pem = true;
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    if (!bio) return out;
    int index = 0;
    while (true) {
      char* name_raw = nullptr;
      char* header_raw = nullptr;
      unsigned char* body_raw = nullptr;
      long len = 0;
      const int ok = PEM_read_bio(bio.get(), &name_raw, &header_raw, &body_raw, &len);
      const OpensslCharPtr name(name_raw), header(header_raw);
      const OpensslBytePtr body(body_raw);
      if (ok != 1) {
        // The normal end is "no start line"; anything else is a broken block.
        const unsigned long err = ERR_peek_last_error();
        if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) != PEM_R_NO_START_LINE) {
          ++out.bad_blocks;
          if (out.error.empty()) out.error = "a PEM block OpenSSL cannot decode (bad base64 or no END line)";
        }
        break;
      }
      if (!is_certificate_block(name.get())) continue;
      ++index;
      const bool trusted = std::strcmp(name.get(), PEM_STRING_X509_TRUSTED) == 0;
      auto c = describe_der(
          std::string_view(reinterpret_cast<const char*>(body.get()), static_cast<std::size_t>(len)), trusted,
          index, "pem", memo, mode);
      if (!c) {
        ++out.bad_blocks;
        if (out.error.empty()) out.error = "certificate " + std::to_string(index) + " is not valid DER";
        continue;
      }
      out.certs.push_back(std::move(*c));
    }
    return out;
  }
  if (auto c = describe_der(data, false, 1, "der", memo, mode)) {
    out.certs.push_back(std::move(*c));
  } else {
    out.error = "neither PEM nor a DER certificate";
  }
  return out;
}

}  // namespace vigil::collectors
