// lib/log: the line format journald and people read.
#include "log.hpp"

#include <catch2/catch.hpp>

using vigil::log::format_line;
using vigil::log::Level;

TEST_CASE("log lines: level words, or syslog prefixes for the journal", "[log]") {
  CHECK(format_line(Level::info, "vigil-store", false, "listening", {{"port", "8443"}}) ==
        "vigil-store: info: event=listening port=8443");
  CHECK(format_line(Level::warning, "vigil-store", true, "overloaded", {{"connections", "512"}}) ==
        "<4>vigil-store: event=overloaded connections=512");
  CHECK(format_line(Level::error, "v", true, "e", {}) == "<3>v: event=e");
  CHECK(format_line(Level::debug, "v", true, "e", {}) == "<7>v: event=e");
  CHECK(format_line(Level::info, "v", true, "e", {}) == "<6>v: event=e");
}

TEST_CASE("log values with spaces, quotes or control characters are quoted", "[log]") {
  struct Case {
    std::string value, expected;
  };
  const Case cases[] = {
      {"plain", "k=plain"},
      {"two words", "k=\"two words\""},
      {"say \"hi\"", "k=\"say \\\"hi\\\"\""},
      {"a=b", "k=\"a=b\""},
      {"back\\slash", "k=\"back\\\\slash\""},
      {"line\nbreak", "k=\"line\\nbreak\""},  // a newline must not start a forged line
      {std::string("nul\0x", 5), "k=\"nul\\x00x\""},
      {"", "k=\"\""},
  };
  for (const auto& c : cases) {
    INFO(c.value);
    CHECK(format_line(Level::info, "p", false, "e", {{"k", c.value}}) == "p: info: event=e " + c.expected);
  }
}

TEST_CASE("log levels parse by name and filter", "[log]") {
  CHECK(*vigil::log::parse_level("debug") == Level::debug);
  CHECK(*vigil::log::parse_level("error") == Level::error);
  auto bad = vigil::log::parse_level("loud");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("loud"));
  vigil::log::set_level(Level::warning);
  CHECK_FALSE(vigil::log::enabled(Level::info));
  CHECK(vigil::log::enabled(Level::error));
  vigil::log::set_level(Level::info);
  CHECK(vigil::log::enabled(Level::info));
  CHECK_FALSE(vigil::log::enabled(Level::debug));
}
