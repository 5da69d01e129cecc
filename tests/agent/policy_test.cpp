// Policy packs: structure, Annex A ids, and messages that name file, line and check.
#include "policy.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace vigil::agent;

namespace {
const char* kGood = R"(id: demo
title: Demo pack
version: 1.0.0
parameters:
  max_tries: 4
  names: [telnetd, "rsh-server"]
  label: "4"
checks:
  - id: ssh.demo
    title: A demo check
    severity: high
    controls: { iso27001-2022: [A.8.5], iso27001-2013: [A.9.4.2] }
    applies_when: SELECT 1
    applies_to: every host
    query: SELECT 1 AS compliant
    on_empty: pass
    remediation: Fix it.
  - id: demo.second
    title: Another
    severity: low
    controls:
      iso27001-2022: A.5.17
    query: SELECT 1 AS compliant
    remediation: Fix it too.
)";

std::string with_check(const std::string& body) {
  return "id: p\ntitle: t\nversion: '1'\nchecks:\n" + body;
}
}  // namespace

TEST_CASE("a valid pack parses with parameters typed", "[policy]") {
  auto p = parse_policy(kGood, "demo.yaml");
  REQUIRE(p.ok());
  CHECK(p->id == "demo");
  REQUIRE(p->checks.size() == 2);
  const auto& c = p->checks[0];
  CHECK(c.severity == Severity::high);
  CHECK(c.controls_2022 == std::vector<std::string>{"A.8.5"});
  CHECK(c.controls_2013 == std::vector<std::string>{"A.9.4.2"});
  CHECK(c.on_empty == OnEmpty::pass);
  CHECK(c.line == 9);
  CHECK(p->checks[1].on_empty == OnEmpty::fail);
  CHECK(p->checks[1].controls_2022 == std::vector<std::string>{"A.5.17"});
  CHECK(std::get<std::int64_t>(p->parameters.at("max_tries")) == 4);
  CHECK(std::get<std::string>(p->parameters.at("names")) == R"(["telnetd","rsh-server"])");
  CHECK(std::get<std::string>(p->parameters.at("label")) == "4");  // quoted stays text
  CHECK(c.applies_to == "every host");
  CHECK(p->warnings.empty());
}

TEST_CASE("applies_to goes with applies_when", "[policy]") {
  const std::string base =
      "  - id: x\n    title: t\n    severity: low\n    controls: { iso27001-2022: [A.8.5] }\n"
      "    query: SELECT 1 AS compliant\n    remediation: r\n";
  auto without = parse_policy(with_check(base + "    applies_when: SELECT 1\n"), "a.yaml");
  REQUIRE(without.ok());
  REQUIRE(without->warnings.size() == 1);
  CHECK(without->warnings[0] ==
        "a.yaml:5: check x: applies_when without applies_to: a not_applicable verdict cannot say why");
  auto orphan = parse_policy(with_check(base + "    applies_to: hosts with sudo\n"), "b.yaml");
  REQUIRE_FALSE(orphan.ok());
  CHECK(orphan.error().message.find("check x: applies_to describes applies_when") != std::string::npos);
}

TEST_CASE("bad packs are refused with file, line, check and reason", "[policy]") {
  const std::string base_check =
      "  - id: c1\n    title: T\n    severity: high\n    controls: { iso27001-2022: [A.8.5] }\n"
      "    query: SELECT 1 AS compliant\n    remediation: R\n";
  struct Case {
    std::string yaml;
    std::string expect;
  };
  const Case cases[] = {
      {"id: [unclosed", "bad.yaml:1:"},
      {"- just\n- a list\n", "must be a YAML mapping"},
      {"id: p\ntitle: t\nversion: '1'\nchecks: []\n", "'checks' must be a non-empty list"},
      {"id: p\ntitle: t\nversion: '1'\nextra: 1\nchecks:\n" + base_check,
       "bad.yaml:4: unknown key 'extra' in policy pack"},
      {"id: P!\ntitle: t\nversion: '1'\nchecks:\n" + base_check, "pack id must be"},
      {with_check(base_check + base_check), "bad.yaml:11: check c1: duplicate check id"},
      {with_check("  - id: c1\n    title: T\n    severity: urgent\n    controls: { iso27001-2022: [A.8.5] }\n"
                  "    query: SELECT 1 AS compliant\n    remediation: R\n"),
       "check c1: severity 'urgent' is not one of"},
      {with_check("  - id: c1\n    title: T\n    severity: high\n    controls: { iso27001-2022: [A.8.99] }\n"
                  "    query: SELECT 1 AS compliant\n    remediation: R\n"),
       "check c1: unknown ISO/IEC 27001:2022 Annex A control 'A.8.99'"},
      {with_check("  - id: c1\n    title: T\n    severity: high\n    controls: { iso27001-2022: [A.8.5], "
                  "iso27001-2013: [A.9.9.9] }\n    query: SELECT 1 AS compliant\n    remediation: R\n"),
       "unknown ISO/IEC 27001:2013 Annex A control 'A.9.9.9'"},
      {with_check("  - id: c1\n    title: T\n    severity: high\n    controls: { iso27001-2013: [A.9.4.2] }\n"
                  "    query: SELECT 1 AS compliant\n    remediation: R\n"),
       "iso27001-2022 needs at least one control"},
      {with_check("  - id: c1\n    title: T\n    severity: high\n    controls: { iso27001-2022: [A.8.5] }\n"
                  "    query: SELECT 1 AS compliant\n    remediation: R\n    on_empty: not_applicable\n"),
       "on_empty cannot be not_applicable"},
      {with_check("  - id: c1\n    title: T\n    severity: high\n    controls: { iso27001-2022: [A.8.5] }\n"
                  "    query: SELECT 1 AS compliant\n    remediation: R\n    querry: x\n"),
       "bad.yaml:11: check c1: unknown key 'querry' in check"},
      {with_check("  - id: c1\n    title: T\n    severity: high\n    controls: { iso27001-2022: [A.8.5] }\n"
                  "    remediation: R\n"),
       "check c1: missing required key 'query'"},
      {with_check("  - id: c1\n    title: T\n    title: U\n    severity: high\n    controls: { "
                  "iso27001-2022: [A.8.5] }\n"
                  "    query: SELECT 1 AS compliant\n    remediation: R\n"),
       "duplicate key 'title'"},
      {"id: p\ntitle: t\nversion: '1'\nparameters:\n  Bad-Name: 1\nchecks:\n" + base_check,
       "parameter name 'Bad-Name'"},
      {"id: p\ntitle: t\nversion: '1'\nparameters:\n  scan_time: 0\nchecks:\n" + base_check,
       "bad.yaml:5: parameter name 'scan_time' is reserved"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    auto p = parse_policy(c.yaml, "bad.yaml");
    REQUIRE_FALSE(p.ok());
    INFO(p.error().message);
    CHECK(p.error().message.find(c.expect) != std::string::npos);
  }
}

TEST_CASE("a 2013 id that maps elsewhere is a warning, not an error", "[policy]") {
  auto p = parse_policy(
      with_check("  - id: c1\n    title: T\n    severity: high\n    controls: { iso27001-2022: [A.8.5], "
                 "iso27001-2013: [A.12.4.1] }\n    query: SELECT 1 AS compliant\n    remediation: R\n"),
      "w.yaml");
  REQUIRE(p.ok());
  REQUIRE(p->warnings.size() == 1);
  CHECK(p->warnings[0].find("A.12.4.1 maps to A.8.15") != std::string::npos);
}

TEST_CASE("the built-in baseline is valid and covers the access controls", "[policy]") {
  auto p = builtin_baseline();
  REQUIRE(p.ok());
  CHECK(p->checks.size() >= 15);
  auto all = builtin_packs();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].id == "linux-baseline");
  CHECK((*all)[1].id == "linux-filesystem");
  for (const auto& pack : *all) {
    INFO(pack.id);
    CHECK(pack.warnings.empty());
    for (const auto& c : pack.checks) {
      INFO(c.id);
      CHECK_FALSE(c.controls_2022.empty());
      CHECK_FALSE(c.controls_2013.empty());
      CHECK_FALSE(c.remediation.empty());
    }
  }
  CHECK(builtin_pack("builtin:linux-filesystem").ok());
  CHECK(builtin_pack("builtin:linux-filesystem.yaml").ok());
  auto unknown = builtin_pack("builtin:nope");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message ==
        "builtin:nope: no such built-in policy pack (built in: builtin:linux-baseline, "
        "builtin:linux-filesystem)");
}

TEST_CASE("load_policy_paths reads directories in order and refuses duplicates across packs", "[policy]") {
  vigil::test::TempDir d;
  std::string second = kGood;
  second.replace(second.find("id: demo"), 8, "id: other");
  d.write("/p/b.yaml", second);
  d.write("/p/a.yml", kGood);
  d.write("/p/readme.txt", "not a pack");
  auto packs = load_policy_paths({d.path() + "/p"});
  REQUIRE_FALSE(packs.ok());
  CHECK(packs.error().message.find("b.yaml:9: check ssh.demo: duplicate check id (also in") !=
        std::string::npos);

  CHECK(load_policy_paths({d.path() + "/missing"}).is(vigil::Errc::not_found));
  d.mkdir("/empty");
  CHECK_FALSE(load_policy_paths({d.path() + "/empty"}).ok());
  auto one = load_policy_paths({d.path() + "/p/a.yml"});
  REQUIRE(one.ok());
  CHECK(one->size() == 1);
}

TEST_CASE("parameters are typed as YAML 1.2 says, or refused", "[policy]") {
  auto pack = [](const std::string& params) {
    return "id: p\ntitle: t\nversion: '1'\nparameters:\n" + params +
           "checks:\n  - id: c1\n    title: T\n    severity: high\n    controls: { iso27001-2022: [A.8.5] }\n"
           "    query: SELECT 1 AS compliant\n    remediation: R\n";
  };
  auto ok = parse_policy(pack("  f: 4.5\n  e: 1e3\n  s: '4.5'\n  l: [1, 2.5, x]\n  t: true\n"), "p.yaml");
  REQUIRE(ok.ok());
  CHECK(std::get<double>(ok->parameters.at("f")) == 4.5);
  CHECK(std::get<double>(ok->parameters.at("e")) == 1000.0);
  CHECK(std::get<std::string>(ok->parameters.at("s")) == "4.5");
  CHECK(std::get<std::string>(ok->parameters.at("l")) == "[1,2.5E0,\"x\"]");
  CHECK(std::get<std::int64_t>(ok->parameters.at("t")) == 1);

  auto null = parse_policy(pack("  n: ~\n"), "p.yaml");
  REQUIRE_FALSE(null.ok());
  CHECK(null.error().message.find("p.yaml:5: parameter 'n' has no value (null)") != std::string::npos);
  auto huge = parse_policy(pack("  h: 99999999999999999999\n"), "p.yaml");
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().message.find("integer 99999999999999999999 is out of range") != std::string::npos);
}

TEST_CASE("aliases cannot blow a small file up into huge parameters", "[policy]") {
  std::string yaml =
      "id: p\ntitle: t\nversion: '1'\nparameters:\n  a: &big " + std::string(100000, 'x') + "\n  b: [";
  for (int i = 0; i < 200; ++i) yaml += (i ? ", " : "") + std::string("*big");
  yaml +=
      "]\nchecks:\n  - id: c1\n    title: T\n    severity: high\n    controls: { iso27001-2022: [A.8.5] }\n"
      "    query: SELECT 1 AS compliant\n    remediation: R\n";
  auto p = parse_policy(yaml, "p.yaml");
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().message.find("bytes in all") != std::string::npos);
}

TEST_CASE("policy files must be regular files", "[policy]") {
  vigil::test::TempDir d;
  const std::string fifo = d.path() + "/pack.yaml";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  auto r = load_policy_paths({fifo});  // must not block
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("not a regular file") != std::string::npos);
}
