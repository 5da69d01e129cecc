// lib/crypto: SHA-256, strict base64 (RFC 4648 vectors), Ed25519 keys, key files.
#include "crypto.hpp"

#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "file_io.hpp"
#include "test_support.hpp"

using namespace vigil;
using namespace vigil::crypto;

namespace {

unsigned file_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode & 07777);
}

}  // namespace

TEST_CASE("sha256 of the FIPS 180 examples", "[crypto]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const auto raw = sha256("abc");
  CHECK(raw[0] == 0xba);
  CHECK(raw[31] == 0xad);
  CHECK(to_hex(std::string("\x00\xff\x10", 3)) == "00ff10");
}

TEST_CASE("base64 encodes and decodes the RFC 4648 test vectors", "[crypto]") {
  const std::vector<std::pair<std::string, std::string>> vectors{{"", ""},
                                                                 {"f", "Zg=="},
                                                                 {"fo", "Zm8="},
                                                                 {"foo", "Zm9v"},
                                                                 {"foob", "Zm9vYg=="},
                                                                 {"fooba", "Zm9vYmE="},
                                                                 {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    CHECK(base64_encode(plain) == encoded);
    auto d = base64_decode(encoded);
    REQUIRE(d.ok());
    CHECK(*d == plain);
  }
  // The URL alphabet (section 5), unpadded as JWT/DSSE writers often do.
  const std::string bytes("\xfb\xff\xbf", 3);
  CHECK(base64_encode(bytes) == "+/+/");
  CHECK(base64_encode(bytes, Base64Alphabet::url) == "-_-_");
  CHECK(base64_encode("f", Base64Alphabet::url) == "Zg");
  CHECK(base64_decode("Zg", Base64Alphabet::url).value() == "f");
  CHECK(base64_decode("Zg==", Base64Alphabet::url).value() == "f");
  CHECK(base64_decode("-_-_", Base64Alphabet::url).value() == bytes);
}

TEST_CASE("base64 decoding is strict", "[crypto]") {
  struct Case {
    const char* text;
    Base64Alphabet alphabet;
    const char* why;
  };
  const std::vector<Case> cases{
      {"Zg", Base64Alphabet::standard, "not a multiple of 4"},
      {"Zg=", Base64Alphabet::standard, "not a multiple of 4"},
      {"Z===", Base64Alphabet::standard, "more than two"},
      {"Zm9v\n", Base64Alphabet::standard, "invalid character byte 0x0a"},
      {"Zm 9v", Base64Alphabet::url, "invalid character byte 0x20"},
      {"Zm9\n", Base64Alphabet::standard, "invalid character byte 0x0a"},
      {"Zh==", Base64Alphabet::standard, "non-zero bits"},
      {"Zg==Zg==", Base64Alphabet::standard, "padding '=' before the end"},
      {"Zm9-", Base64Alphabet::standard, "invalid character '-'"},
      {"Zm9+", Base64Alphabet::url, "invalid character '+'"},
      {"Z", Base64Alphabet::url, "truncated"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto d = base64_decode(c.text, c.alphabet);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().code == Errc::parse);
    CHECK_THAT(d.error().message, Catch::Contains(c.why));
  }
}

// Strict decoding is the inverse of canonical encoding: a text decodes if and
// only if encoding what it decodes to gives the text back (for base64url,
// with or without the padding). Random texts over the alphabets, '=' and a
// few strangers exercise the fast pass and its fallback alike.
TEST_CASE("base64 decodes exactly the canonical encodings", "[crypto]") {
  std::mt19937 rng(20261204);
  const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=\n ";
  for (int n = 0; n < 300; ++n) {
    std::string bytes(static_cast<std::size_t>(n), '\0');
    for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
    INFO("length " << n);
    CHECK(base64_decode(base64_encode(bytes)).value() == bytes);
    const std::string url = base64_encode(bytes, Base64Alphabet::url);
    CHECK(base64_decode(url, Base64Alphabet::url).value() == bytes);
    const std::string padded = url + std::string((4 - url.size() % 4) % 4, '=');
    CHECK(base64_decode(padded, Base64Alphabet::url).value() == bytes);
  }
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 12, '\0');
    // Mostly alphabet characters, so that some of the texts are valid.
    for (auto& c : text) c = chars[rng() % 8 == 0 ? rng() % chars.size() : rng() % 62];
    INFO(text);
    // What decodes is canonical; that every canonical text decodes is the
    // round trip above.
    auto std_d = base64_decode(text, Base64Alphabet::standard);
    if (std_d.ok()) {
      ++decoded;
      CHECK(base64_encode(*std_d) == text);
    } else {
      CHECK(std_d.error().code == Errc::parse);
    }
    auto url_d = base64_decode(text, Base64Alphabet::url);
    if (url_d.ok()) {
      const std::string enc = base64_encode(*url_d, Base64Alphabet::url);
      CHECK((text == enc || text == enc + std::string((4 - enc.size() % 4) % 4, '=')));
    } else {
      CHECK(url_d.error().code == Errc::parse);
    }
  }
  CHECK(decoded > 100);
}

TEST_CASE("constant_time_equal compares length and content", "[crypto]") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK(constant_time_equal("", ""));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
}

TEST_CASE("Ed25519 keys sign, verify and are identified by the SHA-256 of their SPKI DER", "[crypto]") {
  auto key = HostKey::generate();
  REQUIRE(key.ok());
  const auto& pub = key->public_key();
  CHECK(pub.spki_der().size() == 44);  // 12 bytes of algorithm identifier + 32 of key
  CHECK(key->key_id() == sha256_hex(pub.spki_der()));
  CHECK(key->key_id().size() == 64);
  auto sig = key->sign("message");
  REQUIRE(sig.ok());
  CHECK(sig->size() == 64);
  CHECK(pub.verify("message", *sig));
  CHECK_FALSE(pub.verify("messagE", *sig));
  std::string bad = *sig;
  bad[10] = static_cast<char>(bad[10] ^ 1);
  CHECK_FALSE(pub.verify("message", bad));
  CHECK_FALSE(pub.verify("message", sig->substr(0, 63)));

  // PEM round trips keep the key id.
  auto pub2 = PublicKey::from_pem(pub.pem(), "pem");
  REQUIRE(pub2.ok());
  CHECK(pub2->key_id() == key->key_id());
  CHECK_THAT(pub.pem(), Catch::StartsWith("-----BEGIN PUBLIC KEY-----"));
  auto der2 = PublicKey::from_spki_der(pub.spki_der(), "der");
  REQUIRE(der2.ok());
  CHECK(der2->key_id() == key->key_id());
  auto priv_pem = key->private_pem();
  REQUIRE(priv_pem.ok());
  CHECK_THAT(*priv_pem, Catch::StartsWith("-----BEGIN PRIVATE KEY-----"));
  auto key2 = HostKey::from_pem(*priv_pem, "priv");
  REQUIRE(key2.ok());
  CHECK(key2->key_id() == key->key_id());
  // Ed25519 is deterministic: the same key signs the same message alike.
  CHECK(key2->sign("message").value() == *sig);
  // A second key is another key.
  auto other = HostKey::generate();
  REQUIRE(other.ok());
  CHECK(other->key_id() != key->key_id());
  CHECK_FALSE(other->public_key().verify("message", *sig));
}

TEST_CASE("keys of other types, encrypted keys and junk are refused", "[crypto]") {
  EvpPkeyPtr ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(ec);
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PUBKEY(bio.get(), ec.get()) == 1);
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &p);
  auto r = PublicKey::from_pem(std::string(p, static_cast<std::size_t>(n)), "ec.pem");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("ec.pem: not an Ed25519 key"));

  auto key = HostKey::generate();
  REQUIRE(key.ok());
  auto priv = key->private_pem();
  REQUIRE(priv.ok());
  auto k2 = HostKey::from_pem(*priv, "x");
  REQUIRE(k2.ok());
  // An encrypted PKCS#8 key is refused without asking for a passphrase.
  EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  BioPtr enc(BIO_new(BIO_s_mem()));
  char pass[] = "secret";
  REQUIRE(PEM_write_bio_PKCS8PrivateKey(enc.get(), ed.get(), EVP_aes_256_cbc(), pass, 6, nullptr, nullptr) ==
          1);
  const long en = BIO_get_mem_data(enc.get(), &p);
  auto e = HostKey::from_pem(std::string(p, static_cast<std::size_t>(en)), "enc.pem");
  REQUIRE_FALSE(e.ok());
  CHECK_THAT(e.error().message, Catch::Contains("enc.pem: not an unencrypted PEM private key"));

  CHECK_FALSE(PublicKey::from_pem("garbage", "g").ok());
  // A PEM block of another kind, or with headers, is not a public key.
  auto wrong = PublicKey::from_pem(*priv, "priv.pem");
  REQUIRE_FALSE(wrong.ok());
  CHECK_THAT(wrong.error().message,
             Catch::Contains("priv.pem: not a PEM public key: a \"PRIVATE KEY\" block"));
  std::string headed = key->public_key().pem();
  headed.insert(headed.find('\n') + 1, "Proc-Type: 4,ENCRYPTED\n\n");
  auto with_headers = PublicKey::from_pem(headed, "h");
  REQUIRE_FALSE(with_headers.ok());
  CHECK_THAT(with_headers.error().message, Catch::Contains("h: not a PEM public key: the block has headers"));
  // The fixed Ed25519 SubjectPublicKeyInfo, read without OpenSSL's
  // decoders, is the same key: same id, same encoding, same verdicts.
  const std::string spki = key->public_key().spki_der();
  REQUIRE(spki.size() == 44);
  auto direct = PublicKey::from_spki_der(spki, "spki");
  REQUIRE(direct.ok());
  CHECK(direct->key_id() == key->key_id());
  CHECK(direct->spki_der() == spki);
  CHECK(direct->pem() == key->public_key().pem());  // OpenSSL encodes the key it holds alike
  const std::string sig = key->sign("m").value();
  CHECK(direct->verify("m", sig));
  CHECK_FALSE(direct->verify("n", sig));
  // A 44-byte DER whose header is not Ed25519's goes to OpenSSL, which refuses it.
  std::string other = spki;
  other[8] = '\x71';  // OID 1.3.101.113: Ed448, whose keys are 57 bytes
  CHECK_FALSE(PublicKey::from_spki_der(other, "o").ok());
  CHECK_FALSE(HostKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "g").ok());
  CHECK(PublicKey::from_pem(std::string(kMaxKeyFileBytes + 1, 'A'), "big").is(Errc::too_large));
  std::string der = key->public_key().spki_der() + "x";
  CHECK_THAT(PublicKey::from_spki_der(der, "d").error().message, Catch::Contains("bytes after"));
}

TEST_CASE("private key files are made 0600, never replaced, and refused when others can read them",
          "[crypto]") {
  test::TempDir dir;
  auto key = HostKey::generate();
  REQUIRE(key.ok());
  const std::string path = dir.path() + "/host-key.pem";
  // Even a permissive umask cannot widen the mode.
  const mode_t old_umask = ::umask(0);
  Status saved = save_private_key(*key, path);
  ::umask(old_umask);
  REQUIRE(saved.ok());
  CHECK(file_mode(path) == 0600);
  auto loaded = load_private_key(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->key_id() == key->key_id());

  // An existing key is never overwritten.
  auto other = HostKey::generate();
  REQUIRE(other.ok());
  Status again = save_private_key(*other, path);
  REQUIRE_FALSE(again.ok());
  CHECK_THAT(again.error().message, Catch::Contains("exists"));
  CHECK(load_private_key(path).value().key_id() == key->key_id());

  SECTION("mode 0644 is refused, naming the path and the mode") {
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    auto r = load_private_key(path);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message,
               Catch::Contains(path) && Catch::Contains("0644") && Catch::Contains("0600"));
  }
  SECTION("mode 0640 and 0602 are refused too") {
    for (unsigned m : {0640u, 0602u, 0660u}) {
      REQUIRE(::chmod(path.c_str(), m) == 0);
      CHECK_FALSE(load_private_key(path).ok());
    }
  }
  SECTION("a symlink to the key is refused") {
    const std::string link = dir.path() + "/link.pem";
    REQUIRE(::symlink(path.c_str(), link.c_str()) == 0);
    auto r = load_private_key(link);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::loop);
    CHECK_THAT(r.error().message, Catch::Contains(link) && Catch::Contains("symbolic link"));
  }
  SECTION("a directory or a fifo is not a key file") {
    dir.mkdir("adir");
    CHECK(load_private_key(dir.path() + "/adir").is(Errc::not_regular));
    const std::string fifo = dir.path() + "/fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(load_private_key(fifo).is(Errc::not_regular));
  }
  SECTION("a missing file is not_found") {
    CHECK(load_private_key(dir.path() + "/nope.pem").is(Errc::not_found));
  }
  SECTION("no temporary file is left behind") {
    int entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
    CHECK(entries == 1);
  }
}

TEST_CASE("the host key is made on first use and found again", "[crypto]") {
  test::TempDir dir;
  auto first = load_or_create_host_key(dir.path());
  REQUIRE(first.ok());
  const std::string priv = dir.path() + "/host-key.pem";
  const std::string pub = dir.path() + "/host-key.pub.pem";
  CHECK(file_mode(priv) == 0600);
  CHECK(file_mode(pub) == 0644);
  CHECK(load_public_key(pub).value().key_id() == first->key_id());
  auto second = load_or_create_host_key(dir.path());
  REQUIRE(second.ok());
  CHECK(second->key_id() == first->key_id());

  // A missing public file is written again from the private key.
  REQUIRE(::unlink(pub.c_str()) == 0);
  REQUIRE(load_or_create_host_key(dir.path()).ok());
  CHECK(load_public_key(pub).value().key_id() == first->key_id());

  // A private key others can read stops the agent; it is not replaced.
  REQUIRE(::chmod(priv.c_str(), 0644) == 0);
  auto bad = load_or_create_host_key(dir.path());
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("0644"));
  REQUIRE(::chmod(priv.c_str(), 0600) == 0);
  CHECK(load_private_key(priv).value().key_id() == first->key_id());
}

TEST_CASE("the host key directory must exist and not be world-writable", "[crypto]") {
  test::TempDir dir;
  auto missing = load_or_create_host_key(dir.path() + "/none");
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::Contains("/none: state directory"));
  dir.mkdir("open");
  REQUIRE(::chmod((dir.path() + "/open").c_str(), 0777) == 0);
  auto open = load_or_create_host_key(dir.path() + "/open");
  REQUIRE_FALSE(open.ok());
  CHECK_THAT(open.error().message, Catch::Contains("writable by everyone"));
  dir.write("file", "x");
  CHECK(load_or_create_host_key(dir.path() + "/file").is(Errc::not_regular));
}

TEST_CASE("read_file caps sizes and write_file_atomic sets the mode", "[crypto]") {
  test::TempDir dir;
  dir.write("f", "0123456789");
  CHECK(read_file(dir.path() + "/f", ReadOptions{10, true}).value() == "0123456789");
  CHECK(read_file(dir.path() + "/f", ReadOptions{9, true}).is(Errc::too_large));
  const std::string out = dir.path() + "/out";
  REQUIRE(write_file_atomic(out, "abc", 0640).ok());
  CHECK(file_mode(out) == 0640);
  REQUIRE(write_file_atomic(out, "abcd", 0600).ok());
  CHECK(read_file(out).value() == "abcd");
  CHECK(file_mode(out) == 0600);
  CHECK_FALSE(write_file_atomic(out, "x", 0600, Replace::refuse).ok());
  CHECK_FALSE(write_file_atomic(dir.path() + "/no/such/dir", "x", 0600).ok());
}
