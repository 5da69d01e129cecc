#include "api_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "report.hpp"
#include "verify.hpp"

namespace vigil::store {

Response json_response(unsigned status, const boost::json::value& v) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(v);
  return r;
}

Response bad_request(const std::string& message) {
  return error_response(400, "bad_request", message);
}

Response not_found(const std::string& message) {
  return error_response(404, "not_found", message);
}

Response internal_error(const Request& req, const Error& e) {
  return error_response(500, "internal", "request " + req.request_id + ": " + e.message);
}

BodyObject parse_body_object(const Request& req) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(req.body, ec);
  if (ec) return {std::nullopt, bad_request("body: not JSON: " + ec.message())};
  if (!v.is_object()) return {std::nullopt, bad_request("body: expected a JSON object")};
  return {std::move(v.as_object()), {}};
}

const boost::json::value* FieldReader::get(const char* name, bool required, const char* type) {
  seen_.insert(name);
  const boost::json::value* v = o_.if_contains(name);
  if (v == nullptr && required && !error_)
    error_ = std::string("body: \"") + name + "\" is required (" + type + ")";
  return v;
}

std::optional<std::string> FieldReader::string(const char* name, bool required, std::size_t max_len) {
  const auto* v = get(name, required, "a string");
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    if (!error_) error_ = std::string("body: \"") + name + "\" must be a string";
    return std::nullopt;
  }
  std::string s(v->as_string());
  if (s.size() > max_len) {
    if (!error_)
      error_ = std::string("body: \"") + name + "\" is longer than " + std::to_string(max_len) + " bytes";
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> FieldReader::integer(const char* name, bool required) {
  const auto* v = get(name, required, "an integer");
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  if (!error_) error_ = std::string("body: \"") + name + "\" must be an integer";
  return std::nullopt;
}

const boost::json::object* FieldReader::object(const char* name, bool required) {
  const auto* v = get(name, required, "an object");
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    if (!error_) error_ = std::string("body: \"") + name + "\" must be an object";
    return nullptr;
  }
  return &v->as_object();
}

const boost::json::array* FieldReader::array(const char* name, bool required) {
  const auto* v = get(name, required, "an array");
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    if (!error_) error_ = std::string("body: \"") + name + "\" must be an array";
    return nullptr;
  }
  return &v->as_array();
}

std::optional<std::string> FieldReader::finish() {
  if (error_) return error_;
  for (const auto& [k, v] : o_)
    if (seen_.count(std::string(k)) == 0) return "body: unknown field \"" + std::string(k) + "\"";
  return std::nullopt;
}

TimeParam time_param(const Request& req, const char* name, std::int64_t fallback) {
  const std::string* v = req.query_value(name);
  if (v == nullptr) return {fallback, std::nullopt};
  auto t = agent::parse_iso_time(*v);
  if (!t) return {0, std::string("query: ") + name + "='" + *v + "' is not a time like 2026-12-02T10:00:00Z"};
  return {*t, std::nullopt};
}

std::optional<std::string> unknown_query(const Request& req, std::initializer_list<const char*> known) {
  for (const auto& [k, v] : req.query) {
    bool ok = false;
    for (const char* n : known) ok = ok || k == n;
    if (!ok) return "query: unknown parameter '" + k + "'";
  }
  return std::nullopt;
}

AuditEntry audit_entry(const Ctx& ctx, const Request& req, const Actor& actor, std::string action,
                       std::string target, std::string detail) {
  AuditEntry e;
  e.time_ms = ctx.now_ms();
  e.actor = actor;
  e.action = std::move(action);
  e.target = std::move(target);
  e.detail = std::move(detail);
  e.request_id = req.request_id;
  e.peer = req.peer;
  return e;
}

std::string iso_ms(std::int64_t ms) {
  return agent::iso_time(ms);
}

boost::json::value opt_time(const std::optional<std::int64_t>& ms) {
  if (!ms) return nullptr;
  return boost::json::string(iso_ms(*ms));
}

}  // namespace vigil::store
