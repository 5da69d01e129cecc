// Tests of Debian version ordering and syntax against the cases dpkg and
// deb-version(7) document.
#include "debversion.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace vigil;

namespace {

int sign(int v) {
  return (v > 0) - (v < 0);
}

}  // namespace

TEST_CASE("deb_version_compare orders versions as dpkg does", "[debversion]") {
  struct Case {
    std::string a;
    std::string b;
    int order;  // sign of compare(a, b)
  };
  const std::string long_a(300, '9');
  const std::string long_b = "1" + std::string(300, '0');
  const std::vector<Case> cases{
      {"1.0~rc1", "1.0", -1},
      {"1.0", "1.0+b1", -1},
      {"1:0.1", "9.9", 1},
      {"1.0-1", "1.0-1.1", -1},
      {"1.2.3", "1.2.3", 0},
      {"0:1.2", "1.2", 0},
      {"00:1.2", "0:1.2", 0},
      {"1.0a", "1.0b", -1},
      {"1.0.0", "1.0", 1},
      {"2.0", "10.0", -1},
      {"1.0-1~bpo1", "1.0-1", -1},
      {"01", "1", 0},
      {"1.01", "1.1", 0},
      {"1.0", "1.0-0", 0},  // an absent revision compares like "0"
      {"1.0-0", "1.0-00", 0},
      {"1.0", "1.0-1", -1},
      // deb-version(7): ~~ < ~~a < ~ < the empty part < a, here after a digit run.
      {"1~~", "1~~a", -1},
      {"1~~a", "1~", -1},
      {"1~", "1", -1},
      {"1", "1a", -1},
      {"1~~", "1a", -1},
      // Letters before non-letters; '+' before '.' by ASCII among non-letters.
      {"1.0a", "1.0+", -1},
      {"1.0+", "1.0.", -1},
      {"1.0z", "1.0.", -1},
      {"1.0-a", "1.0-+", -1},
      // Revision split on the last '-', epoch on the first ':'.
      {"1.0-2-1", "1.0-2-2", -1},
      {"1.0-2-1", "1.0-10", 1},  // upstream 1.0-2 > 1.0
      {"2:1.0", "1:9.0", 1},
      {"1:1.0", "1:1.0", 0},
      {"10:1", "9:1", 1},
      // Debian's real security and backport versions.
      {"1:9.2p1-2+deb12u2", "1:9.2p1-2+deb12u3", -1},
      {"3.0.11-1~deb12u2", "3.0.11-1~deb12u2+b1", -1},
      {"2.36-9+deb12u4", "2.36-9+deb12u10", -1},
      {"5.2.15-2+b2", "5.2.15-2", 1},
      {"7.88.1-10+deb12u5", "7.88.1-10+deb12u5", 0},
      // Digit runs far past 64 bits compare numerically, not as overflowing integers.
      {long_a, long_b, -1},
      {"1." + long_a, "1." + long_a, 0},
      {"1." + long_b, "1.0000" + long_b, 0},
      {"1." + long_b + "1", "1." + long_b, 1},
      {"1:" + long_a, "2:1", -1},
      // Surrounding whitespace is not part of a version.
      {" 1.0 ", "1.0", 0},
      {"", "", 0},
      {"", "0", 0},
      {"", "~", 1},
  };
  for (const auto& c : cases) {
    INFO(c.a << " vs " << c.b);
    CHECK(sign(deb_version_compare(c.a, c.b)) == c.order);
    CHECK(sign(deb_version_compare(c.b, c.a)) == -c.order);
  }
}

TEST_CASE("deb_version_compare is a total order on a sorted list", "[debversion]") {
  const std::vector<std::string> sorted{"~~",      "~~a",  "~",       "",        "0.9",         "1.0~~",
                                        "1.0~rc1", "1.0",  "1.0-0.1", "1.0-1~1", "1.0-1",       "1.0-1+b1",
                                        "1.0-1.1", "1.0a", "1.0+b1",  "1.0.0",   "1.0.1",       "1.10",
                                        "2.0",     "10.0", "a",       "1:0.0.1", "1:0.1-1~bpo", "2:0"};
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    for (std::size_t j = 0; j < sorted.size(); ++j) {
      INFO(sorted[i] << " vs " << sorted[j]);
      CHECK(sign(deb_version_compare(sorted[i], sorted[j])) == (i < j ? -1 : (i > j ? 1 : 0)));
    }
  }
}

TEST_CASE("deb_version_check follows dpkg's syntax rules", "[debversion]") {
  struct Case {
    std::string v;
    DebVersionSyntax syntax;
    std::string reason;
  };
  const std::vector<Case> cases{
      {"1.0", DebVersionSyntax::ok, ""},
      {"1:9.2p1-2+deb12u3", DebVersionSyntax::ok, ""},
      {"2:1.0-rc1-3~bpo12+1", DebVersionSyntax::ok, ""},  // '-' in upstream when there is a revision
      {"1:2:3", DebVersionSyntax::ok, ""},                // ':' in upstream when there is an epoch
      {" 1.0\n", DebVersionSyntax::ok, ""},
      {"2147483647:1", DebVersionSyntax::ok, ""},
      {"a1.0", DebVersionSyntax::warning, "does not start with digit"},
      {"1:a1.0-1", DebVersionSyntax::warning, "does not start with digit"},
      {"", DebVersionSyntax::error, "version string is empty"},
      {"  ", DebVersionSyntax::error, "version string is empty"},
      {"1.0 1", DebVersionSyntax::error, "embedded spaces"},
      {":1.0", DebVersionSyntax::error, "epoch in version is empty"},
      {"a:1.0", DebVersionSyntax::error, "epoch in version is not number"},
      {"-1:1.0", DebVersionSyntax::error, "epoch in version is not number"},
      {"2147483648:1", DebVersionSyntax::error, "epoch in version is too big"},
      {"99999999999999999999:1", DebVersionSyntax::error, "epoch in version is too big"},
      {"1:", DebVersionSyntax::error, "nothing after colon"},
      {"1.0-", DebVersionSyntax::error, "revision number is empty"},
      {"-1", DebVersionSyntax::error, "version number is empty"},
      {"1:-1", DebVersionSyntax::error, "version number is empty"},
      {"1.0_1", DebVersionSyntax::error, "invalid character in version number"},
      {"1.0@", DebVersionSyntax::error, "invalid character in version number"},
      {"1.0-1=2", DebVersionSyntax::error, "invalid character in revision number"},
      {"1.0-1:2", DebVersionSyntax::error, "epoch in version is not number"},  // first colon
      {"1.0-1_2", DebVersionSyntax::error, "invalid character in revision number"},
      {"1.0\xc3\xa9", DebVersionSyntax::error, "invalid character in version number"},
  };
  for (const auto& c : cases) {
    INFO("'" << c.v << "'");
    auto check = deb_version_check(c.v);
    CHECK(check.syntax == c.syntax);
    CHECK_THAT(check.message, Catch::Contains(c.reason));
    CHECK(check.message.empty() == c.reason.empty());
    CHECK(deb_version_valid(c.v) == (c.syntax != DebVersionSyntax::error));
  }
}
