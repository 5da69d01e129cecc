// SHA-256, strict base64 and Ed25519 keys over OpenSSL 3 (see crypto.hpp).
#include "crypto.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "file_io.hpp"
#include "strings.hpp"

namespace vigil::crypto {

namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// One table per alphabet (-1: not in it). The decoder looks every character
// up twice; as a chain of comparisons this was about 15 % of vigil-store's
// CPU time ingesting 100 KB envelopes (vigil_store_bench).
struct B64Table {
  signed char v[256];
};
constexpr B64Table make_b64_table(const char* alphabet) {
  B64Table t{};
  for (auto& x : t.v) x = -1;
  for (int i = 0; i < 64; ++i) t.v[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  return t;
}
constexpr B64Table kStdTable = make_b64_table(kStd);
constexpr B64Table kUrlTable = make_b64_table(kUrl);

int b64_value(char c, Base64Alphabet a) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return a == Base64Alphabet::standard ? kStdTable.v[u] : kUrlTable.v[u];
}

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
  return buf;
}

// A PEM read that never asks for a passphrase (an encrypted key fails).
int no_passphrase(char*, int, int, void*) {
  return -1;
}

BioPtr mem_bio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bio_text(BIO* bio) {
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio, &p);
  return n > 0 && p != nullptr ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

bool is_ed25519(EVP_PKEY* pkey) {
  return EVP_PKEY_is_a(pkey, "ED25519") == 1;
}

std::shared_ptr<EVP_PKEY> share(EvpPkeyPtr p) {
  return std::shared_ptr<EVP_PKEY>(p.release(), OpensslFree{});
}

// The SPKI DER of a key (the public half only, even of a private key).
Result<std::string> encode_spki(EVP_PKEY* pkey, const std::string& where) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(pkey, &der);
  OpensslBytePtr owned(der);
  if (n <= 0) return make_error(Errc::internal, where + ": cannot encode the public key: " + openssl_error());
  return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
}

}  // namespace

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

Sha256Digest sha256(std::string_view data) noexcept {
  Sha256Digest d{};
  unsigned int len = 0;
  // EVP_Digest cannot fail for SHA-256 short of memory exhaustion; a zero
  // digest then is as good as any and never matches a real one by chance.
  EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 0xf]);
  }
  return out;
}

std::string to_hex(const Sha256Digest& d) {
  return to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string sha256_hex(std::string_view data) {
  return to_hex(sha256(data));
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet) {
  const char* tab = alphabet == Base64Alphabet::standard ? kStd : kUrl;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out += {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63]};
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const unsigned v = at(i) << 16;
    out += {tab[v >> 18], tab[(v >> 12) & 63]};
    if (alphabet == Base64Alphabet::standard) out += "==";
  } else if (rest == 2) {
    const unsigned v = at(i) << 16 | at(i + 1) << 8;
    out += {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63]};
    if (alphabet == Base64Alphabet::standard) out += "=";
  }
  return out;
}

namespace {

// The strict decoder one character at a time: what base64_decode falls back
// to when its fast pass finds anything wrong, to name the first fault and
// where it is (and the reference the tests hold the fast pass to).
Result<std::string> base64_decode_diagnosed(std::string_view text, Base64Alphabet alphabet) {
  const char* name = alphabet == Base64Alphabet::standard ? "base64" : "base64url";
  auto bad = [&](std::size_t at, const std::string& why) {
    return make_error(Errc::parse, std::string(name) + ": " + why + " at offset " + std::to_string(at));
  };
  std::size_t pad = 0;
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '=' && pad < 3) {
    --end;
    ++pad;
  }
  if (pad > 2) return bad(end, "more than two '=' of padding");
  for (std::size_t i = 0; i < end; ++i) {
    if (b64_value(text[i], alphabet) >= 0) continue;
    if (text[i] == '=') return bad(i, "padding '=' before the end");
    return bad(i, "invalid character " + describe_char(text[i]));
  }
  if (alphabet == Base64Alphabet::standard || pad > 0) {
    if (text.size() % 4 != 0)
      return make_error(Errc::parse, std::string(name) + ": length " + std::to_string(text.size()) +
                                         " is not a multiple of 4 (missing or extra padding)");
  }
  if (end % 4 == 1) return bad(end, "truncated (a single character in the last group)");
  std::string out;
  out.reserve(end / 4 * 3 + 2);
  unsigned acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < end; ++i) {
    const int v = b64_value(text[i], alphabet);
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xffu));
    }
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1u)) != 0) return bad(end - 1, "non-zero bits after the last byte");
  return out;
}

}  // namespace

Result<std::string> base64_decode(std::string_view text, Base64Alphabet alphabet) {
  // One pass over groups of four into a buffer of the exact size, with the
  // table's -1 ORed together instead of a branch per character. Any fault
  // (a character outside the alphabet, padding in the middle, a bad length,
  // non-zero bits after the last byte) sends the text to the diagnosis.
  std::size_t end = text.size();
  std::size_t pad = 0;
  while (end > 0 && text[end - 1] == '=' && pad < 2) {
    --end;
    ++pad;
  }
  const bool padded_length_ok = text.size() % 4 == 0;
  const bool length_ok = (alphabet == Base64Alphabet::url && pad == 0) || padded_length_ok;
  if (!length_ok || end % 4 == 1 || (end > 0 && text[end - 1] == '='))
    return base64_decode_diagnosed(text, alphabet);
  const signed char* tab = alphabet == Base64Alphabet::standard ? kStdTable.v : kUrlTable.v;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t groups = end / 4;
  const std::size_t tail = end % 4;  // 0, 2 or 3 characters
  std::string out(groups * 3 + (tail == 0 ? 0 : tail - 1), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int faults = 0;
  for (std::size_t g = 0; g < groups; ++g, in += 4, o += 3) {
    const int a = tab[in[0]], b = tab[in[1]], c = tab[in[2]], d = tab[in[3]];
    faults |= a | b | c | d;
    const unsigned v = (static_cast<unsigned>(a) & 63u) << 18 | (static_cast<unsigned>(b) & 63u) << 12 |
                       (static_cast<unsigned>(c) & 63u) << 6 | (static_cast<unsigned>(d) & 63u);
    o[0] = static_cast<unsigned char>(v >> 16);
    o[1] = static_cast<unsigned char>(v >> 8);
    o[2] = static_cast<unsigned char>(v);
  }
  if (tail != 0) {
    const int a = tab[in[0]], b = tab[in[1]], c = tail == 3 ? tab[in[2]] : 0;
    faults |= a | b | c;
    const unsigned v = (static_cast<unsigned>(a) & 63u) << 18 | (static_cast<unsigned>(b) & 63u) << 12 |
                       (static_cast<unsigned>(c) & 63u) << 6;
    // The bits below the last whole byte must be zero (one text per value).
    if ((tail == 2 ? v & 0xffffu : v & 0xffu) != 0) faults = -1;
    o[0] = static_cast<unsigned char>(v >> 16);
    if (tail == 3) o[1] = static_cast<unsigned char>(v >> 8);
  }
  if (faults < 0) return base64_decode_diagnosed(text, alphabet);
  return out;
}

// ---- keys ----

Result<PublicKey> PublicKey::from_pkey(EvpPkeyPtr pkey, const std::string& where) {
  if (!is_ed25519(pkey.get()))
    return make_error(Errc::invalid, where + ": not an Ed25519 key (" +
                                         std::string(EVP_PKEY_get0_type_name(pkey.get()) != nullptr
                                                         ? EVP_PKEY_get0_type_name(pkey.get())
                                                         : "unknown type") +
                                         ")");
  auto der = encode_spki(pkey.get(), where);
  if (!der) return der.error();
  return assemble(std::move(pkey), std::move(*der));
}

PublicKey PublicKey::assemble(EvpPkeyPtr pkey, std::string der) {
  PublicKey k;
  k.der_ = std::move(der);
  k.key_id_ = sha256_hex(k.der_);
  k.pkey_ = share(std::move(pkey));
  return k;
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem, const std::string& where) {
  if (pem.size() > kMaxKeyFileBytes) return make_error(Errc::too_large, where + ": key text over 16 KiB");
  auto bio = mem_bio(pem);
  if (!bio) return make_error(Errc::internal, where + ": " + openssl_error());
  // The armour only (PEM_read_bio decodes no key), then the DER below:
  // PEM_read_bio_PUBKEY runs OpenSSL 3's decoder chain, which made parsing
  // the host's key most of a small ingest request.
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  const int ok = PEM_read_bio(bio.get(), &name, &header, &data, &len);
  OpensslBytePtr owned_name(reinterpret_cast<unsigned char*>(name));
  OpensslBytePtr owned_header(reinterpret_cast<unsigned char*>(header));
  OpensslBytePtr owned_data(data);
  if (ok != 1) return make_error(Errc::parse, where + ": not a PEM public key: " + openssl_error());
  if (std::string_view(name) != "PUBLIC KEY")
    return make_error(Errc::parse, where + ": not a PEM public key: a \"" + sanitize_utf8(name) +
                                       "\" block, not \"PUBLIC KEY\"");
  if (header != nullptr && *header != '\0')
    return make_error(Errc::parse, where + ": not a PEM public key: the block has headers (" +
                                       sanitize_utf8(std::string_view(header).substr(0, 64)) + ")");
  return from_spki_der(std::string_view(reinterpret_cast<const char*>(data), static_cast<std::size_t>(len)),
                       where);
}

Result<PublicKey> PublicKey::from_spki_der(std::string_view der, const std::string& where) {
  if (der.size() > kMaxKeyFileBytes) return make_error(Errc::too_large, where + ": key over 16 KiB");
  // An Ed25519 SubjectPublicKeyInfo is this fixed header and the 32-byte key
  // (RFC 8410 section 4), read without OpenSSL's decoders; any other DER
  // takes d2i_PUBKEY, which names what it is.
  static constexpr std::string_view kEd25519Spki("\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12);
  if (der.size() == kEd25519Spki.size() + 32 && der.substr(0, kEd25519Spki.size()) == kEd25519Spki) {
    EvpPkeyPtr pkey(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(der.data()) + kEd25519Spki.size(),
        32));
    if (!pkey) return make_error(Errc::parse, where + ": not an Ed25519 public key: " + openssl_error());
    return assemble(std::move(pkey), std::string(der));
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey) return make_error(Errc::parse, where + ": not a DER SubjectPublicKeyInfo: " + openssl_error());
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    return make_error(Errc::parse, where + ": bytes after the SubjectPublicKeyInfo");
  return from_pkey(std::move(pkey), where);
}

std::string PublicKey::pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1) return {};
  return bio_text(bio.get());
}

bool PublicKey::verify(std::string_view message, std::string_view signature) const {
  if (!pkey_) return false;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1) {
    ERR_clear_error();
    return false;
  }
  const int rc =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  return rc == 1;
}

Result<HostKey> HostKey::generate() {
  EvpPkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!pkey) return make_error(Errc::internal, "Ed25519 key generation failed: " + openssl_error());
  auto der = encode_spki(pkey.get(), "generated key");
  if (!der) return der.error();
  auto pub = PublicKey::from_spki_der(*der, "generated key");
  if (!pub) return pub.error();
  HostKey k;
  k.pkey_ = share(std::move(pkey));
  k.public_ = std::move(*pub);
  return k;
}

Result<HostKey> HostKey::from_pem(std::string_view pem, const std::string& where) {
  if (pem.size() > kMaxKeyFileBytes) return make_error(Errc::too_large, where + ": key text over 16 KiB");
  auto bio = mem_bio(pem);
  if (!bio) return make_error(Errc::internal, where + ": " + openssl_error());
  EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!pkey)
    return make_error(Errc::parse,
                      where + ": not an unencrypted PEM private key (PKCS#8): " + openssl_error());
  if (!is_ed25519(pkey.get())) return make_error(Errc::invalid, where + ": not an Ed25519 key");
  auto der = encode_spki(pkey.get(), where);
  if (!der) return der.error();
  auto pub = PublicKey::from_spki_der(*der, where);
  if (!pub) return pub.error();
  HostKey k;
  k.pkey_ = share(std::move(pkey));
  k.public_ = std::move(*pub);
  return k;
}

Result<std::string> HostKey::sign(std::string_view message) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1)
    return make_error(Errc::internal, "Ed25519 sign init failed: " + openssl_error());
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    return make_error(Errc::internal, "Ed25519 signing failed: " + openssl_error());
  sig.resize(len);
  return sig;
}

Result<std::string> HostKey::private_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return make_error(Errc::internal, openssl_error());
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return make_error(Errc::internal, "cannot encode the private key: " + openssl_error());
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &p);
  std::string out = n > 0 && p != nullptr ? std::string(p, static_cast<std::size_t>(n)) : std::string();
  if (n > 0 && p != nullptr) OPENSSL_cleanse(p, static_cast<std::size_t>(n));
  return out;
}

Status save_private_key(const HostKey& key, const std::string& path) {
  auto pem = key.private_pem();
  if (!pem) return pem.error();
  Status s = write_file_atomic(path, *pem, 0600, Replace::refuse, Owner::directory);
  OPENSSL_cleanse(pem->data(), pem->size());
  return s;
}

Result<HostKey> load_private_key(const std::string& path) {
  // Check the mode on the opened file, not a name someone could swap.
  FileInfo info;
  auto text = read_file(path, ReadOptions{kMaxKeyFileBytes, false}, info);
  if (!text) return text.error();
  if ((info.mode & 077) != 0) {
    OPENSSL_cleanse(text->data(), text->size());
    return make_error(Errc::invalid, path + ": private key has mode " + mode_octal(info.mode) +
                                         ", readable or writable by group or others; it must be 0600 "
                                         "(chmod 600 " +
                                         path + ")");
  }
  // Root may use the key of the service user whose state directory holds
  // it (an admin's `vigil scan` recording into the daemon's chain); anyone
  // else only their own.
  bool owner_ok = info.uid == ::geteuid();
  if (!owner_ok && ::geteuid() == 0) {
    struct stat d {};
    owner_ok = ::stat(parent_directory(path).c_str(), &d) == 0 && d.st_uid == info.uid;
  }
  if (!owner_ok) {
    OPENSSL_cleanse(text->data(), text->size());
    return make_error(Errc::invalid, path + ": private key is owned by uid " + std::to_string(info.uid) +
                                         ", not by this user (uid " + std::to_string(::geteuid()) + ")");
  }
  auto key = HostKey::from_pem(*text, path);
  OPENSSL_cleanse(text->data(), text->size());
  return key;
}

Status save_public_key(const PublicKey& key, const std::string& path) {
  const std::string pem = key.pem();
  if (pem.empty()) return make_error(Errc::internal, path + ": cannot encode the public key");
  return write_file_atomic(path, pem, 0644, Replace::allow, Owner::directory);
}

Result<PublicKey> load_public_key(const std::string& path) {
  auto text = read_file(path, ReadOptions{kMaxKeyFileBytes, true});
  if (!text) return text.error();
  return PublicKey::from_pem(*text, path);
}

Result<HostKey> load_or_create_host_key(const std::string& state_dir) {
  struct stat st {};
  if (::stat(state_dir.c_str(), &st) != 0)
    return make_error(errno == ENOENT ? Errc::not_found : Errc::io,
                      state_dir + ": state directory: " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return make_error(Errc::not_regular, state_dir + ": state directory is not a directory");
  if ((st.st_mode & 002) != 0)
    return make_error(Errc::invalid, state_dir + ": state directory has mode " +
                                         mode_octal(st.st_mode & 07777) +
                                         " and is writable by everyone; refused for the host key");
  const std::string priv = state_dir + "/" + kHostKeyFile;
  const std::string pub = state_dir + "/" + kHostPublicKeyFile;
  auto key = load_private_key(priv);
  if (!key && key.is(Errc::not_found)) {
    auto made = HostKey::generate();
    if (!made) return made.error();
    Status s = save_private_key(*made, priv);
    if (!s.ok()) {
      // Another process made it first: use that one.
      if (s.error().code != Errc::invalid) return s.error();
      key = load_private_key(priv);
    } else {
      key = std::move(made);
    }
  }
  if (!key) return key.error();
  auto existing = load_public_key(pub);
  if (!existing || existing->key_id() != key->key_id()) {
    if (Status s = save_public_key(key->public_key(), pub); !s.ok()) return s.error();
  }
  return key;
}

}  // namespace vigil::crypto
