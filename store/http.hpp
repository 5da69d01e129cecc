// The contract between vigil-store's HTTPS server (store/server) and its API
// (store/api): the server parses, limits and decodes a request, calls the
// handler on one of its pool threads, and writes the response; the API never
// sees sockets or TLS. Handlers must not throw (the server turns an escaped
// exception into a 500 and logs it).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::store {

struct Request {
  std::string method;  // "GET", "POST", "DELETE", ...
  std::string target;  // as sent: path and query, undecoded
  std::string path;    // percent-decoded path, without the query
  // The query's name=value pairs in order, percent-decoded ('+' is a space).
  std::vector<std::pair<std::string, std::string>> query;
  // Header fields as received, names lowercased, in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string raw_body;  // as received (what a Vigil-Host signature covers)
  std::string body;      // after Content-Encoding: gzip is undone (== raw_body otherwise)
  std::string peer;      // "127.0.0.1:41234"
  std::string request_id;

  // The first header / query value with this (lowercase) name, or nullptr.
  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
  const std::string* query_value(std::string_view name) const {
    for (const auto& [k, v] : query)
      if (k == name) return &v;
    return nullptr;
  }
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra header fields (Retry-After, WWW-Authenticate, Location, ...).
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<Response(const Request&)>;

// {"error":{"status":400,"code":"bad_request","message":"..."}}: every error
// the store answers has this shape (docs/store-api.md).
Response error_response(unsigned status, std::string_view code, std::string_view message);

}  // namespace vigil::store
