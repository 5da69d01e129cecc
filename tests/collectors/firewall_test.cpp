// Tests of the packet-filter parsers and classification over real captured
// `nft -j list ruleset` and iptables-save output (tests/fixtures/firewall,
// see its README), of the ufw/firewalld settings readers, and of the
// `firewall` and `firewall_chains` tables on fixture roots.
#include "firewall.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "collector.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::Errc;

namespace {

std::string capture(std::string_view name) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/tests/fixtures/firewall/" + std::string(name),
                   std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "family table name hook policy rules/drop_rules final targets" per chain.
std::vector<std::string> summary(const std::vector<FirewallChain>& chains) {
  std::vector<std::string> out;
  for (const auto& c : chains) {
    std::string t;
    for (const auto& x : c.targets) t += ">" + x;
    out.push_back(c.family + " " + c.table + " " + c.name + " " + (c.hook.empty() ? "-" : c.hook) + " " +
                  (c.policy.empty() ? "-" : c.policy) + " " + std::to_string(c.rules) + "/" +
                  std::to_string(c.drop_rules) + (c.final_drop ? " final" : "") + t);
  }
  return out;
}

const FirewallChain& chain(const std::vector<FirewallChain>& chains, std::string_view name) {
  for (const auto& c : chains) {
    if (c.name == name) return c;
  }
  FAIL("no chain " << name);
  return chains.front();
}

CommandRun ok(std::string command) {
  return CommandRun{CommandRun::State::ok, std::move(command), ""};
}
CommandRun absent(std::string command) {
  return CommandRun{CommandRun::State::absent, std::move(command), "not installed"};
}

FirewallInputs live_nft(std::string_view file) {
  FirewallInputs in;
  in.live = true;
  in.root = "/";
  in.nft = ok("/usr/sbin/nft -j list ruleset");
  auto parsed = parse_nft_json(capture(file));
  REQUIRE(parsed.ok());
  in.nft_chains = parsed->chains;
  in.ipt[0] = absent("/usr/sbin/iptables-save");
  in.ipt[1] = absent("/usr/sbin/ip6tables-save");
  return in;
}

std::vector<FirewallVerdict> classify(FirewallInputs& in) {
  std::vector<FirewallChain> chains = in.nft_chains;
  for (int f = 0; f < 2; ++f)
    chains.insert(chains.end(), in.ipt_result[f].chains.begin(), in.ipt_result[f].chains.end());
  return classify_firewall(in, chains);
}

std::string tri(const std::optional<bool>& b) {
  return b ? (*b ? "1" : "0") : "NULL";
}

}  // namespace

TEST_CASE("parse_nft_json reads chains, policies and verdicts of real rulesets", "[firewall]") {
  struct Case {
    std::string file;
    std::vector<std::string> chains;
  };
  const std::vector<Case> cases{
      {"empty.json", {}},
      {"debian-default.json",
       {"inet filter input input accept 0/0", "inet filter forward forward accept 0/0",
        "inet filter output output accept 0/0"}},
      {"drop-policy.json",
       {"inet filter input input drop 0/0", "inet filter forward forward drop 0/0",
        "inet filter output output accept 0/0"}},
      {"established-drop.json",
       {"inet filter tcp_in - - 2/1", "inet filter input input accept 7/3 final>tcp_in",
        "inet filter output output accept 0/0", "ip nat postrouting postrouting accept 1/0",
        "ip6 raw prerouting prerouting accept 1/0"}},
      {"reject-last.json", {"ip filter6 input input accept 2/1 final"}},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    auto r = parse_nft_json(capture(c.file));
    REQUIRE(r.ok());
    CHECK(r->version == "1.0.6");
    CHECK(summary(r->chains) == c.chains);
    CHECK(r->issues.empty());
  }
  auto r = parse_nft_json(capture("established-drop.json"));
  REQUIRE(r.ok());
  const auto& input = chain(r->chains, "input");
  CHECK(input.type == "filter");
  CHECK(input.priority == 0);
  CHECK(input.source == "nft");
  CHECK(chain(r->chains, "tcp_in").priority == std::nullopt);
  CHECK(chain(parse_nft_json(capture("reject-last.json"))->chains, "input").priority == 10);
}

TEST_CASE("parse_nft_json on iptables-nft's tables (ufw)", "[firewall]") {
  auto r = parse_nft_json(capture("ufw-nft.json"));
  REQUIRE(r.ok());
  std::vector<std::string> bases;
  for (const auto& c : r->chains) {
    if (!c.hook.empty()) bases.push_back(c.family + " " + c.table + " " + c.name + " " + c.policy);
  }
  CHECK(bases == std::vector<std::string>{"ip filter INPUT drop", "ip filter OUTPUT accept",
                                          "ip filter FORWARD drop", "ip6 filter INPUT drop",
                                          "ip6 filter OUTPUT accept", "ip6 filter FORWARD drop"});
  const auto& user = chain(r->chains, "ufw-user-input");
  CHECK(user.rules == 2);
  CHECK(user.drop_rules == 1);  // deny 23/tcp
  CHECK_FALSE(user.final_drop);
  // xt matches (conntrack) are conditions: the INVALID drop is not a catch-all.
  const auto& before = chain(r->chains, "ufw-before-input");
  CHECK(before.drop_rules == 1);
  CHECK_FALSE(before.final_drop);
  CHECK(chain(r->chains, "ufw-skip-to-policy-input").final_drop);
}

TEST_CASE("parse_nft_json refuses what is not the schema, without crashing", "[firewall]") {
  const std::vector<std::string> bad{
      "",
      "not json",
      "{\"nftables\": 3}",
      "[1,2,3]",
      "{\"other\": []}",
      std::string(100000, '['),
      "{\"nftables\": [" + std::string(5000, '{'),
      std::string("{\"nftables\":[\x01\xff]}"),
  };
  for (const auto& text : bad) {
    INFO(text.substr(0, 40));
    auto r = parse_nft_json(text);
    CHECK(r.is(Errc::parse));
  }
  // Unknown objects and odd members are skipped, not fatal.
  auto r = parse_nft_json(
      R"({"nftables":[5,{"chain":{"family":"inet","table":"t","name":"in","hook":"input","prio":"filter"}},)"
      R"({"rule":{"family":"inet","table":"t","chain":"gone","expr":[{"drop":null}]}},)"
      R"({"rule":{"family":"inet","table":"t","chain":"in","expr":{"drop":null}}},)"
      R"({"flowtable":{"name":"f"}}]})");
  REQUIRE(r.ok());
  REQUIRE(r->chains.size() == 1);
  CHECK(r->chains[0].policy == "accept");        // no policy member: nft's default
  CHECK(r->chains[0].priority == std::nullopt);  // a named priority is not a number
  CHECK(r->chains[0].rules == 1);
  CHECK(r->chains[0].drop_rules == 1);
  CHECK_FALSE(r->chains[0].final_drop);  // expr not an array
  CHECK(r->issues.size() == 2);
}

TEST_CASE("parse_iptables_save reads ufw's chains", "[firewall]") {
  auto s = parse_iptables_save(capture("ufw-iptables-save.txt"), "iptables-save", "ip");
  CHECK(s.backend == "nf_tables");
  CHECK_FALSE(s.legacy_tables_warning);
  CHECK(s.issues.empty());
  const auto& input = chain(s.chains, "INPUT");
  CHECK(input.hook == "input");
  CHECK(input.policy == "drop");
  CHECK(input.rules == 6);
  CHECK(input.line == 3);
  CHECK(input.targets == std::vector<std::string>{"ufw-before-logging-input", "ufw-before-input",
                                                  "ufw-after-input", "ufw-after-logging-input",
                                                  "ufw-reject-input", "ufw-track-input"});
  CHECK(chain(s.chains, "OUTPUT").policy == "accept");
  const auto& user = chain(s.chains, "ufw-user-input");
  CHECK(user.hook.empty());
  CHECK(user.policy.empty());
  CHECK(user.drop_rules == 1);
  CHECK(chain(s.chains, "ufw-not-local").final_drop);
  CHECK(chain(s.chains, "ufw-user-limit").final_drop);  // -j REJECT --reject-with ...
  CHECK_FALSE(chain(s.chains, "ufw-before-input").final_drop);

  auto six = parse_iptables_save(capture("ufw-ip6tables-save.txt"), "ip6tables-save", "ip6");
  CHECK(chain(six.chains, "INPUT").policy == "drop");
  CHECK(chain(six.chains, "INPUT").family == "ip6");
}

TEST_CASE("parse_iptables_save reads a legacy ruleset and odd lines", "[firewall]") {
  auto s = parse_iptables_save(capture("legacy-iptables-save.txt"), "iptables-save", "ip");
  CHECK(s.backend == "legacy");
  CHECK(summary(s.chains) ==
        std::vector<std::string>{"ip filter INPUT input drop 3/0", "ip filter FORWARD forward accept 0/0",
                                 "ip filter OUTPUT output accept 0/0", "ip filter LOGDROP - - 2/1 final"});

  struct Case {
    std::string rule;
    int drops;
    bool final_drop;
  };
  const std::vector<Case> cases{
      {"-A INPUT -j DROP", 1, true},
      {"-A INPUT -m comment --comment \"default \\\"deny\\\"\" -j REJECT --reject-with icmp-host-prohibited",
       1, true},
      {"[12:3400] -A INPUT -j DROP", 1, true},
      {"-A INPUT -s 10.0.0.0/8 -j DROP", 1, false},
      {"-A INPUT -p tcp --dport 22 -j ACCEPT", 0, false},
      {"-A INPUT -j LOG --log-prefix \"-j DROP\"", 0, false},
      {"-A INPUT -g X", 0, false},
  };
  for (const auto& c : cases) {
    INFO(c.rule);
    auto p =
        parse_iptables_save("*filter\r\n:INPUT ACCEPT [0:0]\r\n:X - [0:0]\r\n" + c.rule + "\r\nCOMMIT\r\n",
                            "iptables-save", "ip");
    CHECK(p.issues.empty());
    const auto& in = chain(p.chains, "INPUT");
    CHECK(in.rules == 1);
    CHECK(in.drop_rules == c.drops);
    CHECK(in.final_drop == c.final_drop);
  }
  auto p = parse_iptables_save(
      "-A INPUT -j DROP\n*filter\n:INPUT DROP [0:0]\n-A NOPE -j DROP\ngarbage\n\x01\xff\nCOMMIT\n",
      "iptables-save", "ip");
  CHECK(p.issues.size() == 4);
  CHECK(p.backend.empty());
  REQUIRE(p.chains.size() == 1);
  CHECK(p.chains[0].rules == 0);
}

TEST_CASE("classify_firewall: which rulesets filter input", "[firewall]") {
  struct Case {
    std::string file;
    std::string ip;  // "state input_filtered default_deny input_chains"
    std::string ip6;
  };
  const std::vector<Case> cases{
      {"empty.json", "inactive 0 0 0", "inactive 0 0 0"},
      {"debian-default.json", "inactive 0 0 1", "inactive 0 0 1"},
      {"drop-policy.json", "active 1 1 1", "active 1 1 1"},
      {"established-drop.json", "active 1 1 1", "active 1 1 1"},
      {"reject-last.json", "active 1 1 1", "inactive 0 0 0"},
      {"ufw-nft.json", "active 1 1 1", "active 1 1 1"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    auto in = live_nft(c.file);
    auto v = classify(in);
    REQUIRE(v.size() == 2);
    auto line = [](const FirewallVerdict& x) {
      return x.state + " " + tri(x.input_filtered) + " " + tri(x.default_deny) + " " +
             (x.input_chains ? std::to_string(*x.input_chains) : "NULL");
    };
    CHECK(v[0].family == "ip");
    CHECK(line(v[0]) == c.ip);
    CHECK(v[1].family == "ip6");
    CHECK(line(v[1]) == c.ip6);
    CHECK(v[0].commands == "/usr/sbin/nft -j list ruleset");
    CHECK(v[0].reason.empty());
  }
  auto in = live_nft("established-drop.json");
  std::vector<FirewallChain> chains = in.nft_chains;
  auto v = classify_firewall(in, chains);
  CHECK(v[0].evidence ==
        "nft inet filter tcp_in: 1 drop/reject rule; nft inet filter input: last rule drops or rejects "
        "everything "
        "left; nft inet filter input: 3 drop/reject rules");
  CHECK(chain(chains, "tcp_in").from_input);
  CHECK_FALSE(chain(chains, "output").from_input);
}

TEST_CASE("classify_firewall: a drop rule reached by jump filters, accept policies alone do not",
          "[firewall]") {
  FirewallInputs in = live_nft("empty.json");
  in.ipt[0] = ok("/usr/sbin/iptables-save");
  // ufw with DEFAULT_INPUT_POLICY=ACCEPT: the policy accepts, a user rule denies.
  in.ipt_result[0] = parse_iptables_save(
      "# Generated by iptables-save v1.8.9 (nf_tables) on Wed Dec  2 05:24:02 2026\n*filter\n:INPUT ACCEPT "
      "[0:0]\n"
      ":ufw-before-input - [0:0]\n:ufw-user-input - [0:0]\n:unused - [0:0]\n-A INPUT -j ufw-before-input\n"
      "-A ufw-before-input -j ufw-user-input\n-A ufw-user-input -p tcp --dport 23 -j DROP\n-A unused -j "
      "DROP\nCOMMIT\n",
      "iptables-save", "ip");
  auto v = classify(in);
  CHECK(v[0].state == "active");
  CHECK(v[0].input_filtered == true);
  CHECK(v[0].default_deny == false);
  CHECK(v[0].evidence == "iptables-save ip filter ufw-user-input: 1 drop/reject rule");
  CHECK(v[1].state == "inactive");

  // A drop rule only in a chain nothing jumps to does not filter.
  in.ipt_result[0] = parse_iptables_save(
      "*filter\n:INPUT ACCEPT [0:0]\n:unused - [0:0]\n-A unused -j DROP\nCOMMIT\n", "iptables-save", "ip");
  v = classify(in);
  CHECK(v[0].state == "inactive");
  CHECK(v[0].input_filtered == false);
}

TEST_CASE("classify_firewall: what is not seen is unknown, never 'no firewall'", "[firewall]") {
  SECTION("nft absent, iptables-save absent") {
    FirewallInputs in;
    in.live = true;
    in.nft = absent("/usr/sbin/nft -j list ruleset");
    in.ipt[0] = absent("/usr/sbin/iptables-save");
    in.ipt[1] = absent("/usr/sbin/ip6tables-save");
    auto v = classify(in);
    for (const auto& x : v) {
      CHECK(x.state == "unknown");
      CHECK_FALSE(x.input_filtered.has_value());
      CHECK_FALSE(x.default_deny.has_value());
      CHECK_FALSE(x.input_chains.has_value());
      CHECK(x.reason == "/usr/sbin/nft -j list ruleset: not installed");
      CHECK(x.commands.empty());
    }
  }
  SECTION("nft without privilege, but legacy iptables shows a drop policy") {
    FirewallInputs in;
    in.live = true;
    in.nft = CommandRun{CommandRun::State::failed, "/usr/sbin/nft -j list ruleset",
                        "exit status 1: Error: Operation not permitted"};
    in.ipt[0] = ok("/usr/sbin/iptables-save");
    in.ipt_result[0] = parse_iptables_save(capture("legacy-iptables-save.txt"), "iptables-save", "ip");
    in.ipt[1] = absent("/usr/sbin/ip6tables-save");
    in.legacy_tables[0] = {"filter"};
    auto v = classify(in);
    CHECK(v[0].state == "active");
    CHECK(v[0].input_filtered == true);
    CHECK(v[0].default_deny == true);
    CHECK(v[0].reason == "/usr/sbin/nft -j list ruleset: exit status 1: Error: Operation not permitted");
    CHECK(v[1].state == "unknown");
  }
  SECTION("legacy tables loaded while iptables-save is the nf_tables one") {
    FirewallInputs in = live_nft("debian-default.json");
    in.ipt[0] = ok("/usr/sbin/iptables-save");
    in.ipt_result[0].backend = "nf_tables";
    in.ipt_result[0].legacy_tables_warning = true;
    in.legacy_tables[0] = {"filter"};
    auto v = classify(in);
    CHECK(v[0].state == "unknown");
    CHECK_FALSE(v[0].input_filtered.has_value());
    CHECK(v[0].reason.find("legacy (x_tables) tables filter are loaded") != std::string::npos);
    CHECK(v[1].state == "inactive");
  }
  SECTION("not the running system") {
    FirewallInputs in = live_nft("drop-policy.json");
    in.live = false;
    in.root = "/mnt/image";
    auto v = classify(in);
    for (const auto& x : v) {
      CHECK(x.state == "unknown");
      CHECK_FALSE(x.input_filtered.has_value());
      CHECK(x.reason.find("/mnt/image") != std::string::npos);
    }
  }
}

TEST_CASE("parse_ufw_settings reads lines as ufw's backend does", "[firewall]") {
  struct Case {
    std::string line;
    std::string key;  // "" = not read
    std::string value;
  };
  const std::vector<Case> cases{
      {"ENABLED=yes", "enabled", "yes"},
      {"ENABLED=YES\r", "enabled", "yes"},
      {"DEFAULT_INPUT_POLICY=\"DROP\"", "default_input_policy", "drop"},
      {"DEFAULT_INPUT_POLICY='REJECT'", "", ""},  // the pattern allows only '"' quotes
      {"IPT_MODULES=\"\"", "", ""},
      {" ENABLED=yes", "", ""},
      {"ENABLED = yes", "", ""},
      {"#ENABLED=yes", "", ""},
      {"ENABLED=yes # on", "enabled", "yes # on"},
      {"LOGLEVEL=low", "loglevel", "low"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    auto m = parse_ufw_settings(c.line + "\n");
    if (c.key.empty()) {
      CHECK(m.empty());
      continue;
    }
    REQUIRE(m.count(c.key) == 1);
    CHECK(m[c.key].value == c.value);
  }
  auto m = parse_ufw_settings("ENABLED=no\nENABLED=yes\n");
  CHECK(m["enabled"].value == "yes");
  CHECK(m["enabled"].line == 2);
}

TEST_CASE("parse_firewalld_conf keeps the first definition", "[firewall]") {
  auto m = parse_firewalld_conf("# c\n; c\nDefaultZone = drop\nDefaultZone=public\nLogDenied=\nA=b=c\n");
  CHECK(m["DefaultZone"].value == "drop");
  CHECK(m["DefaultZone"].line == 3);
  CHECK(m.count("LogDenied") == 0);
  CHECK(m.count("A") == 0);
}

TEST_CASE("gather_firewall runs the listings only on the running system", "[firewall]") {
  std::vector<std::string> ran;
  const ProgramRunner fake = [&ran](const std::string& path,
                                    const std::vector<std::string>& args) -> vigil::Result<RunResult> {
    ran.push_back(path);
    RunResult r;
    r.exit_code = 0;
    if (path == "/usr/sbin/nft") {
      CHECK(args == std::vector<std::string>{"-j", "list", "ruleset"});
      r.out = capture("ufw-nft.json");
    } else if (path == "/usr/sbin/iptables-save") {
      r.out = capture("ufw-iptables-save.txt");
    } else {
      return vigil::make_error(Errc::not_found, path + ": no such file");
    }
    return r;
  };
  const auto root = vigil::test::fixture_host("firewall-ufw-enabled");
  auto host = Host::open(root);
  REQUIRE(host.ok());

  auto facts = gather_firewall(*host, true, fake);
  CHECK(ran ==
        std::vector<std::string>{"/usr/sbin/nft", "/usr/sbin/iptables-save", "/usr/sbin/ip6tables-save"});
  REQUIRE(facts.verdicts.size() == 2);
  CHECK(facts.verdicts[0].state == "active");
  CHECK(facts.verdicts[0].commands == "/usr/sbin/nft -j list ruleset, /usr/sbin/iptables-save");
  CHECK(facts.verdicts[1].state == "active");
  CHECK(facts.settings.ufw_enabled == true);
  CHECK(facts.settings.ufw_default_input_policy == "drop");
  CHECK(facts.settings.ufw_ipv6 == false);
  CHECK_FALSE(facts.settings.firewalld_conf);
  std::size_t from_ipt = 0;
  for (const auto& c : facts.chains) {
    if (c.source == "iptables-save") {
      ++from_ipt;
      CHECK(c.backend == "nf_tables");
    }
  }
  CHECK(from_ipt == 35);

  ran.clear();
  auto image = gather_firewall(*host, false, fake);
  CHECK(ran.empty());
  CHECK(image.chains.empty());
  CHECK(image.verdicts[0].state == "unknown");
  CHECK(image.settings.ufw_enabled == true);
}

TEST_CASE("firewall tables on fixture roots: settings read, the kernel unknown", "[firewall]") {
  using vigil::test::collect_ok;
  using vigil::test::fixture_host;
  auto enabled = collect_ok(fixture_host("firewall-ufw-enabled"), "firewall");
  REQUIRE(enabled.rows.size() == 2);
  for (std::size_t r = 0; r < 2; ++r) {
    CHECK(enabled.text(r, "state") == "unknown");
    CHECK(enabled.is_null(r, "input_filtered"));
    CHECK(enabled.is_null(r, "default_deny"));
    CHECK(enabled.integer(r, "ufw_enabled") == 1);
    CHECK(enabled.text(r, "ufw_default_input_policy") == "drop");
    CHECK(enabled.integer(r, "ufw_ipv6") == 0);
    CHECK(enabled.integer(r, "firewalld_conf") == 0);
    CHECK(enabled.is_null(r, "firewalld_default_zone"));
  }
  CHECK(enabled.text(0, "family") == "ip");
  CHECK(enabled.text(1, "family") == "ip6");
  CHECK(enabled.warned("/", "not the running system"));

  auto disabled = collect_ok(fixture_host("firewall-ufw-disabled"), "firewall");
  CHECK(disabled.integer(0, "ufw_enabled") == 0);
  CHECK(disabled.integer(0, "ufw_ipv6") == 1);

  auto firewalld = collect_ok(fixture_host("firewall-firewalld"), "firewall");
  CHECK(firewalld.integer(0, "firewalld_conf") == 1);
  CHECK(firewalld.text(0, "firewalld_default_zone") == "drop");
  CHECK(firewalld.is_null(0, "ufw_enabled"));

  auto chains = collect_ok(fixture_host("firewall-ufw-enabled"), "firewall_chains");
  CHECK(chains.rows.empty());
  CHECK(chains.warned("/", "not the running system"));

  vigil::test::TempDir dir;
  dir.mkdir("etc/firewalld");
  dir.write("etc/firewalld/firewalld.conf", "# no zone\n");
  auto fallback = collect_ok(dir.path(), "firewall");
  CHECK(fallback.text(0, "firewalld_default_zone") == "public");
}
