// Shared pieces of the API handlers (private to store/api*.cpp): the caller,
// JSON responses, strict body reading (unknown fields refused, types checked,
// messages naming the field), query parameters and audit entries.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "http.hpp"
#include "storage.hpp"

namespace vigil::store {

using Clock = std::function<std::int64_t()>;  // Unix time in milliseconds

struct Caller {
  Actor actor;
  Role role = Role::auditor;
};

struct Ctx {
  Storage& storage;
  Clock now_ms;
};

using Params = std::vector<std::string>;  // the {} segments of the route, in order

Response json_response(unsigned status, const boost::json::value& v);
Response bad_request(const std::string& message);
Response not_found(const std::string& message);
Response internal_error(const Request& req, const Error& e);

// The body as one JSON object, or the 400 to answer.
struct BodyObject {
  std::optional<boost::json::object> object;
  Response error;
};
BodyObject parse_body_object(const Request& req);

// Reads the members of a request object: each getter records the name; an
// error (first one wins) names the field. finish() refuses members no getter
// asked for.
class FieldReader {
 public:
  explicit FieldReader(const boost::json::object& o) : o_(o) {}
  std::optional<std::string> string(const char* name, bool required, std::size_t max_len = 4096);
  std::optional<std::int64_t> integer(const char* name, bool required);
  const boost::json::object* object(const char* name, bool required);
  const boost::json::array* array(const char* name, bool required);
  // The first error, or the unknown members.
  std::optional<std::string> finish();

 private:
  const boost::json::value* get(const char* name, bool required, const char* type);
  const boost::json::object& o_;
  std::set<std::string> seen_;
  std::optional<std::string> error_;
};

// Query parameters: a time (RFC 3339) or the default; nullopt + message on a bad value.
struct TimeParam {
  std::int64_t value = 0;
  std::optional<std::string> error;
};
TimeParam time_param(const Request& req, const char* name, std::int64_t fallback);
// Refuses parameters not in `known` (a typo would silently widen a query).
std::optional<std::string> unknown_query(const Request& req, std::initializer_list<const char*> known);

AuditEntry audit_entry(const Ctx& ctx, const Request& req, const Actor& actor, std::string action,
                       std::string target, std::string detail);

std::string iso_ms(std::int64_t ms);
boost::json::value opt_time(const std::optional<std::int64_t>& ms);

}  // namespace vigil::store
