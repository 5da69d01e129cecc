// Text helpers used by every parser.
#include "strings.hpp"

#include <catch2/catch.hpp>

using namespace vigil;

TEST_CASE("split_lines strips CR and ignores a final newline", "[strings]") {
  CHECK(split_lines("a\r\nb\n").size() == 2);
  CHECK(split_lines("a\r\nb\n")[0] == "a");
  CHECK(split_lines("a\n\nb").size() == 3);
  CHECK(split_lines("").empty());
  CHECK(split_lines("x").size() == 1);
}

TEST_CASE("split, split_ws, trim, case", "[strings]") {
  CHECK(split("a::b", ':') == std::vector<std::string_view>{"a", "", "b"});
  CHECK(split("", ':').size() == 1);
  CHECK(split_ws(" \tPort  22 \t") == std::vector<std::string_view>{"Port", "22"});
  CHECK(trim("  x \r\n") == "x");
  CHECK(to_lower("PermitRootLogin") == "permitrootlogin");
  CHECK(iequals("UsePAM", "usepam"));
  CHECK_FALSE(iequals("UsePAM", "usepa"));
}

TEST_CASE("parse_int accepts whole decimal numbers only", "[strings]") {
  struct Case {
    const char* in;
    std::optional<std::int64_t> out;
  };
  const Case cases[] = {
      {"0", 0},           {"42", 42},           {"-7", -7},           {"+5", 5},
      {"", std::nullopt}, {"4x", std::nullopt}, {" 4", std::nullopt}, {"99999999999999999999", std::nullopt},
      {"+", std::nullopt}};
  for (const auto& c : cases) {
    INFO(c.in);
    CHECK(parse_int(c.in) == c.out);
  }
}

TEST_CASE("sanitize_utf8 keeps valid text and replaces bad bytes", "[strings]") {
  CHECK(sanitize_utf8("plain") == "plain");
  CHECK(sanitize_utf8("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(sanitize_utf8("a\xff"
                      "b") ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(sanitize_utf8("\xc0\xaf") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  CHECK(sanitize_utf8("\xed\xa0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(sanitize_utf8("\xe2\x82") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // truncated
  CHECK(sanitize_utf8("\xf0\x9f\x94\x92") == "\xf0\x9f\x94\x92");
}

TEST_CASE("octal modes", "[strings]") {
  CHECK(mode_octal(0640) == "0640");
  CHECK(mode_octal(04755) == "4755");
  CHECK(mode_octal(0100644) == "0644");
  CHECK(parse_octal_mode("0640") == 0640u);
  CHECK(parse_octal_mode("755") == 0755u);
  CHECK_FALSE(parse_octal_mode("0648").has_value());
  CHECK_FALSE(parse_octal_mode("").has_value());
  CHECK_FALSE(parse_octal_mode("07777x").has_value());
}

TEST_CASE("terminal_safe escapes controls, C1 and bidirectional overrides", "[strings]") {
  CHECK(terminal_safe("plain text") == "plain text");
  CHECK(terminal_safe("a\x1b[2Jb") == "a\\x1b[2Jb");
  CHECK(terminal_safe("x\ny") == "x\\x0ay");
  CHECK(terminal_safe("x\ny", true) == "x\ny");
  CHECK(terminal_safe("\xc2\x9b"
                      "31m") == "\\u{009b}31m");
  CHECK(terminal_safe("\xe2\x80\xae"
                      "abc") == "\\u{202e}abc");
  CHECK(terminal_safe("\xe2\x81\xa6") == "\\u{2066}");
  CHECK(terminal_safe("caf\xc3\xa9 \xe2\x80\x94") == "caf\xc3\xa9 \xe2\x80\x94");  // é and an em dash stay
  CHECK(terminal_safe("\xff") == "\xEF\xBF\xBD");
}
