// tests/store/tls_client.hpp.
#include "store/tls_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace vigil::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;

TlsClient::TlsClient(std::uint16_t port, const TlsClientOptions& opts)
    : ctx_(asio::ssl::context::tls_client) {
  boost::system::error_code ec;
  if (opts.max_version != 0) {
    // Old protocols are off at OpenSSL's default security level on the
    // client side too; level 0 lets the client offer them, so that what
    // refuses them is the server.
    SSL_CTX_set_security_level(ctx_.native_handle(), 0);
    SSL_CTX_set_min_proto_version(ctx_.native_handle(), 0);
    SSL_CTX_set_max_proto_version(ctx_.native_handle(), opts.max_version);
  }
  ctx_.load_verify_file(opts.ca, ec);
  ctx_.set_verify_mode(asio::ssl::verify_peer);
  if (!opts.cert.empty()) {
    ctx_.use_certificate_chain_file(opts.cert, ec);
    ctx_.use_private_key_file(opts.key, asio::ssl::context::pem, ec);
  }
  stream_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(io_, ctx_);
  stream_->set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
  auto& sock = stream_->next_layer();
  sock.connect({asio::ip::make_address("127.0.0.1"), port}, handshake_ec_);
  if (handshake_ec_) return;
  timeval tv{10, 0};
  ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  stream_->handshake(asio::ssl::stream_base::client, handshake_ec_);
}

boost::system::error_code TlsClient::send_raw(const std::string& bytes) {
  boost::system::error_code ec;
  asio::write(*stream_, asio::buffer(bytes), ec);
  return ec;
}

boost::system::error_code TlsClient::send(http::request<http::string_body>& req) {
  boost::system::error_code ec;
  http::write(*stream_, req, ec);
  return ec;
}

TlsClient::Reply TlsClient::read(bool head) {
  Reply r;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u * 1024u * 1024u);
  parser.skip(head);
  http::read(*stream_, buffer_, parser, r.ec);
  if (!r.ec) r.res = parser.release();
  return r;
}

http::request<http::string_body> make_request(http::verb method, const std::string& target,
                                              std::string body) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!body.empty() || method == http::verb::post) {
    req.body() = std::move(body);
    req.prepare_payload();
  }
  return req;
}

}  // namespace vigil::test
