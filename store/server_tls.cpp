// The TLS server context of vigil-store (store/server_internal.hpp).
#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>

#include "file_io.hpp"
#include "server_internal.hpp"

namespace vigil::store::detail {
namespace {

namespace ssl = boost::asio::ssl;

// A certificate chain or key is a few kilobytes.
constexpr std::size_t kMaxPemBytes = 1024u * 1024u;

// TLS 1.2 suites: forward secrecy (ECDHE) and AEAD only. TLS 1.3's suites
// are all of that kind and stay OpenSSL's default.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";

Result<std::string> read_pem(const std::string& path, const char* what) {
  ReadOptions opts;
  opts.max_bytes = kMaxPemBytes;
  auto pem = read_file(path, opts);
  if (!pem) return make_error(Errc::invalid, std::string("tls.") + what + ": " + pem.error().message);
  return pem;
}

Error ssl_error(const std::string& what, const std::string& path, const boost::system::error_code& ec) {
  return make_error(Errc::invalid, "tls." + what + ": " + path + ": " + ec.message());
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_ssl_context(const TlsConfig& tls) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                       ssl::context::single_dh_use,
                   ec);
  if (ec) return make_error(Errc::internal, "tls: cannot set options: " + ec.message());
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  const int min_version = tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(native, min_version) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1)
    return make_error(Errc::internal, "tls: OpenSSL refused the protocol or cipher settings");

  auto cert = read_pem(tls.certificate, "certificate");
  if (!cert) return cert.error();
  ctx->use_certificate_chain(boost::asio::buffer(*cert), ec);
  if (ec) return ssl_error("certificate", tls.certificate, ec);
  auto key = read_pem(tls.private_key, "private_key");
  if (!key) return key.error();
  ctx->use_private_key(boost::asio::buffer(*key), ssl::context::pem, ec);
  if (ec) return ssl_error("private_key", tls.private_key, ec);
  if (SSL_CTX_check_private_key(native) != 1)
    return make_error(Errc::invalid, "tls.private_key: " + tls.private_key +
                                         ": does not match the certificate " + tls.certificate);

  if (!tls.client_ca.empty()) {
    auto ca = read_pem(tls.client_ca, "client_ca");
    if (!ca) return ca.error();
    ctx->add_certificate_authority(boost::asio::buffer(*ca), ec);
    if (ec) return ssl_error("client_ca", tls.client_ca, ec);
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) return ssl_error("client_ca", tls.client_ca, ec);
  }
  return ctx;
}

}  // namespace vigil::store::detail
