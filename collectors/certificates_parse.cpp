// Certificates from the bytes of one file with OpenSSL 3.0: PEM blocks
// (CERTIFICATE, X509 CERTIFICATE, TRUSTED CERTIFICATE) or one DER
// certificate, and the facts the certificates table reports about each.
#include <openssl/err.h>
#include <openssl/pem.h>

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

std::string key_type_of(const EVP_PKEY* key, X509* cert) {
  if (key == nullptr) {
    // A key OpenSSL cannot load (GOST without its provider...): the algorithm's OID name.
    X509_PUBKEY* pub = X509_get_X509_PUBKEY(cert);
    ASN1_OBJECT* alg = nullptr;
    if (pub == nullptr || X509_PUBKEY_get0_param(&alg, nullptr, nullptr, nullptr, pub) != 1 || alg == nullptr)
      return "unknown";
    return lower(OBJ_nid2sn(OBJ_obj2nid(alg)));
  }
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return "rsa";
    case EVP_PKEY_RSA_PSS:
      return "rsa-pss";
    case EVP_PKEY_EC:
      return "ec";
    case EVP_PKEY_ED25519:
      return "ed25519";
    case EVP_PKEY_ED448:
      return "ed448";
    case EVP_PKEY_DSA:
      return "dsa";
    case EVP_PKEY_DH:
    case EVP_PKEY_DHX:
      return "dh";
    case EVP_PKEY_X25519:
      return "x25519";
    case EVP_PKEY_X448:
      return "x448";
    default:
      break;
  }
  const char* name = EVP_PKEY_get0_type_name(key);
  return name != nullptr ? lower(name) : "unknown";
}

CertInfo describe(X509* x, int index, const char* format) {
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
  EVP_PKEY* key = X509_get0_pubkey(x);  // owned by x
  c.key_type = key_type_of(key, x);
  if (key != nullptr) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits > 0) c.key_bits = bits;
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
      char group[80] = {};
      std::size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len) == 1) c.curve = group;
    }
  }
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
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(x, EVP_sha256(), md, &md_len) == 1) c.sha256 = hex_lower(md, md_len);
  // As OpenSSL recognises a trust anchor: subject and issuer names equal and
  // the key identifiers agree. The self-signature is not verified (neither
  // does OpenSSL for an anchor), which would cost more than the rest of the
  // description for a P-384 root.
  c.self_signed = X509_self_signed(x, 0) == 1;
  c.is_ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
  return c;
}

// describe() through the memo: the key is the block's bytes with a tag for
// the trusted (X509_AUX) form, whose bytes mean something else.
std::optional<CertInfo> describe_der(std::string_view der, bool trusted, int index, const char* format,
                                     CertMemo* memo) {
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
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const auto len = static_cast<long>(der.size());
  X509Ptr x(trusted ? d2i_X509_AUX(nullptr, &p, len) : d2i_X509(nullptr, &p, len));
  if (!x) return std::nullopt;
  CertInfo c = describe(x.get(), index, format);
  if (memo != nullptr) memo->emplace(std::move(key), c);
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

CertFile parse_certificate_file(std::string_view data, CertMemo* memo) {
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
          index, "pem", memo);
      if (!c) {
        ++out.bad_blocks;
        if (out.error.empty()) out.error = "certificate " + std::to_string(index) + " is not valid DER";
        continue;
      }
      out.certs.push_back(std::move(*c));
    }
    return out;
  }
  if (auto c = describe_der(data, false, 1, "der", memo)) {
    out.certs.push_back(std::move(*c));
  } else {
    out.error = "neither PEM nor a DER certificate";
  }
  return out;
}

}  // namespace vigil::collectors
