// Host request signatures (see request_auth.hpp).
#include "request_auth.hpp"

#include <cstdlib>

#include "strings.hpp"

namespace vigil::request_auth {

namespace {

bool valid_token(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.' || c == ':' || c == '+' || c == '/' || c == '=';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string signing_input(std::string_view method, std::string_view target, std::int64_t time_s,
                          std::string_view body) {
  std::string out = "vigil-request-v1\n";
  out.append(method).append("\n").append(target).append("\n");
  out.append(std::to_string(time_s)).append("\n").append(crypto::sha256_hex(body));
  return out;
}

Result<std::string> make_authorization(const crypto::HostKey& key, std::string_view host_id,
                                       std::string_view method, std::string_view target,
                                       std::string_view body, std::int64_t time_s) {
  if (!valid_token(host_id)) return make_error(Errc::invalid, "host id '" + std::string(host_id) + "' is not valid");
  auto sig = key.sign(signing_input(method, target, time_s, body));
  if (!sig) return std::move(sig).error();
  std::string out(kScheme);
  out.append(" host=\"").append(host_id).append("\", time=\"").append(std::to_string(time_s));
  out.append("\", sig=\"").append(crypto::base64_encode(*sig)).append("\"");
  return out;
}

Result<Credentials> parse_authorization(std::string_view header) {
  header = trim(header);
  if (header.size() > 1024) return make_error(Errc::parse, "Authorization header is too long");
  if (header.substr(0, kScheme.size()) != kScheme || header.size() == kScheme.size() ||
      header[kScheme.size()] != ' ')
    return make_error(Errc::parse, "Authorization scheme is not " + std::string(kScheme));
  std::string_view rest = header.substr(kScheme.size() + 1);
  std::string host, time, sig;
  bool seen_host = false, seen_time = false, seen_sig = false;
  while (true) {
    rest = trim(rest);
    auto eq = rest.find('=');
    if (eq == std::string_view::npos) return make_error(Errc::parse, "Authorization: expected name=\"value\"");
    std::string_view name = trim(rest.substr(0, eq));
    rest = rest.substr(eq + 1);
    if (rest.empty() || rest[0] != '"') return make_error(Errc::parse, "Authorization: " + std::string(name) + " is not quoted");
    auto close = rest.find('"', 1);
    if (close == std::string_view::npos) return make_error(Errc::parse, "Authorization: unterminated " + std::string(name));
    std::string value(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    auto take = [&](bool& seen, std::string& into) -> Status {
      if (seen) return make_error(Errc::parse, "Authorization: " + std::string(name) + " given twice");
      seen = true;
      into = value;
      return {};
    };
    Status st;
    if (name == "host") st = take(seen_host, host);
    else if (name == "time") st = take(seen_time, time);
    else if (name == "sig") st = take(seen_sig, sig);
    else return make_error(Errc::parse, "Authorization: unknown field '" + std::string(name) + "'");
    if (!st) return st.error();
    rest = trim(rest);
    if (rest.empty()) break;
    if (rest[0] != ',') return make_error(Errc::parse, "Authorization: expected ',' after " + std::string(name));
    rest = rest.substr(1);
  }
  if (!seen_host || !seen_time || !seen_sig)
    return make_error(Errc::parse, std::string("Authorization: missing ") +
                                       (!seen_host ? "host" : !seen_time ? "time" : "sig"));
  if (!valid_token(host)) return make_error(Errc::parse, "Authorization: host is not a valid host id");
  auto t = parse_int(time);
  if (!t || *t < 0) return make_error(Errc::parse, "Authorization: time is not a number of seconds");
  auto raw = crypto::base64_decode(sig);
  if (!raw || raw->size() != 64) return make_error(Errc::parse, "Authorization: sig is not a base64 Ed25519 signature");
  return Credentials{host, *t, std::move(*raw)};
}

Status verify(const Credentials& c, const crypto::PublicKey& key, std::string_view method,
              std::string_view target, std::string_view body, std::int64_t now_s) {
  if (std::llabs(now_s - c.time_s) > kMaxClockSkewSeconds)
    return make_error(Errc::invalid, "request time " + std::to_string(c.time_s) + " is more than " +
                                         std::to_string(kMaxClockSkewSeconds) + " s from the store's clock (" +
                                         std::to_string(now_s) + ")");
  if (!key.verify(signing_input(method, target, c.time_s, body), c.signature))
    return make_error(Errc::invalid, "request signature does not verify with host " + c.host_id + "'s enrolled key");
  return {};
}

}  // namespace vigil::request_auth
