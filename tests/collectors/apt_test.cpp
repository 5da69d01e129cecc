// Tests of the APT sources parsers (one-line and deb822) and of the
// `apt_sources` table.
#include "apt.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::test::collect_ok;
using vigil::test::fixture_host;

namespace {

bool has_issue(const std::vector<ParseIssue>& issues, int line, const std::string& part) {
  for (const auto& i : issues) {
    if (i.line == line && i.message.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("parse_sources_list reads one-line entries and their options", "[apt]") {
  std::vector<ParseIssue> issues;
  auto s = parse_sources_list(
      "# comment\n"
      "deb http://deb.debian.org/debian bookworm main contrib  # trailing comment\n"
      "\n"
      "deb-src [ arch=amd64,i386 signed-by=/usr/share/keyrings/k.gpg ] http://deb.debian.org/debian bookworm "
      "main\r\n"
      "deb [trusted=yes] http://example.invalid/ stable main\n"
      "  deb\t[arch+=arm64 trusted=no]\thttp://x.invalid/debian ./\n",
      &issues);
  CHECK(issues.empty());
  REQUIRE(s.size() == 4);
  CHECK(s[0].type == "deb");
  CHECK(s[0].uri == "http://deb.debian.org/debian");
  CHECK(s[0].suite == "bookworm");
  CHECK(s[0].components == "main contrib");
  CHECK_FALSE(s[0].trusted);
  CHECK_FALSE(s[0].signed_by.has_value());
  CHECK_FALSE(s[0].architectures.has_value());
  CHECK(s[0].enabled);
  CHECK(s[0].line == 2);
  CHECK(s[1].type == "deb-src");
  CHECK(s[1].architectures == "amd64 i386");
  CHECK(s[1].signed_by == "/usr/share/keyrings/k.gpg");
  CHECK(s[1].components == "main");
  CHECK(s[1].line == 4);
  CHECK(s[2].trusted);
  CHECK(s[2].uri == "http://example.invalid/");
  CHECK(s[2].suite == "stable");
  CHECK(s[3].suite == "./");  // an exact path takes no components
  CHECK(s[3].components.empty());
  CHECK(s[3].architectures == "arm64");
  CHECK_FALSE(s[3].trusted);
}

TEST_CASE("parse_sources_list skips what apt refuses, with a reason", "[apt]") {
  struct Case {
    const char* what;
    std::string text;
    std::string reason;
  };
  const std::vector<Case> cases{
      {"unknown type", "rpm http://x.invalid/ stable main\n", "type 'rpm' is not known"},
      {"no suite", "deb http://x.invalid/\n", "no URI or no suite"},
      {"no components", "deb http://x.invalid/ stable\n", "has no components"},
      {"exact path with components", "deb http://x.invalid/ stable/ main\n", "exact path but has components"},
      {"unclosed options", "deb [trusted=yes http://x.invalid/ stable main\n", "no closing ']'"},
      {"option without =", "deb [trusted] http://x.invalid/ stable main\n", "not key=value"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    std::vector<ParseIssue> issues;
    CHECK(parse_sources_list(c.text, &issues).empty());
    CHECK(has_issue(issues, 1, c.reason));
  }
  std::vector<ParseIssue> issues;
  auto s = parse_sources_list("deb [trusted=maybe] http://x.invalid/ stable main\n", &issues);
  REQUIRE(s.size() == 1);
  CHECK_FALSE(s[0].trusted);
  CHECK(has_issue(issues, 1, "not a boolean"));
}

TEST_CASE("parse_sources_deb822 expands every type, URI and suite", "[apt]") {
  std::vector<ParseIssue> issues;
  auto s = parse_sources_deb822(
      "# Debian\n"
      "Types: deb deb-src\n"
      "URIs: http://deb.debian.org/debian\n"
      "Suites: bookworm\n"
      " bookworm-updates\n"
      "# a comment inside the stanza\n"
      "Components: main non-free-firmware\n"
      "signed-by: /usr/share/keyrings/debian-archive-keyring.gpg\n"
      "\n"
      "Types: deb\r\n"
      "URIs: https://a.invalid/ https://b.invalid/\r\n"
      "Suites: ./\r\n"
      "Enabled: no\r\n"
      "Trusted: yes\r\n"
      "Architectures: amd64 arm64\r\n",
      &issues);
  CHECK(issues.empty());
  REQUIRE(s.size() == 6);
  CHECK(s[0].type == "deb");
  CHECK(s[0].suite == "bookworm");
  CHECK(s[1].type == "deb");
  CHECK(s[1].suite == "bookworm-updates");
  CHECK(s[2].type == "deb-src");
  CHECK(s[3].suite == "bookworm-updates");
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(s[i].components == "main non-free-firmware");
    CHECK(s[i].signed_by == "/usr/share/keyrings/debian-archive-keyring.gpg");
    CHECK(s[i].enabled);
    CHECK_FALSE(s[i].trusted);
    CHECK(s[i].line == 2);
  }
  CHECK(s[4].uri == "https://a.invalid/");
  CHECK(s[5].uri == "https://b.invalid/");
  CHECK_FALSE(s[5].enabled);
  CHECK(s[5].trusted);
  CHECK(s[5].components.empty());
  CHECK(s[5].architectures == "amd64 arm64");
  CHECK(s[5].line == 10);
}

TEST_CASE("parse_sources_deb822 reports an inline key and bad stanzas", "[apt]") {
  std::vector<ParseIssue> issues;
  auto s = parse_sources_deb822(
      "Types: deb\nURIs: https://repo.invalid/\nSuites: stable\nComponents: main\n"
      "Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mDMEZfakekey\n "
      "-----END PGP PUBLIC KEY BLOCK-----\n\n"
      "URIs: https://no-types.invalid/\nSuites: stable\nComponents: main\n\n"
      "Types: deb rpm\nURIs: https://x.invalid/\nSuites: stable\nEnabled: perhaps\n",
      &issues);
  REQUIRE(s.size() == 1);
  CHECK(s[0].signed_by == "(embedded key)");
  CHECK(has_issue(issues, 11, "without Types, URIs or Suites"));
  CHECK(has_issue(issues, 15, "type 'rpm' is not known"));
  CHECK(has_issue(issues, 15, "has no components"));
  CHECK(has_issue(issues, 15, "Enabled is not a boolean"));
}

TEST_CASE("apt_sources on Debian 12's deb822 sources", "[apt]") {
  auto t = collect_ok(fixture_host("apt-debian12"), "apt_sources");
  CHECK(t.warnings.empty());
  REQUIRE(t.rows.size() == 4);
  const std::string file = "/etc/apt/sources.list.d/debian.sources";
  CHECK(t.text(0, "type") == "deb");
  CHECK(t.text(0, "uri") == "http://deb.debian.org/debian");
  CHECK(t.text(0, "suite") == "bookworm");
  CHECK(t.text(1, "suite") == "bookworm-updates");
  CHECK(t.text(2, "uri") == "http://security.debian.org/debian-security");
  CHECK(t.text(2, "suite") == "bookworm-security");
  CHECK(t.text(2, "components") == "main non-free-firmware");
  CHECK(t.integer(2, "line") == 8);
  CHECK(t.text(3, "type") == "deb-src");
  CHECK(t.integer(3, "enabled") == 0);
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    CHECK(t.integer(i, "trusted") == 0);
    CHECK(t.text(i, "signed_by") == "/usr/share/keyrings/debian-archive-keyring.gpg");
    CHECK(t.is_null(i, "architectures"));
    CHECK(t.text(i, "file") == file);
    if (i < 3) CHECK(t.integer(i, "enabled") == 1);
  }
}

TEST_CASE("apt_sources finds a trusted=yes one-line entry", "[apt]") {
  auto t = collect_ok(fixture_host("apt-insecure"), "apt_sources");
  REQUIRE(t.rows.size() == 1);
  CHECK(t.text(0, "uri") == "http://example.invalid/");
  CHECK(t.text(0, "suite") == "stable");
  CHECK(t.text(0, "components") == "main");
  CHECK(t.integer(0, "trusted") == 1);
  CHECK(t.is_null(0, "signed_by"));
  CHECK(t.text(0, "file") == "/etc/apt/sources.list");
  CHECK(t.integer(0, "line") == 2);
}

TEST_CASE("apt_sources reads parts in order, skips names apt ignores, warns on bad lines", "[apt]") {
  vigil::test::TempDir dir;
  dir.write("etc/apt/sources.list", "deb http://main.invalid/ stable main\n");
  dir.write("etc/apt/sources.list.d/b.sources", "Types: deb\nURIs: http://b.invalid/\nSuites: stable\n");
  dir.write("etc/apt/sources.list.d/a.list", "deb http://a.invalid/ stable main\n");
  dir.write("etc/apt/sources.list.d/old.list~", "deb http://tilde.invalid/ stable main\n");
  dir.write("etc/apt/sources.list.d/c d.list", "deb http://space.invalid/ stable main\n");
  dir.write("etc/apt/sources.list.d/z.list.disabled", "deb http://disabled.invalid/ stable main\n");
  auto t = collect_ok(dir.path(), "apt_sources");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.text(0, "uri") == "http://main.invalid/");
  CHECK(t.text(1, "uri") == "http://a.invalid/");
  CHECK(t.warned("/etc/apt/sources.list.d/b.sources:1", "has no components"));
  CHECK(t.warned("/etc/apt/sources.list.d/c d.list", "characters apt does not accept"));

  vigil::test::TempDir empty;
  empty.mkdir("etc");
  auto none = collect_ok(empty.path(), "apt_sources");
  CHECK(none.rows.empty());
  CHECK(none.warned("/etc/apt", "apt has no sources"));
}
