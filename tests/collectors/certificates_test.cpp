// Tests of certificate parsing and of the `certificates` table, with
// certificates made at test time with the OpenSSL API in throw-away hosts.
#include "certificates.hpp"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <sstream>
#include <map>
#include <string>
#include <vector>

#include "collector.hpp"
#include "openssl_handles.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::Errc;

namespace {

EvpPkeyPtr rsa_key(unsigned bits) {
  EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  REQUIRE(k);
  return k;
}
EvpPkeyPtr ec_key(const char* curve) {
  EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
  REQUIRE(k);
  return k;
}
EvpPkeyPtr ed25519_key() {
  EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  REQUIRE(k);
  return k;
}

struct CertSpec {
  std::string cn;
  long serial = 1;
  std::string not_before = "20240101000000Z";
  std::string not_after = "20990101000000Z";
  bool ca = false;
  const EVP_MD* md = nullptr;  // nullptr: SHA-256, or none for Ed25519/Ed448 signers
  std::string skid = {}, akid = {};  // key identifier extensions (hex), when set
};

// A certificate for key, signed by signer_key as issuer (itself when null).
X509Ptr make_cert(const CertSpec& s, EVP_PKEY* key, X509* issuer = nullptr, EVP_PKEY* signer_key = nullptr) {
  X509Ptr x(X509_new());
  REQUIRE(x);
  REQUIRE(X509_set_version(x.get(), 2) == 1);
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(x.get()), s.serial) == 1);
  REQUIRE(ASN1_TIME_set_string_X509(X509_getm_notBefore(x.get()), s.not_before.c_str()) == 1);
  REQUIRE(ASN1_TIME_set_string_X509(X509_getm_notAfter(x.get()), s.not_after.c_str()) == 1);
  REQUIRE(X509_set_pubkey(x.get(), key) == 1);
  X509_NAME* name = X509_get_subject_name(x.get());
  REQUIRE(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>("Vigil Tests"), -1, -1, 0) == 1);
  REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(s.cn.c_str()), -1, -1, 0) == 1);
  REQUIRE(X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name) == 1);
  X509ExtensionPtr bc(X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints,
                                          s.ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
  REQUIRE(bc);
  REQUIRE(X509_add_ext(x.get(), bc.get(), -1) == 1);
  if (!s.skid.empty()) {
    X509ExtensionPtr e(X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_key_identifier, s.skid.c_str()));
    REQUIRE(e);
    REQUIRE(X509_add_ext(x.get(), e.get(), -1) == 1);
  }
  if (!s.akid.empty()) {
    AUTHORITY_KEYID* akid = AUTHORITY_KEYID_new();
    REQUIRE(akid != nullptr);
    akid->keyid = s2i_ASN1_OCTET_STRING(nullptr, nullptr, s.akid.c_str());
    REQUIRE(akid->keyid != nullptr);
    REQUIRE(X509_add1_ext_i2d(x.get(), NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT) == 1);
    AUTHORITY_KEYID_free(akid);
  }
  EVP_PKEY* signer = signer_key ? signer_key : key;
  const int signer_type = EVP_PKEY_get_base_id(signer);
  const EVP_MD* md = signer_type == EVP_PKEY_ED25519 || signer_type == EVP_PKEY_ED448 ? nullptr
                     : s.md                                                      ? s.md
                                                                                 : EVP_sha256();
  REQUIRE(X509_sign(x.get(), signer, md) > 0);
  return x;
}

std::string pem(X509* x) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_X509(bio.get(), x) == 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string der(X509* x) {
  unsigned char* out = nullptr;
  const int n = i2d_X509(x, &out);
  REQUIRE(n > 0);
  const OpensslBytePtr owned(out);
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

std::string key_pem(EVP_PKEY* k) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// Every kind of file the table meets, made once for the whole test run.
struct Material {
  EvpPkeyPtr root_key = ec_key("P-384");
  EvpPkeyPtr inter_key = ec_key("P-256");
  EvpPkeyPtr leaf_key = ed25519_key();
  EvpPkeyPtr weak_key = rsa_key(1024);
  X509Ptr root = make_cert({"Test Root CA", 1, "20240101000000Z", "20990101000000Z", true}, root_key.get());
  X509Ptr inter = make_cert({"Test Intermediate", 2, "20240101000000Z", "20990101000000Z", true},
                            inter_key.get(), root.get(), root_key.get());
  X509Ptr leaf = make_cert({"leaf.example.org", 3}, leaf_key.get(), inter.get(), inter_key.get());
  X509Ptr expired =
      make_cert({"expired.example.org", 0x1234, "20010101000000Z", "20011231235959Z"}, inter_key.get());
  X509Ptr weak = make_cert({"weak.example.org", 5, "20240101000000Z", "20990101000000Z", false, EVP_sha1()},
                           weak_key.get());
};

const Material& material() {
  static const Material m;
  return m;
}

}  // namespace

TEST_CASE("parse_certificate_file: PEM bundles, DER, keys and garbage", "[certificates]") {
  const auto& m = material();
  const auto bundle = parse_certificate_file("# chain\n" + pem(m.leaf.get()) + "junk between\n" +
                                             pem(m.inter.get()) + pem(m.root.get()));
  REQUIRE(bundle.certs.size() == 3);
  CHECK(bundle.error.empty());
  CHECK(bundle.certs[0].index == 1);
  CHECK(bundle.certs[2].index == 3);
  const CertInfo& leaf = bundle.certs[0];
  CHECK(leaf.format == "pem");
  CHECK(leaf.subject == "CN=leaf.example.org,O=Vigil Tests");
  CHECK(leaf.issuer == "CN=Test Intermediate,O=Vigil Tests");
  CHECK(leaf.key_type == "ed25519");
  CHECK(leaf.key_bits == 256);
  CHECK_FALSE(leaf.curve.has_value());
  CHECK(leaf.signature_algorithm == "ecdsa-with-SHA256");  // signed by the P-256 intermediate
  CHECK(leaf.signature_hash == "sha256");
  CHECK_FALSE(leaf.self_signed);
  CHECK_FALSE(leaf.is_ca);
  CHECK(leaf.serial == "03");
  CHECK(leaf.sha256.size() == 64);
  const CertInfo& inter = bundle.certs[1];
  CHECK(inter.key_type == "ec");
  CHECK(inter.curve == "prime256v1");
  CHECK(inter.key_bits == 256);
  CHECK(inter.is_ca);
  CHECK_FALSE(inter.self_signed);
  const CertInfo& root = bundle.certs[2];
  CHECK(root.curve == "secp384r1");
  CHECK(root.signature_algorithm == "ecdsa-with-SHA256");
  CHECK(root.self_signed);
  CHECK(root.is_ca);

  const auto weak = parse_certificate_file(pem(m.weak.get()));
  REQUIRE(weak.certs.size() == 1);
  CHECK(weak.certs[0].key_type == "rsa");
  CHECK(weak.certs[0].key_bits == 1024);
  CHECK(weak.certs[0].signature_algorithm == "sha1WithRSAEncryption");
  CHECK(weak.certs[0].signature_hash == "sha1");
  CHECK(weak.certs[0].self_signed);

  const auto ed = parse_certificate_file(pem(make_cert({"ed.example.org"}, m.leaf_key.get()).get()));
  REQUIRE(ed.certs.size() == 1);
  CHECK(ed.certs[0].signature_algorithm == "ED25519");
  CHECK_FALSE(ed.certs[0].signature_hash.has_value());

  const auto expired = parse_certificate_file(pem(m.expired.get()));
  REQUIRE(expired.certs.size() == 1);
  CHECK(expired.certs[0].not_before == 978307200);  // 2001-01-01T00:00:00Z
  CHECK(expired.certs[0].not_after == 1009843199);  // 2001-12-31T23:59:59Z
  CHECK(expired.certs[0].serial == "1234");

  const auto d = parse_certificate_file(der(m.root.get()));
  REQUIRE(d.certs.size() == 1);
  CHECK(d.certs[0].format == "der");
  CHECK(d.certs[0].sha256 == root.sha256);

  const auto key = parse_certificate_file(key_pem(m.leaf_key.get()));
  CHECK(key.pem);
  CHECK(key.certs.empty());
  CHECK(key.error.empty());  // a key is no broken certificate

  const auto garbage = parse_certificate_file("\x01\x02 not a certificate \xff");
  CHECK(garbage.certs.empty());
  CHECK_FALSE(garbage.error.empty());
  const auto bad_pem =
      parse_certificate_file("-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n");
  CHECK(bad_pem.certs.empty());
  CHECK(bad_pem.bad_blocks == 1);
  // A broken block after a good one: the good one stays.
  const auto truncated = parse_certificate_file(pem(m.root.get()) + "-----BEGIN CERTIFICATE-----\nMIIB\n");
  CHECK(truncated.certs.size() == 1);
  CHECK(truncated.bad_blocks == 1);
  CHECK(parse_certificate_file("").certs.empty());
}

TEST_CASE("certificate_file_name and iso8601_utc", "[certificates]") {
  for (const char* n : {"a.pem", "A.CRT", "x.cer", "y.der"}) CHECK(certificate_file_name(n));
  for (const char* n : {"a.key", "pem", "a.pem.bak", "README"}) CHECK_FALSE(certificate_file_name(n));
  CHECK(iso8601_utc(0) == "1970-01-01T00:00:00Z");
  CHECK(iso8601_utc(978307200) == "2001-01-01T00:00:00Z");
}

namespace {

std::map<std::string, int> rows_per_file(const vigil::test::CollectedTable& t) {
  std::map<std::string, int> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) ++out[t.text(r, "file")];
  return out;
}

}  // namespace

TEST_CASE("certificates table over a host with every kind of file", "[certificates]") {
  const auto& m = material();
  vigil::test::TempDir dir;
  dir.write("etc/ssl/local/bundle.pem", pem(m.leaf.get()) + pem(m.inter.get()) + pem(m.root.get()));
  dir.write("etc/ssl/local/expired.crt", pem(m.expired.get()));
  dir.write("etc/ssl/local/weak.crt", pem(m.weak.get()));
  dir.write("etc/ssl/local/root.der", der(m.root.get()));
  dir.write("etc/ssl/local/garbage.pem", "this is not a certificate\n");
  dir.write("etc/ssl/local/notes.txt", "neither is this, but its name does not say certificate\n");
  dir.write("etc/ssl/local/server.pem", key_pem(m.leaf_key.get()), 0600);
  dir.write("etc/ssl/local/huge.pem", std::string(kCertMaxFileBytes + 1, 'A'));
  dir.write("etc/ssl/local/sub/deeper/inter.cer", pem(m.inter.get()));
  dir.symlink("etc/ssl/local/inter-link.pem", "sub/deeper/inter.cer");
  dir.symlink("etc/ssl/local/abs-link.pem", "/etc/ssl/local/expired.crt");  // resolved inside the host
  dir.symlink("etc/ssl/local/subdir-link", "sub");
  dir.symlink("etc/ssl/local/dangling.pem", "/nonexistent.pem");
  REQUIRE(::mkfifo((dir.path() + "/etc/ssl/local/pipe.pem").c_str(), 0644) == 0);
  dir.write("srv/tls/site.crt", pem(m.leaf.get()));

  const std::string arg = R"(["/etc/ssl/local", "/srv/tls/site.crt", "/etc/nginx/ssl"])";
  const auto t = vigil::test::collect_ok(dir.path(), "certificates", {text_value(arg)});
  CHECK(rows_per_file(t) == std::map<std::string, int>{{"/etc/ssl/local/abs-link.pem", 1},
                                                       {"/etc/ssl/local/bundle.pem", 3},
                                                       {"/etc/ssl/local/expired.crt", 1},
                                                       {"/etc/ssl/local/inter-link.pem", 1},
                                                       {"/etc/ssl/local/root.der", 1},
                                                       {"/etc/ssl/local/sub/deeper/inter.cer", 1},
                                                       {"/etc/ssl/local/weak.crt", 1},
                                                       {"/srv/tls/site.crt", 1}});
  CHECK(t.warned("/etc/ssl/local/garbage.pem", "neither PEM nor"));
  CHECK(t.warned("/etc/ssl/local/huge.pem", "not read"));
  CHECK(t.warned("/etc/ssl/local/pipe.pem", "fifo"));
  CHECK(t.warned("/etc/ssl/local/dangling.pem", "not read"));
  CHECK(t.warned("/etc/ssl/local/subdir-link", "not followed"));
  CHECK(t.warned("/etc/nginx/ssl", "absent"));
  CHECK_FALSE(t.warned("/etc/ssl/local/notes.txt", ""));
  CHECK_FALSE(t.warned("/etc/ssl/local/server.pem", ""));

  for (std::size_t r = 0; r < t.rows.size(); ++r) CHECK(t.text(r, "paths") == arg);
  const auto expired = t.rows_where("file", "/etc/ssl/local/expired.crt");
  REQUIRE(expired.size() == 1);
  CHECK(t.integer(expired[0], "expired") == 1);
  CHECK(t.text(expired[0], "not_before_iso") == "2001-01-01T00:00:00Z");
  CHECK(t.text(expired[0], "not_after_iso") == "2001-12-31T23:59:59Z");
  CHECK(t.integer(expired[0], "not_after") == 1009843199);
  CHECK(t.text(expired[0], "subject") == "CN=expired.example.org,O=Vigil Tests");
  const auto bundle = t.rows_where("file", "/etc/ssl/local/bundle.pem");
  REQUIRE(bundle.size() == 3);
  CHECK(t.integer(bundle[0], "cert_index") == 1);
  CHECK(t.integer(bundle[2], "cert_index") == 3);
  CHECK(t.integer(bundle[2], "self_signed") == 1);
  CHECK(t.integer(bundle[2], "is_ca") == 1);
  CHECK(t.text(bundle[2], "curve") == "secp384r1");
  CHECK(t.is_null(bundle[0], "curve"));
  CHECK(t.text(bundle[0], "key_type") == "ed25519");
  const auto weak = t.rows_where("file", "/etc/ssl/local/weak.crt");
  REQUIRE(weak.size() == 1);
  CHECK(t.integer(weak[0], "key_bits") == 1024);
  CHECK(t.text(weak[0], "signature_hash") == "sha1");
  const auto d = t.rows_where("file", "/etc/ssl/local/root.der");
  REQUIRE(d.size() == 1);
  CHECK(t.text(d[0], "format") == "der");
  CHECK(t.text(d[0], "sha256_fingerprint") == t.text(bundle[2], "sha256_fingerprint"));
}

TEST_CASE("certificates table: bad arguments and caps", "[certificates]") {
  vigil::test::TempDir dir;
  dir.mkdir("etc");
  for (const char* bad : {"/etc", "[]", "[\"etc\"]", "not json"}) {
    INFO(bad);
    const auto t = vigil::test::collect_table(dir.path(), "certificates", {text_value(bad)});
    CHECK_FALSE(t.status.ok());
  }
  const auto null_arg = vigil::test::collect_table(dir.path(), "certificates", {null_value()});
  CHECK_FALSE(null_arg.status.ok());

  // The caps, made small (the real ones are 16 levels and 10 000 entries).
  dir.write("d/d/d/d/x.pem", "x");
  for (int i = 0; i < 6; ++i) dir.write("many/" + std::to_string(i) + ".pem", "x");
  const auto capped = [&dir](std::string_view paths, CertWalkOptions opts) {
    auto host = vigil::collectors::Host::open(dir.path());
    REQUIRE(host.ok());
    std::vector<Warning> warnings;
    CollectContext ctx(*host, {text_value(paths)}, warnings, "certificates");
    std::vector<Row> rows;
    return collect_certificates(ctx, rows, opts);
  };
  CHECK(capped("[\"/d\"]", CertWalkOptions{100, 3}).ok());
  const auto too_deep = capped("[\"/d\"]", CertWalkOptions{100, 2});
  REQUIRE_FALSE(too_deep.ok());
  CHECK(too_deep.error().code == Errc::too_large);
  CHECK(capped("[\"/many\"]", CertWalkOptions{6, 16}).ok());
  const auto many = capped("[\"/many\"]", CertWalkOptions{5, 16});
  REQUIRE_FALSE(many.ok());
  CHECK(many.error().message.find("more than 5 entries") != std::string::npos);
}

TEST_CASE("parse_certificate_file: a memo gives the same rows for a certificate seen again",
          "[certificates]") {
  const auto& m = material();
  vigil::collectors::CertMemo memo;
  const std::string bundle = pem(m.root.get()) + pem(m.leaf.get());
  const auto first = parse_certificate_file(bundle, &memo);
  CHECK(memo.size() == 2);
  // The same leaf alone in a file of its own (a hash link to it, say), and as DER.
  const auto again = parse_certificate_file(pem(m.leaf.get()), &memo);
  const auto as_der = parse_certificate_file(der(m.leaf.get()), &memo);
  CHECK(memo.size() == 2);  // a PEM block and a DER file of one certificate share its encoding
  REQUIRE(first.certs.size() == 2);
  REQUIRE(again.certs.size() == 1);
  REQUIRE(as_der.certs.size() == 1);
  const auto fresh = parse_certificate_file(pem(m.leaf.get()));
  for (const auto* c : {&again.certs[0], &as_der.certs[0]}) {
    CHECK(c->index == 1);
    CHECK(c->subject == fresh.certs[0].subject);
    CHECK(c->sha256 == fresh.certs[0].sha256);
    CHECK(c->self_signed == fresh.certs[0].self_signed);
    CHECK(c->not_after == fresh.certs[0].not_after);
  }
  CHECK(first.certs[1].index == 2);
  CHECK(again.certs[0].format == "pem");
  CHECK(as_der.certs[0].format == "der");
}

namespace {

EvpPkeyPtr keygen(const char* type) {
  EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, type));
  REQUIRE(k);
  return k;
}

EvpPkeyPtr rsa_pss_key(unsigned bits) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA-PSS", nullptr));
  REQUIRE(ctx);
  REQUIRE(EVP_PKEY_keygen_init(ctx.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits)) == 1);
  EVP_PKEY* raw = nullptr;
  REQUIRE(EVP_PKEY_generate(ctx.get(), &raw) == 1);
  return EvpPkeyPtr(raw);
}

std::string trusted_pem(X509* x) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(X509_add1_trust_object(x, OBJ_nid2obj(NID_server_auth)) == 1);
  REQUIRE(PEM_write_bio_X509_AUX(bio.get(), x) == 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void check_same(const CertInfo& fast, const CertInfo& full) {
  CAPTURE(full.subject, full.key_type);
  CHECK(fast.index == full.index);
  CHECK(fast.format == full.format);
  CHECK(fast.subject == full.subject);
  CHECK(fast.issuer == full.issuer);
  CHECK(fast.serial == full.serial);
  CHECK(fast.not_before == full.not_before);
  CHECK(fast.not_after == full.not_after);
  CHECK(fast.key_type == full.key_type);
  CHECK(fast.key_bits == full.key_bits);
  CHECK(fast.curve == full.curve);
  CHECK(fast.signature_algorithm == full.signature_algorithm);
  CHECK(fast.signature_hash == full.signature_hash);
  CHECK(fast.sha256 == full.sha256);
  CHECK(fast.self_signed == full.self_signed);
  CHECK(fast.is_ca == full.is_ca);
}

// Both decodes of one file: the same certificates, errors and facts.
void check_modes_agree(const std::string& data) {
  const CertFile fast = parse_certificate_file(data, nullptr, CertDecode::fast);
  const CertFile full = parse_certificate_file(data, nullptr, CertDecode::full);
  CHECK(fast.error == full.error);
  CHECK(fast.bad_blocks == full.bad_blocks);
  REQUIRE(fast.certs.size() == full.certs.size());
  for (std::size_t i = 0; i < fast.certs.size(); ++i) check_same(fast.certs[i], full.certs[i]);
}

}  // namespace

TEST_CASE("parse_certificate_file: the key read from the SubjectPublicKeyInfo gives what OpenSSL's decoder gives",
          "[certificates]") {
  const auto& m = material();
  const auto rsa2048 = rsa_key(2048);
  const auto rsa4096 = rsa_key(4096);
  const auto p521 = ec_key("P-521");
  const auto brainpool = ec_key("brainpoolP256r1");
  const auto ed448 = keygen("ED448");
  const auto x25519 = keygen("X25519");
  const auto x448 = keygen("X448");
  const auto pss = rsa_pss_key(2048);
  std::vector<X509Ptr> certs;
  certs.push_back(make_cert({"rsa-2048", 10, "20240101000000Z", "20990101000000Z", true}, rsa2048.get()));
  certs.push_back(make_cert({"rsa-4096 sha384", 11, "20240101000000Z", "20990101000000Z", true, EVP_sha384()},
                            rsa4096.get()));
  certs.push_back(make_cert({"p-521", 12, "20240101000000Z", "20990101000000Z", true, EVP_sha512()}, p521.get()));
  certs.push_back(make_cert({"brainpool", 13}, brainpool.get()));
  certs.push_back(make_cert({"ed448", 14, "20240101000000Z", "20990101000000Z", true}, ed448.get()));
  // Keys that cannot sign, signed by the root: X25519/X448 (named like their issuer: not self-issued).
  certs.push_back(make_cert({"x25519", 15}, x25519.get(), m.root.get(), m.root_key.get()));
  certs.push_back(make_cert({"x448", 16}, x448.get(), m.root.get(), m.root_key.get()));
  // RSA-PSS keys take OpenSSL's decoder.
  certs.push_back(make_cert({"rsa-pss", 17, "20240101000000Z", "20990101000000Z", true}, pss.get()));
  // An RSA key whose own name is its issuer but an EC key signed it: self-issued, not self-signed.
  certs.push_back(make_cert({"names only", 18}, rsa2048.get(), nullptr, m.root_key.get()));
  // Self-issued, self-signed, and key identifiers that agree or do not.
  certs.push_back(make_cert({"ids agree", 19, "20240101000000Z", "20990101000000Z", true, nullptr, "0102", "0102"},
                            m.inter_key.get()));
  certs.push_back(make_cert({"ids differ", 20, "20240101000000Z", "20990101000000Z", true, nullptr, "0102", "0304"},
                            m.inter_key.get()));
  // Signed with an RSA key under RSA-PSS padding: the key is RSA, the signature rsassaPss.
  {
    X509Ptr x = make_cert({"pss-signed", 21}, rsa4096.get());
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_PKEY_CTX* pctx = nullptr;
    REQUIRE(EVP_DigestSignInit(md.get(), &pctx, EVP_sha256(), nullptr, rsa4096.get()) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
    REQUIRE(X509_sign_ctx(x.get(), md.get()) > 0);
    certs.push_back(std::move(x));
  }
  for (const X509* x : {m.root.get(), m.inter.get(), m.leaf.get(), m.expired.get(), m.weak.get()})
    certs.push_back(X509Ptr(X509_dup(const_cast<X509*>(x))));

  std::string bundle;
  for (const auto& c : certs) {
    check_modes_agree(pem(c.get()));
    check_modes_agree(der(c.get()));
    bundle += pem(c.get());
  }
  check_modes_agree(bundle);
  check_modes_agree(trusted_pem(certs[0].get()));
  check_modes_agree(bundle + "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");

  const CertFile fast = parse_certificate_file(bundle);
  REQUIRE(fast.certs.size() == certs.size());
  CHECK(fast.certs[0].key_type == "rsa");
  CHECK(fast.certs[0].key_bits == 2048);
  CHECK(fast.certs[2].curve == std::optional<std::string>("secp521r1"));
  CHECK(fast.certs[3].curve == std::optional<std::string>("brainpoolP256r1"));
  CHECK(fast.certs[4].key_type == "ed448");
  CHECK(fast.certs[5].key_type == "x25519");
  CHECK(fast.certs[7].key_type == "rsa-pss");
  CHECK(fast.certs[0].self_signed);
  CHECK_FALSE(fast.certs[8].self_signed);
  CHECK(fast.certs[9].self_signed);
  CHECK_FALSE(fast.certs[10].self_signed);
  CHECK(fast.certs[11].self_signed);
  CHECK(fast.certs[11].signature_algorithm == "rsassaPss");
}

TEST_CASE("parse_certificate_file: an EC point off its curve is left to OpenSSL's decoder, as it would be",
          "[certificates]") {
  const auto& m = material();
  std::string d = der(m.inter.get());
  // The P-256 public key is the last 65 bytes of the SubjectPublicKeyInfo;
  // find it and flip a bit of its y coordinate.
  unsigned char* point = nullptr;
  const int n = i2d_PublicKey(m.inter_key.get(), &point);
  REQUIRE(n == 65);
  const OpensslBytePtr owned(point);
  const auto at = d.find(std::string(reinterpret_cast<const char*>(point), 65));
  REQUIRE(at != std::string::npos);
  d[at + 64] = static_cast<char>(d[at + 64] ^ 1);
  const CertFile fast = parse_certificate_file(d, nullptr, CertDecode::fast);
  const CertFile full = parse_certificate_file(d, nullptr, CertDecode::full);
  REQUIRE(fast.certs.size() == 1);
  REQUIRE(full.certs.size() == 1);
  check_same(fast.certs[0], full.certs[0]);
  CHECK(full.certs[0].key_type == "id-ecpublickey");  // OpenSSL did not load the key
  CHECK_FALSE(full.certs[0].key_bits);
}

TEST_CASE("parse_certificate_file: both decodes agree on this machine's CA store, where there is one",
          "[certificates]") {
  // Not a verdict: only that the two ways of reading a key agree on many
  // real certificates. A machine without the bundle has nothing to compare.
  const std::string path = "/etc/ssl/certs/ca-certificates.crt";
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  std::ostringstream data;
  data << in.rdbuf();
  check_modes_agree(data.str());
}
