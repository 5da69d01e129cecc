#include "http.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace vigil::store {

Response error_response(unsigned status, std::string_view code, std::string_view message) {
  boost::json::object inner;
  inner["status"] = status;
  inner["code"] = code;
  inner["message"] = message;
  boost::json::object outer;
  outer["error"] = std::move(inner);
  Response r;
  r.status = status;
  r.body = boost::json::serialize(outer);
  return r;
}

}  // namespace vigil::store
