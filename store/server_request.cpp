// Decoding a parsed request for the handler: the target's path and query
// (Boost.URL), the gzip body (lib/decompress, capped), and request ids.
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>

#include "decompress.hpp"
#include "server_internal.hpp"

namespace vigil::store::detail {
namespace {

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::optional<Response> decode_request(Request& request, std::size_t max_decoded) {
  auto url = boost::urls::parse_origin_form(request.target);
  if (!url)
    return error_response(400, "bad_request", "the request target is not a path with an optional query");
  request.path = url->encoded_path().decode();
  request.query.clear();
  for (const auto& p : url->params(boost::urls::encoding_opts(true)))
    request.query.emplace_back(p.key, p.value);

  const std::string* enc = request.header("content-encoding");
  const std::string encoding = enc == nullptr ? std::string() : lower_trimmed(*enc);
  if (encoding.empty() || encoding == "identity") {
    request.body = request.raw_body;
    return std::nullopt;
  }
  if (encoding != "gzip")
    return error_response(415, "unsupported_media_type",
                          "Content-Encoding '" + encoding + "' is not supported (gzip or identity)");
  auto body = decompress(request.raw_body, Compression::gzip, max_decoded);
  if (body.is(Errc::too_large))
    return error_response(413, "too_large",
                          "the gzip body inflates to more than limits.max_decoded_body_bytes (" +
                              std::to_string(max_decoded) + ")");
  if (!body)
    return error_response(400, "bad_request", "the gzip body does not inflate: " + body.error().message);
  request.body = std::move(*body);
  return std::nullopt;
}

std::string new_request_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Only an id for matching log lines, not a secret: a counter will do.
    static std::atomic<std::uint64_t> fallback{0};
    const std::uint64_t n = ++fallback;
    for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(n >> (8 * i));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

}  // namespace vigil::store::detail
