// Tests of the apt.conf(5) reader and of the parts-directory rule: strings
// in, statements or verdicts out, checked against what apt 2.6 does.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "apt_config.hpp"

using namespace vigil::collectors;

namespace {

// "set NAME=VALUE@LINE", "clear NAME@LINE", "include PATH@LINE" per statement.
std::vector<std::string> summary(const AptConfParse& p) {
  std::vector<std::string> out;
  for (const auto& s : p.statements) {
    using K = AptConfStatement::Kind;
    const char* kind = s.kind == K::set       ? "set "
                       : s.kind == K::clear   ? "clear "
                       : s.kind == K::include ? "include "
                                              : "index ";
    out.push_back(kind + s.name + (s.kind == K::set ? "=" + s.value : "") + "@" + std::to_string(s.line));
  }
  return out;
}

}  // namespace

TEST_CASE("parse_apt_conf reads statements as apt's ReadConfigFile does", "[apt_config]") {
  struct Case {
    std::string text;
    std::vector<std::string> statements;
    int error_line = 0;  // 0: no error
  };
  const std::vector<Case> cases{
      {"APT::Periodic::Unattended-Upgrade \"1\";", {"set APT::Periodic::Unattended-Upgrade=1@1"}},
      {"A::B 1;", {"set A::B=1@1"}},
      {"A { B \"v\"; C { D \"w\"; }; };", {"set A::B=v@1", "set A::C::D=w@1"}},
      {"L {\n \"x\";\n \"y\";\n};", {"set L::=x@2", "set L::=y@3"}},
      {"A::B:: \"x\";", {"set A::B::=x@1"}},
      {"A \"v\" { B \"w\"; };", {"set A=v@1", "set A::B=w@1"}},
      {"\"orphan\";", {"set =orphan@1"}},
      // comments in every form, and comment markers inside quotes
      {"A \"http://proxy:3128\"; // a comment", {"set A=http://proxy:3128@1"}},
      {"A \"x\"; # a comment \"quoted\"", {"set A=x@1"}},
      {"# APT::Periodic::Unattended-Upgrade \"1\";\nA \"1\";", {"set A=1@2"}},
      {"A \"a#b\";", {"set A=a#b@1"}},
      {"/* one */ A \"1\"; /* two\n still two */ B \"2\";", {"set A=1@1", "set B=2@2"}},
      {"A \"/* not a comment */\";", {"set A=/* not a comment */@1"}},
      {"/*\nA \"1\";\n*/\nB \"2\";", {"set B=2@4"}},
      {"//A \"1\";\nB /* inline */ \"2\";", {"set B=2@2"}},
      // values
      {"A \"a\" \"b\";", {"set A=a b@1"}},
      {"A\t\"a\tb\";", {"set A=a        b@1"}},
      {"A %41x;", {"set A=Ax@1"}},
      {"A \"%41\";", {"set A=%41@1"}},
      {"APT::Periodic::Unattended%2dUpgrade \"1\";", {"set APT::Periodic::Unattended-Upgrade=1@1"}},
      {"A\n  \"multi-line\";", {"set A=multi-line@1"}},
      {"A \"1\";\r\nB \"2\";\r\n", {"set A=1@1", "set B=2@2"}},
      {"A \"1\"; };\nB \"2\";", {"set A=1@1", "set B=2@2"}},
      {"A { B \"1\";", {"set A::B=1@1"}},  // an unclosed block at the end is no error for apt
      // directives
      {"#clear Unattended-Upgrade::Origins-Pattern;", {"clear Unattended-Upgrade::Origins-Pattern@1"}},
      {"#include \"/etc/apt/local.conf\";", {"include /etc/apt/local.conf@1"}},
      {"#include /etc/apt/local.d/;", {"include /etc/apt/local.d/@1"}},
      {"#x-apt-configure-index \"/usr/share/doc/apt/examples/configure-index\";",
       {"index /usr/share/doc/apt/examples/configure-index@1"}},
      {"#comment, not a directive\nA \"1\";", {"set A=1@2"}},
      // errors: apt stops reading the file at the first one
      {"A \"1\"\nB \"2\";", {}, 2},             // a missing ';' in the middle
      {"A \"1\";\nB \"2\"", {"set A=1@1"}, 2},  // a missing ';' at the end
      {"A \"x\" junk;", {}, 1},                 // extra junk after value
      {"A { #clear B; };", {}, 1},              // directives only at the top level
      {"#clearly \"x\";", {}, 1},               // a magic prefix, then an unknown directive
      {"#clear Unattended-Upgrade::Origins-Pattern\nA \"1\";", {}, 2},  // #clear needs its ';'
      {"{ \"x\"; };", {}, 1},                                           // block starts with no name
      {"#clear;", {}, 1},                                               // clear without a tree
      {"A \"unterminated;\nB \"2\";", {}, 2},                           // the quote swallowed the ';'
      {"A \"1\";\nB \"2\" C;\nD \"3\";", {"set A=1@1"}, 2},
  };
  for (const auto& c : cases) {
    INFO("text: " << c.text);
    const auto p = parse_apt_conf(c.text);
    CHECK(summary(p) == c.statements);
    if (c.error_line == 0) {
      CHECK_FALSE(p.error.has_value());
    } else {
      REQUIRE(p.error.has_value());
      CHECK(p.error->line == c.error_line);
      CHECK(p.error->message.find("syntax error") == 0);
    }
  }
}

TEST_CASE("parse_apt_conf survives NUL bytes, garbage and huge input", "[apt_config]") {
  static const char kNul[] = "A \"1\";\0B \"junk\";\nC \"2\";\n";
  const std::string nul(kNul, sizeof kNul - 1);
  auto p = parse_apt_conf(nul);
  CHECK(summary(p) == std::vector<std::string>{"set A=1@1", "set C=2@2"});
  REQUIRE(p.issues.size() == 1);
  CHECK(p.issues[0].line == 1);

  auto garbage = parse_apt_conf("\xff\xfe{{{;;;}}}\"\x01\x02\n\x80\x81 \"x\";");
  CHECK(garbage.error.has_value());  // some error, and no crash

  std::string big;
  for (int i = 0; i < 20000; ++i)
    big += "Unattended-Upgrade::Origins-Pattern:: \"o=" + std::to_string(i) + "\";\n";
  auto many = parse_apt_conf(big);
  CHECK(many.statements.size() == 20000);
  CHECK(many.statements.back().line == 20000);
  CHECK(parse_apt_conf(std::string(100000, '{')).error.has_value());

  // Hostile shapes stop at vigil's bounds (over_limit, not an apt error), in
  // linear time: deep blocks, a huge key, a line full of comment markers.
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "a {";
  const auto nested = parse_apt_conf(deep);
  CHECK(nested.over_limit.has_value());
  CHECK_FALSE(nested.error.has_value());
  CHECK(parse_apt_conf(std::string(5000, 'k') + " \"v\";").over_limit.has_value());
  std::string markers;
  for (int i = 0; i < 300000; ++i) markers += "\"//#/*";
  CHECK_FALSE(parse_apt_conf("A " + markers + ";").over_limit.has_value());
}

TEST_CASE("apt_conf_part follows GetListOfFilesInDir for apt.conf.d", "[apt_config]") {
  using V = AptPartVerdict;
  struct Case {
    std::string name;
    FileType type;
    V verdict;
  };
  const std::vector<Case> cases{
      {"20auto-upgrades", FileType::regular, V::read},
      {"50unattended-upgrades", FileType::regular, V::read},
      {"99local.conf", FileType::regular, V::read},
      {"a:b_c-d.e.conf", FileType::regular, V::read},
      {"conf", FileType::regular, V::read},
      {"99local.list", FileType::regular, V::ignored_notice},
      {"99local.CONF", FileType::regular, V::ignored_notice},
      {"50unattended-upgrades.ucf-dist", FileType::regular, V::ignored_quietly},
      {"20auto-upgrades.dpkg-old", FileType::regular, V::ignored_quietly},
      {"20auto-upgrades.dpkg-new2", FileType::regular, V::ignored_notice},
      {"local.bak", FileType::regular, V::ignored_quietly},
      {"LOCAL.BAK", FileType::regular, V::ignored_quietly},
      {"local.disabled", FileType::regular, V::ignored_quietly},
      {"local.save", FileType::regular, V::ignored_quietly},
      {"local.orig", FileType::regular, V::ignored_quietly},
      {"local.distUpgrade", FileType::regular, V::ignored_quietly},
      {"local~", FileType::regular, V::ignored_quietly},
      {".hidden", FileType::regular, V::ignored_quietly},
      {"has space", FileType::regular, V::ignored_quietly},
      {"caf\xc3\xa9", FileType::regular, V::ignored_quietly},
      {"trailing.", FileType::regular, V::ignored_quietly},
      {"subdir", FileType::directory, V::ignored_quietly},
      {"fifo", FileType::fifo, V::ignored_notice},
      {"zero", FileType::char_device, V::ignored_notice},
      {"fifo.bak", FileType::fifo, V::ignored_quietly},
      {"dangling", FileType::unknown, V::ignored_notice},
  };
  for (const auto& c : cases) {
    INFO("name: " << c.name);
    const auto d = apt_conf_part(c.name, c.type);
    CHECK(d.verdict == c.verdict);
    CHECK(d.reason.empty() == (c.verdict == V::read));
  }
}
