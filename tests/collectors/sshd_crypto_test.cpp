// Tests of the sshd algorithm-list assembly (kex_assemble_names and the
// parse-time checks) and of the `sshd_crypto` table over fixture hosts. The
// expected lists are what Debian 12's ssh(1) 9.2p1-2+deb12u6 prints for
// `ssh -G -o KEYWORD=VALUE`: its readconf.c runs the same functions.
#include "sshd_crypto.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "strings.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;

namespace {

const SshdAlgorithmSet& set_of(std::string_view keyword) {
  static const std::vector<SshdAlgorithmSet> sets = sshd_algorithm_sets(true);
  for (const auto& s : sets) {
    if (s.keyword == keyword) return s;
  }
  FAIL("no set " << keyword);
  return sets.front();
}

std::string names(const SshdAlgorithmList& l) {
  std::vector<std::string> out;
  for (const auto& a : l.algorithms) out.push_back(a.name);
  return vigil::join(out, ",");
}

constexpr const char* kDefaultCiphers =
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
    "aes256-gcm@openssh.com";

}  // namespace

TEST_CASE("sshd_match_pattern_list follows match.c", "[sshd_crypto]") {
  CHECK(sshd_match_pattern_list("aes128-cbc", "*cbc") == 1);
  CHECK(sshd_match_pattern_list("aes128-cbc", "aes\?\?\?-cbc") == 1);
  CHECK(sshd_match_pattern_list("aes128-cbc", "aes\?\?-cbc") == 0);
  CHECK(sshd_match_pattern_list("aes128-cbc", "AES*") == 0);  // case-sensitive
  CHECK(sshd_match_pattern_list("aes128-cbc", "3des*,*cbc") == 1);
  CHECK(sshd_match_pattern_list("aes128-cbc", "*cbc,!aes128*") == -1);
  CHECK(sshd_match_pattern_list("aes128-cbc", "") == 0);
  // A pattern that would take exponential time in a naive matcher.
  CHECK(sshd_match_pattern_list("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b") == 0);
  CHECK(sshd_match_pattern_list("x", std::string(1100, '*')) == 0);  // a subpattern over 1023 bytes
}

TEST_CASE("assemble_sshd_algorithms matches ssh -G on Debian 12", "[sshd_crypto]") {
  struct Case {
    std::string keyword;
    std::string value;  // "" = unset
    std::string expected;
    bool accepted;
    std::string modifier;
  };
  const std::vector<Case> cases{
      {"ciphers", "", kDefaultCiphers, true, "default"},
      {"ciphers", "-*cbc,3des*", kDefaultCiphers, true, "remove"},
      {"ciphers", "-*cbc,3des*,chacha20-poly1305@openssh.com",
       "aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com", true, "remove"},
      {"ciphers", "+aes128-cbc,3des-cbc", std::string(kDefaultCiphers) + ",aes128-cbc,3des-cbc", true,
       "append"},
      {"ciphers", "+aes128-ctr", kDefaultCiphers, true, "append"},
      {"ciphers", "^aes256-gcm@openssh.com,aes128-cbc",
       "aes256-gcm@openssh.com,aes128-cbc,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
       "aes128-gcm@openssh.com",
       true, "prepend"},
      {"ciphers", "aes128-ctr,aes128-ctr,aes256-ctr", "aes128-ctr,aes256-ctr", true, "replace"},
      {"ciphers", "aes128-ctr,,bogus", "aes128-ctr", true, "replace"},  // the check stops at the empty field
      {"ciphers", "-", kDefaultCiphers, true, "remove"},
      {"ciphers", "-aes128-ctr,!aes256-ctr",
       "chacha20-poly1305@openssh.com,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
       true, "remove"},
      {"ciphers", "-*", "", true, "remove"},
      {"ciphers", "aes128-ctr,bogus", "aes128-ctr,bogus", false, "replace"},
      {"ciphers", "+aes*", std::string(kDefaultCiphers) + ",aes*", false, "append"},
      {"ciphers", "AES128-CTR", "AES128-CTR", false, "replace"},
      {"ciphers", "none", "none", false, "replace"},
      {"ciphers", "+", kDefaultCiphers, false, "append"},
      {"macs", "-hmac-sha1*,umac-64*",
       "umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
       "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512",
       true, "remove"},
      {"kexalgorithms", "-sntrup*,diffie-hellman-group14-sha256",
       "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-"
       "nistp521,"
       "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512",
       true, "remove"},
      {"kexalgorithms", "gss-gex-sha1-,curve25519-sha256", "curve25519-sha256", true, "replace"},
      {"kexalgorithms", "curve25519-sha256,diffie-hellman-group1-sha1x",
       "curve25519-sha256,diffie-hellman-group1-sha1x", false, "replace"},
      {"hostkeyalgorithms", "ssh-ed25519*,rsa-sha2-*",
       "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-"
       "512,"
       "rsa-sha2-512-cert-v01@openssh.com",
       true, "replace"},
      {"hostkeyalgorithms", "^ssh-rsa,ssh-ed25519",
       "ssh-rsa,ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"
       "ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,"
       "sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
       "rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ecdsa-sha2-nistp256,"
       "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh."
       "com,"
       "rsa-sha2-512,rsa-sha2-256",
       true, "prepend"},
      {"hostkeyalgorithms", "!ssh-rsa", "!ssh-rsa", false, "replace"},
      {"hostkeyalgorithms", "foo*", "foo*", false, "replace"},
      {"hostkeyalgorithms", ",ssh-ed25519", "ssh-ed25519", true, "replace"},
      {"hostkeyalgorithms", "ssh-ed25519,", "ssh-ed25519", true, "replace"},
      {"hostkeyalgorithms", ",", "", false, "replace"},
      {"pubkeyacceptedalgorithms", "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
       "webauthn-sk-ecdsa-sha2-nistp256@openssh.com", true, "replace"},
      {"casignaturealgorithms", "+ssh-rsa",
       "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
       "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
       true, "append"},
      // A certificate type is a valid key name but cannot sign: dropped.
      {"casignaturealgorithms", "+ssh-rsa-cert-v01@openssh.com",
       "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
       "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
       true, "append"},
  };
  for (const auto& c : cases) {
    INFO(c.keyword << " " << c.value);
    const auto list = assemble_sshd_algorithms(
        set_of(c.keyword), c.value.empty() ? std::nullopt : std::optional<std::string_view>(c.value));
    CHECK(names(list) == c.expected);
    CHECK(list.accepted == c.accepted);
    CHECK(list.modifier == c.modifier);
    if (!c.accepted) CHECK_FALSE(list.problems.empty());
  }
}

TEST_CASE("assemble_sshd_algorithms: where names come from", "[sshd_crypto]") {
  const auto l =
      assemble_sshd_algorithms(set_of("ciphers"), std::string_view("^aes256-gcm@openssh.com,aes128-cbc"));
  REQUIRE(l.algorithms.size() == 7);
  CHECK_FALSE(l.algorithms[0].from_default);  // moved first by the configuration
  CHECK_FALSE(l.algorithms[1].from_default);
  CHECK(l.algorithms[2].from_default);
  const auto plus = assemble_sshd_algorithms(set_of("ciphers"), std::string_view("+aes128-ctr,aes128-cbc"));
  REQUIRE(plus.algorithms.size() == 7);
  CHECK(plus.algorithms[1].from_default);  // aes128-ctr was already a default
  CHECK_FALSE(plus.algorithms[6].from_default);
  const auto bad = assemble_sshd_algorithms(set_of("ciphers"), std::string_view("aes128-ctr,bogus"));
  REQUIRE(bad.algorithms.size() == 2);
  CHECK(bad.algorithms[0].known);
  CHECK_FALSE(bad.algorithms[1].known);
  CHECK(vigil::join(bad.problems, "|").find("'bogus'") != std::string::npos);
}

TEST_CASE("sshd_algorithm_sets: the bare sntrup761x25519-sha512 name depends on the package",
          "[sshd_crypto]") {
  for (bool bare : {true, false}) {
    for (const auto& s : sshd_algorithm_sets(bare)) {
      if (s.keyword != "kexalgorithms") continue;
      REQUIRE_FALSE(s.defaults.empty());
      CHECK((s.defaults.front() == "sntrup761x25519-sha512") == bare);
      CHECK(s.defaults.size() == (bare ? 11u : 10u));
    }
  }
}

namespace {

std::vector<std::string> column(const vigil::test::CollectedTable& t, std::string_view keyword,
                                std::string_view col = "algorithm") {
  std::vector<std::string> out;
  for (auto r : t.rows_where("keyword", keyword)) out.push_back(t.text(r, col));
  return out;
}

}  // namespace

TEST_CASE("sshd_crypto on a stock Debian 12 host: the compiled-in lists", "[sshd_crypto]") {
  const auto t = vigil::test::collect_ok(vigil::test::fixture_host("sshd-debian12"), "sshd_crypto");
  CHECK(t.warned("/var/lib/dpkg/status", "version is unknown"));
  const auto ciphers = t.rows_where("keyword", "ciphers");
  REQUIRE(ciphers.size() == 6);
  for (std::size_t i = 0; i < ciphers.size(); ++i) {
    const auto r = ciphers[i];
    CHECK(t.integer(r, "position") == static_cast<std::int64_t>(i + 1));
    CHECK(t.integer(r, "from_default") == 1);
    CHECK(t.text(r, "modifier") == "default");
    CHECK(t.is_null(r, "value"));
    CHECK(t.is_null(r, "file"));
    CHECK(t.is_null(r, "line"));
    CHECK(t.integer(r, "known") == 1);
    CHECK(t.integer(r, "accepted") == 1);
  }
  CHECK(t.text(ciphers[0], "algorithm") == "chacha20-poly1305@openssh.com");
  CHECK(column(t, "macs").size() == 10);
  const auto kex = column(t, "kexalgorithms");
  REQUIRE(kex.size() == 11);
  CHECK(kex[0] == "sntrup761x25519-sha512");  // the current package's list
  CHECK(column(t, "hostkeyalgorithms").size() == 16);
  CHECK(column(t, "pubkeyacceptedalgorithms") == column(t, "hostkeyalgorithms"));
  CHECK(column(t, "hostbasedacceptedalgorithms").size() == 16);
  CHECK(column(t, "casignaturealgorithms").size() == 8);
  CHECK(t.rows.size() == 6 + 10 + 11 + 16 * 3 + 8);
}

TEST_CASE("sshd_crypto: '-' lists from a drop-in, an older package", "[sshd_crypto]") {
  const auto t = vigil::test::collect_ok(vigil::test::fixture_host("sshd-crypto-remove"), "sshd_crypto");
  CHECK(t.warnings.empty());
  CHECK(column(t, "ciphers") == std::vector<std::string>{"aes128-ctr", "aes192-ctr", "aes256-ctr",
                                                         "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"});
  CHECK(column(t, "macs") == std::vector<std::string>{"umac-128-etm@openssh.com",
                                                      "hmac-sha2-256-etm@openssh.com",
                                                      "hmac-sha2-512-etm@openssh.com", "umac-128@openssh.com",
                                                      "hmac-sha2-256", "hmac-sha2-512"});
  // 1:9.2p1-2+deb12u3 predates the bare sntrup761x25519-sha512 name.
  CHECK(column(t, "kexalgorithms") ==
        std::vector<std::string>{"sntrup761x25519-sha512@openssh.com", "curve25519-sha256",
                                 "curve25519-sha256@libssh.org", "diffie-hellman-group-exchange-sha256",
                                 "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512"});
  CHECK(column(t, "hostkeyalgorithms") ==
        std::vector<std::string>{"ssh-ed25519-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com",
                                 "rsa-sha2-256-cert-v01@openssh.com", "ssh-ed25519", "rsa-sha2-512",
                                 "rsa-sha2-256"});
  for (auto r : t.rows_where("keyword", "ciphers")) {
    CHECK(t.text(r, "modifier") == "remove");
    CHECK(t.text(r, "value") == "-*cbc,3des*,chacha20-poly1305@openssh.com");
    CHECK(t.text(r, "file") == "/etc/ssh/sshd_config.d/50-crypto.conf");
    CHECK(t.integer(r, "line") == 2);
    CHECK(t.integer(r, "from_default") == 1);
  }
  CHECK(column(t, "pubkeyacceptedalgorithms").size() == 16);  // untouched
}

TEST_CASE("sshd_crypto: '^', '+', patterns, a refused list, Match blocks not applied", "[sshd_crypto]") {
  const auto t = vigil::test::collect_ok(vigil::test::fixture_host("sshd-crypto-modifiers"), "sshd_crypto");
  CHECK(column(t, "ciphers") == std::vector<std::string>{"aes256-gcm@openssh.com", "aes256-ctr",
                                                         "chacha20-poly1305@openssh.com", "aes128-ctr",
                                                         "aes192-ctr", "aes128-gcm@openssh.com"});
  CHECK(column(t, "ciphers", "modifier").front() == "prepend");
  const auto macs = column(t, "macs");
  REQUIRE(macs.size() == 11);
  CHECK(macs.back() == "hmac-sha1-96");
  const auto hostkeys = column(t, "hostkeyalgorithms");
  REQUIRE(hostkeys.size() == 18);
  CHECK(hostkeys[16] == "ssh-rsa");
  CHECK(hostkeys[17] == "ssh-rsa-cert-v01@openssh.com");
  // The Match User block's '+ssh-rsa' is not applied: global configuration only.
  CHECK(column(t, "pubkeyacceptedalgorithms") ==
        std::vector<std::string>{"ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "rsa-sha2-512"});
  const auto ca = column(t, "casignaturealgorithms");
  REQUIRE(ca.size() == 9);
  CHECK(ca.back() == "ssh-rsa");
  CHECK(t.warned("/etc/ssh/sshd_config.d/10-keys.conf:3", "ssh-rsa-cert-v01@openssh.com"));
  const auto kex = t.rows_where("keyword", "kexalgorithms");
  REQUIRE(kex.size() == 2);
  CHECK(t.text(kex[1], "algorithm") == "diffie-hellman-group1-sha1x");
  CHECK(t.integer(kex[1], "known") == 0);
  CHECK(t.integer(kex[0], "known") == 1);
  for (auto r : kex) CHECK(t.integer(r, "accepted") == 0);
  CHECK(t.warned("/etc/ssh/sshd_config.d/10-keys.conf:4", "sshd refuses to start"));
  for (auto r : t.rows_where("keyword", "ciphers")) CHECK(t.integer(r, "accepted") == 1);
}

TEST_CASE("sshd_crypto: an empty list, extra words, an absent configuration", "[sshd_crypto]") {
  vigil::test::TempDir dir;
  dir.write("etc/ssh/sshd_config", "Ciphers -*\r\nMACs hmac-sha2-256 hmac-sha2-512\r\n");
  const auto t = vigil::test::collect_ok(dir.path(), "sshd_crypto");
  const auto ciphers = t.rows_where("keyword", "ciphers");
  REQUIRE(ciphers.size() == 1);
  CHECK(t.integer(ciphers[0], "position") == 0);
  CHECK(t.is_null(ciphers[0], "algorithm"));
  CHECK(t.integer(ciphers[0], "accepted") == 1);
  CHECK(t.warned("/etc/ssh/sshd_config:1", "no client can agree"));
  const auto macs = t.rows_where("keyword", "macs");
  REQUIRE(macs.size() == 1);
  CHECK(t.text(macs[0], "algorithm") == "hmac-sha2-256");
  CHECK(t.integer(macs[0], "accepted") == 0);
  CHECK(t.warned("/etc/ssh/sshd_config:2", "extra arguments"));

  vigil::test::TempDir empty;
  empty.mkdir("etc");
  const auto none = vigil::test::collect_ok(empty.path(), "sshd_crypto");
  CHECK(none.warned("/etc/ssh/sshd_config", "absent"));
  CHECK(none.rows_where("keyword", "ciphers").size() == 6);
}
