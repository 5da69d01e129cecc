// JSON parsing that keeps numbers exact: Boost.JSON 1.81's parser rounds
// some decimal numbers to a neighbouring double (about one in five of the
// shortest round-trip texts its own serializer writes), so parse-then-
// serialize would not reproduce signed bytes. This parser reads every
// double again from its source text with std::from_chars (correctly
// rounded), so for any JSON that Vigil wrote,
//   boost::json::serialize(parse_json_exact(text)) == text.
#pragma once

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "result.hpp"

namespace vigil::agent {

// One complete JSON text (RFC 8259: no comments, no trailing commas), at
// most max_depth levels of nesting. Errc::parse with the offset and reason,
// prefixed by `where`. The value's memory comes from sp (the default
// resource when null).
Result<boost::json::value> parse_json_exact(std::string_view text, const std::string& where,
                                            std::size_t max_depth = 64, boost::json::storage_ptr sp = {});

}  // namespace vigil::agent
