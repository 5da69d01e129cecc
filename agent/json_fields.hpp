// Field readers for the agent's own JSON files and messages
// (daemon-state.json, the daemon's job requests and answers): each one
// names the field, and the file or message, when it is not what was written.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "result.hpp"

namespace vigil::agent {

struct JsonFields {
  const std::string& where;

  Error bad(const std::string& field) const {
    return make_error(Errc::parse, where + ": field '" + field + "' is missing or of the wrong type");
  }
  Result<std::int64_t> integer(const boost::json::object& o, const char* k) const {
    const auto* v = o.if_contains(k);
    if (v == nullptr || !v->is_int64()) return bad(k);
    return v->as_int64();
  }
  Result<std::optional<std::int64_t>> opt_integer(const boost::json::object& o, const char* k) const {
    const auto* v = o.if_contains(k);
    if (v == nullptr || v->is_null()) return std::optional<std::int64_t>{};
    if (!v->is_int64()) return bad(k);
    return std::optional<std::int64_t>{v->as_int64()};
  }
  Result<std::string> text(const boost::json::object& o, const char* k) const {
    const auto* v = o.if_contains(k);
    if (v == nullptr || !v->is_string()) return bad(k);
    return std::string(v->as_string());
  }
  Result<double> real(const boost::json::object& o, const char* k) const {
    const auto* v = o.if_contains(k);
    if (v == nullptr || !v->is_number()) return bad(k);
    return v->to_number<double>();
  }
  Result<bool> boolean(const boost::json::object& o, const char* k) const {
    const auto* v = o.if_contains(k);
    if (v == nullptr || !v->is_bool()) return bad(k);
    return v->as_bool();
  }
  Result<const boost::json::array*> array(const boost::json::object& o, const char* k) const {
    const auto* v = o.if_contains(k);
    if (v == nullptr || !v->is_array()) return bad(k);
    return &v->as_array();
  }
};

}  // namespace vigil::agent
