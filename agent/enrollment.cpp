// Enrollment with vigil-store and enrollment.json (see enrollment.hpp).
#include "enrollment.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "file_io.hpp"
#include "shipper.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

// The host id goes into the Authorization header between quotes: only a
// plain token is taken from the store.
bool valid_host_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
  });
}

Result<std::string> string_field(const json::object& o, const char* name, const std::string& where,
                                 bool required) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) {
    if (required) return make_error(Errc::parse, where + ": no \"" + name + "\"");
    return std::string();
  }
  if (!v->is_string()) return make_error(Errc::parse, where + ": \"" + name + "\" is not a string");
  return std::string(v->get_string());
}

}  // namespace

std::string enrollment_to_json(const Enrollment& e) {
  json::object tls{{"ca_file", e.tls.ca_file},
                   {"pinned_public_key", e.tls.pinned_public_key},
                   {"client_cert", e.tls.client_cert},
                   {"client_key", e.tls.client_key}};
  json::object o{{"store", e.store}, {"host_id", e.host_id},         {"key_id", e.key_id},
                 {"host", e.host},   {"enrolled_at", e.enrolled_at}, {"tls", std::move(tls)}};
  return json::serialize(o) + "\n";
}

Result<Enrollment> parse_enrollment(std::string_view text, const std::string& where) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return make_error(Errc::parse, where + ": not JSON (" + ec.message() + ")");
  if (!v.is_object()) return make_error(Errc::parse, where + ": not a JSON object");
  const auto& o = v.as_object();
  Enrollment e;
  struct Field {
    const char* name;
    std::string* into;
    bool required;
  };
  for (const Field& f :
       {Field{"store", &e.store, true}, Field{"host_id", &e.host_id, true}, Field{"key_id", &e.key_id, true},
        Field{"host", &e.host, false}, Field{"enrolled_at", &e.enrolled_at, false}}) {
    auto s = string_field(o, f.name, where, f.required);
    if (!s) return s.error();
    *f.into = std::move(*s);
  }
  if (!valid_host_id(e.host_id))
    return make_error(Errc::parse, where + ": \"host_id\" is not a valid host id");
  if (const auto* t = o.if_contains("tls"); t != nullptr && !t->is_null()) {
    if (!t->is_object()) return make_error(Errc::parse, where + ": \"tls\" is not an object");
    const std::string tw = where + ": tls";
    for (const Field& f :
         {Field{"ca_file", &e.tls.ca_file, false},
          Field{"pinned_public_key", &e.tls.pinned_public_key, false},
          Field{"client_cert", &e.tls.client_cert, false}, Field{"client_key", &e.tls.client_key, false}}) {
      auto s = string_field(t->as_object(), f.name, tw, false);
      if (!s) return s.error();
      *f.into = std::move(*s);
    }
  }
  return e;
}

Status save_enrollment(const std::string& state_dir, const Enrollment& e) {
  return write_file_atomic(state_dir + "/" + kEnrollmentFile, enrollment_to_json(e), 0644, Replace::allow,
                           Owner::directory);
}

Result<Enrollment> load_enrollment(const std::string& state_dir) {
  const std::string path = state_dir + "/" + kEnrollmentFile;
  auto text = read_file(path, ReadOptions{kMaxEnrollmentFileBytes, false});
  if (!text) return text.error();
  return parse_enrollment(*text, path);
}

std::string enroll_proof_message(std::string_view host, std::string_view token) {
  std::string m = "vigil-enroll-v1\n";
  m.append(host).append("\n").append(token);
  return m;
}

Result<std::string> enroll_request_body(const crypto::HostKey& key, const EnrollRequest& req) {
  auto proof = key.sign(enroll_proof_message(req.host, req.token));
  if (!proof) return proof.error();
  json::object o{{"token", req.token},
                 {"host", req.host},
                 {"public_key", key.public_key().pem()},
                 {"proof", crypto::base64_encode(*proof)},
                 {"facts", req.facts}};
  return json::serialize(o);
}

Result<Enrollment> enroll_host(HttpTransport& transport, const crypto::HostKey& key,
                               const EnrollRequest& req) {
  if (req.token.empty()) return make_error(Errc::invalid, "the enrollment token is empty");
  auto body = enroll_request_body(key, req);
  if (!body) return body.error();
  const std::string target = transport.target("/v1/enroll");
  auto resp = transport.post(target, {{"Content-Type", "application/json"}}, *body);
  if (!resp) return make_error(resp.error().code, "POST " + target + ": " + resp.error().message);
  const std::string what = "POST " + target + ": the store answered " + std::to_string(resp->status) + ": ";
  if (resp->status == 401)
    return make_error(Errc::invalid,
                      what + store_error_message(*resp) +
                          " (the token is unknown, revoked, expired or used up: ask for a new one)");
  if (resp->status == 409)
    return make_error(Errc::invalid,
                      what + store_error_message(*resp) +
                          " (this host is enrolled with another key; an admin can allow the new "
                          "key with `vigil-store host allow-rekey HOST_ID`)");
  if (resp->status != 200 && resp->status != 201)
    return make_error(Errc::invalid, what + store_error_message(*resp));
  const std::string where = "the store's answer to POST " + target;
  json::error_code ec;
  json::value v = json::parse(resp->body, ec);
  if (ec || !v.is_object()) return make_error(Errc::parse, where + ": not a JSON object");
  Enrollment e;
  auto host_id = string_field(v.as_object(), "host_id", where, true);
  if (!host_id) return host_id.error();
  if (!valid_host_id(*host_id))
    return make_error(Errc::parse,
                      where + ": host_id '" + terminal_safe(*host_id) + "' is not a valid host id");
  auto key_id = string_field(v.as_object(), "key_id", where, true);
  if (!key_id) return key_id.error();
  if (*key_id != key.key_id())
    return make_error(Errc::parse, where + ": key_id " + terminal_safe(*key_id) + " is not this host's key " +
                                       key.key_id());
  auto at = string_field(v.as_object(), "enrolled_at", where, false);
  if (!at) return at.error();
  e.host_id = std::move(*host_id);
  e.key_id = std::move(*key_id);
  e.host = req.host;
  e.enrolled_at = std::move(*at);
  return e;
}

}  // namespace vigil::agent
