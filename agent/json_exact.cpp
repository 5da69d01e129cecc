// Exact-number JSON parsing (see json_exact.hpp).
#include "json_exact.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <charconv>
#include <system_error>

namespace vigil::agent {

namespace json = boost::json;

namespace {

// The handler Boost.JSON's own parser uses, except for doubles.
struct ExactHandler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;
  std::string number;  // the number's text when it came in parts

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t n, json::error_code&) {
    st.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number.clear();
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number.clear();
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code&) {
    number.append(s.data(), s.size());
    double exact = 0;
    const char* first = number.data();
    const char* last = first + number.size();
    auto [p, ec] = std::from_chars(first, last, exact, std::chars_format::general);
    // Out of range (1e400): Boost's value (an infinity) is what a writer meant.
    if (ec == std::errc() && p == last) d = exact;
    number.clear();
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

Result<json::value> parse_json_exact(std::string_view text, const std::string& where, std::size_t max_depth,
                                     json::storage_ptr sp) {
  json::parse_options opt;
  opt.max_depth = max_depth;
  try {
    json::basic_parser<ExactHandler> p(opt);
    p.handler().st.reset(std::move(sp));
    json::error_code ec;
    const std::size_t n = p.write_some(false, text.data(), text.size(), ec);
    if (ec) {
      return make_error(Errc::parse,
                        where + ": invalid JSON at offset " + std::to_string(n) + ": " + ec.message());
    }
    if (n != text.size())
      return make_error(Errc::parse, where + ": text after the JSON value at offset " + std::to_string(n));
    return p.handler().st.release();
  } catch (const std::exception& e) {  // allocation failure, or a size limit of Boost.JSON
    return make_error(Errc::parse, where + ": cannot parse JSON: " + e.what());
  }
}

}  // namespace vigil::agent
