// A raw HTTPS client for the store server tests, on Boost.Asio SSL and
// Beast: it can send anything (half a header, a bad body), which a real
// client library would not. Reads time out (SO_RCVTIMEO) so a server that
// never answers fails the test instead of hanging it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <string>

namespace vigil::test {

struct TlsClientOptions {
  std::string ca;         // the CA the server's certificate must chain to
  std::string cert, key;  // a client certificate (mTLS), optional
  int max_version = 0;    // e.g. TLS1_1_VERSION to try an old protocol; 0: OpenSSL's default
};

class TlsClient {
 public:
  TlsClient(std::uint16_t port, const TlsClientOptions& opts);
  // The handshake's outcome; a client whose handshake failed can do nothing else.
  const boost::system::error_code& handshake_error() const { return handshake_ec_; }

  // Sends bytes as they are.
  boost::system::error_code send_raw(const std::string& bytes);
  boost::system::error_code send(boost::beast::http::request<boost::beast::http::string_body>& req);

  // Reads one response; ec is set when none came (closed, reset, timeout).
  struct Reply {
    boost::system::error_code ec;
    boost::beast::http::response<boost::beast::http::string_body> res;
  };
  // head: the answer to a HEAD request (a Content-Length but no body).
  Reply read(bool head = false);

 private:
  boost::asio::io_context io_;
  boost::asio::ssl::context ctx_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> stream_;
  boost::beast::flat_buffer buffer_;
  boost::system::error_code handshake_ec_;
};

// A request for 127.0.0.1 with Host set and, with a body, Content-Length.
boost::beast::http::request<boost::beast::http::string_body> make_request(boost::beast::http::verb method,
                                                                          const std::string& target,
                                                                          std::string body = {});

}  // namespace vigil::test
