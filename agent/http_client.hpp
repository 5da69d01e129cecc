// HTTPS to vigil-store: a small libcurl client (one reused easy handle, so
// the TLS connection is kept between batches) and the HttpTransport seam the
// shipper and enrollment are written against, so their logic is tested with
// a fake transport. TLS verification is never turned off: there is no
// option for it. See docs/store-api.md ("The agent's side").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "result.hpp"
#include "store_url.hpp"

namespace vigil::agent {

struct HttpResponse {
  long status = 0;
  // Names lowercased; a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  std::string body;  // decoded (Content-Encoding undone by libcurl), capped

  std::optional<std::string> header(const std::string& lowercase_name) const;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// What the shipper and enrollment need from HTTP. target is the request
// target as sent ("/v1/evidence", with the store URL's path prefix when it
// has one): the host signature covers it.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Errors are transport failures (no HTTP status came back); any status,
  // 4xx and 5xx included, is a response.
  virtual Result<HttpResponse> post(const std::string& target, const HttpHeaders& headers,
                                    std::string_view body) = 0;
  // The request target of path on this transport's store.
  virtual std::string target(std::string_view path) const = 0;
};

struct TlsOptions {
  // When set, this CA file is the only trust anchor (the system store is not
  // used); else the system store.
  std::string ca_file;
  // "sha256//<base64 of the SHA-256 of the server's SPKI DER>", several
  // joined by ';': the server's key must be one of them, on top of the
  // certificate checks.
  std::string pinned_public_key;
  // A client certificate and its key (PEM), for stores that require mTLS.
  std::string client_cert, client_key;
};

struct HttpClientOptions {
  // "https://host[:port][/prefix]"; http:// is refused.
  std::string base_url;
  TlsOptions tls;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{120'000};  // one whole request
  // Abort a transfer slower than low_speed_bytes per second for low_speed_time.
  long low_speed_bytes = 1;
  std::chrono::seconds low_speed_time{30};
  std::size_t max_response_bytes = 4u * 1024u * 1024u;  // decoded body and headers
  std::string user_agent = "vigil";
};


// Checks the pin syntax: sha256// and base64 of 32 bytes, ';'-separated.
Status check_pin(std::string_view pin);

class HttpClient final : public HttpTransport {
 public:
  // Errc::invalid for a bad URL (http:// with a message saying https is
  // required), a bad pin, a client certificate without its key, or a CA /
  // certificate / key file that cannot be read.
  static Result<std::unique_ptr<HttpClient>> create(const HttpClientOptions& opts);
  ~HttpClient() override;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpResponse> post(const std::string& target, const HttpHeaders& headers,
                            std::string_view body) override;
  Result<HttpResponse> get(const std::string& target, const HttpHeaders& headers = {});
  // Any method (upper-case letters), e.g. DELETE for the people's API; the
  // body is sent when given.
  Result<HttpResponse> request(const std::string& method, const std::string& target,
                               const HttpHeaders& headers = {},
                               std::optional<std::string_view> body = std::nullopt);
  std::string target(std::string_view path) const override { return prefix_ + std::string(path); }

  struct Impl;

 private:
  explicit HttpClient(std::unique_ptr<Impl> impl, std::string prefix);
  std::unique_ptr<Impl> impl_;
  std::string prefix_;
};

// Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date, as a delay
// from now_s in seconds (0 for a date in the past); nullopt when it is
// neither.
std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_s);

}  // namespace vigil::agent
