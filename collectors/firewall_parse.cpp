// Pure parsers behind the `firewall` and `firewall_chains` tables (see
// firewall.hpp): the JSON of `nft -j list ruleset` (nftables 1.0.6), the text
// of iptables-save 1.8.9, ufw's and firewalld's settings files, and the
// per-family classification of what the kernel filters on input.
#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <tuple>

#include "firewall.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace json = boost::json;

namespace {

const json::value* member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::string text_member(const json::object& o, std::string_view key) {
  const json::value* v = member(o, key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

void add_target(std::vector<std::string>& targets, std::string_view t) {
  if (!t.empty() && std::find(targets.begin(), targets.end(), t) == targets.end()) targets.emplace_back(t);
}

// What one rule does, from its statements (libnftables-json(5) VERDICT
// statements: accept, drop, continue, return, jump, goto, queue; REJECT is a
// statement of its own). Verdicts inside verdict maps count as well.
struct RuleFacts {
  bool drops = false;
  std::vector<std::string> targets;
};

void scan_verdicts(const json::value& v, RuleFacts& f, int depth) {
  if (depth > 64) return;  // the parser's own depth limit already bounds this
  if (v.is_array()) {
    for (const auto& e : v.as_array()) scan_verdicts(e, f, depth + 1);
    return;
  }
  if (!v.is_object()) return;
  for (const auto& kv : v.as_object()) {
    const std::string_view key = kv.key();
    if (key == "drop" || key == "reject") f.drops = true;
    if ((key == "jump" || key == "goto") && kv.value().is_object()) {
      add_target(f.targets, text_member(kv.value().as_object(), "target"));
    }
    scan_verdicts(kv.value(), f, depth + 1);
  }
}

// A rule matches every packet when none of its statements is a condition:
// counters, logging and the final verdict only. Anything else (match,
// vmap, limit, an xt match...) may not match, so the rule is not a
// catch-all.
bool nft_unconditional_drop(const json::array& expr) {
  bool verdict = false;
  for (const auto& stmt : expr) {
    if (!stmt.is_object() || stmt.as_object().size() != 1) return false;
    const auto& kv = *stmt.as_object().begin();
    const std::string_view key = kv.key();
    if (key == "drop" || key == "reject") {
      verdict = true;
    } else if (key == "counter" || key == "log") {
      continue;
    } else if (key == "xt" && kv.value().is_object() &&
               text_member(kv.value().as_object(), "type") == "target") {
      continue;  // an iptables target (LOG...) translated by iptables-nft
    } else {
      return false;
    }
  }
  return verdict;
}

using ChainKey = std::tuple<std::string, std::string, std::string>;  // family, table, name

}  // namespace

Result<NftRuleset> parse_nft_json(std::string_view text) {
  json::parse_options opts;
  opts.max_depth = 256;
  boost::system::error_code ec;
  json::value doc;
  try {
    doc = json::parse(json::string_view(text.data(), text.size()), ec, {}, opts);
  } catch (const std::exception& e) {  // bad_alloc and friends: the facts are unknowable
    return make_error(Errc::parse, std::string("nft JSON: ") + e.what());
  }
  if (ec) return make_error(Errc::parse, "nft JSON: " + ec.message());
  if (!doc.is_object()) return make_error(Errc::parse, "nft JSON: not an object");
  const json::value* list = member(doc.as_object(), "nftables");
  if (list == nullptr || !list->is_array()) return make_error(Errc::parse, "nft JSON: no \"nftables\" array");

  NftRuleset out;
  std::map<ChainKey, std::size_t> index;
  for (const auto& item : list->as_array()) {
    if (!item.is_object() || item.as_object().size() != 1) {
      out.issues.push_back(ParseIssue{0, "an element of \"nftables\" that is not a one-key object; skipped"});
      continue;
    }
    const auto& [kind, body] = *item.as_object().begin();
    if (!body.is_object()) continue;
    const json::object& o = body.as_object();
    if (kind == "metainfo") {
      out.version = text_member(o, "version");
    } else if (kind == "chain") {
      FirewallChain c;
      c.source = "nft";
      c.family = text_member(o, "family");
      c.table = text_member(o, "table");
      c.name = text_member(o, "name");
      c.type = text_member(o, "type");
      c.hook = text_member(o, "hook");
      if (const json::value* p = member(o, "prio"); p != nullptr && p->is_int64()) c.priority = p->as_int64();
      if (!c.hook.empty()) {
        c.policy = text_member(o, "policy");
        if (c.policy.empty()) c.policy = "accept";  // nft's default for a base chain
      }
      const ChainKey key{c.family, c.table, c.name};
      if (index.count(key) != 0) {
        out.issues.push_back(ParseIssue{
            0, "chain " + c.family + " " + c.table + " " + c.name + " listed twice; the second is ignored"});
        continue;
      }
      index[key] = out.chains.size();
      out.chains.push_back(std::move(c));
    } else if (kind == "rule") {
      const ChainKey key{text_member(o, "family"), text_member(o, "table"), text_member(o, "chain")};
      auto it = index.find(key);
      if (it == index.end()) {
        out.issues.push_back(ParseIssue{0, "a rule of an unlisted chain " + std::get<0>(key) + " " +
                                               std::get<1>(key) + " " + std::get<2>(key) + "; skipped"});
        continue;
      }
      FirewallChain& c = out.chains[it->second];
      const json::value* expr = member(o, "expr");
      RuleFacts f;
      if (expr != nullptr) scan_verdicts(*expr, f, 0);
      ++c.rules;
      if (f.drops) ++c.drop_rules;
      for (const auto& t : f.targets) add_target(c.targets, t);
      c.final_drop = expr != nullptr && expr->is_array() && nft_unconditional_drop(expr->as_array());
    }
    // tables, sets, maps, elements, flowtables, counters... carry no verdicts of their own.
  }
  return out;
}

namespace {

// iptables-save quotes an argument with blanks in double quotes and escapes
// '"' and '\' inside them (xtables' xtables_save_string).
std::vector<std::string> save_tokens(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    std::string tok;
    bool quoted = false;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (quoted && c == '\\' && i + 1 < s.size()) {
        tok += s[++i];
      } else if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && (c == ' ' || c == '\t')) {
        break;
      } else {
        tok += c;
      }
    }
    out.push_back(std::move(tok));
  }
  return out;
}

std::string builtin_hook(std::string_view chain) {
  if (chain == "INPUT") return "input";
  if (chain == "FORWARD") return "forward";
  if (chain == "OUTPUT") return "output";
  if (chain == "PREROUTING") return "prerouting";
  if (chain == "POSTROUTING") return "postrouting";
  return "";
}

}  // namespace

IptablesSave parse_iptables_save(std::string_view text, std::string_view source, std::string_view family) {
  IptablesSave out;
  std::string table;
  std::map<std::string, std::size_t> chains;  // of the current table
  int number = 0;
  for (std::string_view raw : split_lines(text)) {
    ++number;
    const std::string_view l = trim(raw);
    if (l.empty()) continue;
    if (l[0] == '#') {
      if (l.rfind("# Generated by", 0) == 0) {
        // iptables-nft-save says "(nf_tables)"; iptables-legacy-save 1.8.9
        // says nothing (some builds say "(legacy)").
        out.backend = l.find("(nf_tables)") != std::string_view::npos ? "nf_tables" : "legacy";
      } else if (l.find("iptables-legacy tables present") != std::string_view::npos) {
        out.legacy_tables_warning = true;
      }
      continue;
    }
    if (l[0] == '*') {
      table = std::string(l.substr(1));
      chains.clear();
      continue;
    }
    if (l == "COMMIT") {
      table.clear();
      chains.clear();
      continue;
    }
    if (table.empty()) {
      out.issues.push_back(ParseIssue{number, "outside a table (*name ... COMMIT); skipped"});
      continue;
    }
    if (l[0] == ':') {
      const auto f = split_ws(l.substr(1));
      if (f.empty()) {
        out.issues.push_back(ParseIssue{number, "a chain line without a name; skipped"});
        continue;
      }
      FirewallChain c;
      c.source = std::string(source);
      c.family = std::string(family);
      c.table = table;
      c.name = std::string(f[0]);
      const std::string policy = f.size() > 1 ? std::string(f[1]) : "-";
      if (policy != "-") {
        c.policy = to_lower(policy);
        c.hook = builtin_hook(c.name);
      }
      c.line = number;
      if (chains.count(c.name) != 0) continue;
      chains[c.name] = out.chains.size();
      out.chains.push_back(std::move(c));
      continue;
    }
    std::string_view rule = l;
    if (rule[0] == '[') {  // "[packets:bytes] -A ..." from iptables-save -c
      const auto close = rule.find(']');
      rule = close == std::string_view::npos ? std::string_view() : trim(rule.substr(close + 1));
    }
    auto tok = save_tokens(rule);
    if (tok.size() < 2 || (tok[0] != "-A" && tok[0] != "--append")) {
      out.issues.push_back(ParseIssue{number, "not a chain, rule or COMMIT line; skipped"});
      continue;
    }
    auto it = chains.find(tok[1]);
    if (it == chains.end()) {
      out.issues.push_back(ParseIssue{number, "a rule of undeclared chain '" + tok[1] + "'; skipped"});
      continue;
    }
    FirewallChain& c = out.chains[it->second];
    std::string target;
    bool jump = false;
    bool conditional = false;
    for (std::size_t i = 2; i < tok.size(); ++i) {
      if ((tok[i] == "-j" || tok[i] == "--jump" || tok[i] == "-g" || tok[i] == "--goto") &&
          i + 1 < tok.size()) {
        target = tok[i + 1];
        jump = true;
        break;  // what follows are the target's own options
      }
      if (tok[i] == "-m" && i + 3 < tok.size() && tok[i + 1] == "comment" && tok[i + 2] == "--comment") {
        i += 3;  // a comment matches every packet
        continue;
      }
      conditional = true;
    }
    ++c.rules;
    const bool drops = jump && (target == "DROP" || target == "REJECT");
    if (drops) ++c.drop_rules;
    if (jump && chains.count(target) != 0) add_target(c.targets, target);
    c.final_drop = drops && !conditional;
  }
  return out;
}

std::map<std::string, FirewallSetting> parse_ufw_settings(std::string_view text) {
  auto word = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::map<std::string, FirewallSetting> out;
  int number = 0;
  for (std::string_view l : split_lines(text)) {
    ++number;
    // re.search(r'^\w+="?\w+"?', line)
    std::size_t i = 0;
    while (i < l.size() && word(l[i])) ++i;
    if (i == 0 || i >= l.size() || l[i] != '=') continue;
    std::size_t j = i + 1;
    if (j < l.size() && l[j] == '"') ++j;
    if (j >= l.size() || !word(l[j])) continue;
    // re.split(r'=', line.strip()); key = [0].lower(); value = [1].lower().strip('"\'')
    const auto parts = split(trim(l), '=');
    std::string value = to_lower(parts.size() > 1 ? parts[1] : std::string_view());
    const auto first = value.find_first_not_of("\"'");
    const auto last = value.find_last_not_of("\"'");
    value = first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
    out[to_lower(parts[0])] = FirewallSetting{std::move(value), number};
  }
  return out;
}

std::map<std::string, FirewallSetting> parse_firewalld_conf(std::string_view text) {
  std::map<std::string, FirewallSetting> out;
  int number = 0;
  for (std::string_view l : split_lines(text)) {
    ++number;
    l = trim(l);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    const auto pair = split(l, '=');
    if (pair.size() != 2) continue;  // "Invalid option definition"
    const std::string key(trim(pair[0]));
    const std::string value(trim(pair[1]));
    if (value.empty() || out.count(key) != 0) continue;  // "Missing value", "Duplicate option definition"
    out[key] = FirewallSetting{value, number};
  }
  return out;
}

namespace {

bool sees_family(const FirewallChain& c, std::string_view family) {
  if (c.source == "nft") return c.family == family || c.family == "inet";
  return c.family == family;
}

std::string chain_label(const FirewallChain& c) {
  return c.source + " " + c.family + " " + c.table + " " + c.name;
}

void mark_from_input(std::vector<FirewallChain>& chains) {
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::size_t> index;
  for (std::size_t i = 0; i < chains.size(); ++i) {
    index[{chains[i].source, chains[i].family, chains[i].table, chains[i].name}] = i;
  }
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < chains.size(); ++i) {
    if (chains[i].hook == "input") {
      chains[i].from_input = true;
      todo.push_back(i);
    }
  }
  while (!todo.empty()) {
    const std::size_t i = todo.back();
    todo.pop_back();
    for (const auto& t : chains[i].targets) {
      auto it = index.find({chains[i].source, chains[i].family, chains[i].table, t});
      // A jump into another base chain is refused by the kernel; only regular chains are followed.
      if (it == index.end() || !chains[it->second].hook.empty() || chains[it->second].from_input) continue;
      chains[it->second].from_input = true;
      todo.push_back(it->second);
    }
  }
}

}  // namespace

std::vector<FirewallVerdict> classify_firewall(const FirewallInputs& in, std::vector<FirewallChain>& chains) {
  mark_from_input(chains);
  std::vector<FirewallVerdict> out;
  const char* families[2] = {"ip", "ip6"};
  for (int f = 0; f < 2; ++f) {
    FirewallVerdict v;
    v.family = families[f];
    if (!in.live) {
      v.state = "unknown";
      v.reason = "not the running system (root " + in.root +
                 "): the programs that list the kernel's rules would describe the scanning machine; only "
                 "the persisted settings were read";
      out.push_back(std::move(v));
      continue;
    }
    std::vector<std::string> used;
    if (in.nft.state == CommandRun::State::ok) used.push_back(in.nft.command);
    if (in.ipt[f].state == CommandRun::State::ok) used.push_back(in.ipt[f].command);
    v.commands = join(used, ", ");

    std::int64_t input_chains = 0;
    bool filtered = false;
    bool deny = false;
    std::vector<std::string> evidence;
    for (const auto& c : chains) {
      if (!sees_family(c, v.family) || !c.from_input) continue;
      if (c.hook == "input") {
        ++input_chains;
        if (c.policy == "drop") {
          filtered = deny = true;
          evidence.push_back(chain_label(c) + ": policy drop");
        }
        if (c.final_drop) {
          deny = true;
          evidence.push_back(chain_label(c) + ": last rule drops or rejects everything left");
        }
      }
      if (c.drop_rules > 0) {
        filtered = true;
        evidence.push_back(chain_label(c) + ": " + std::to_string(c.drop_rules) + " drop/reject rule" +
                           (c.drop_rules == 1 ? "" : "s"));
      }
    }
    v.evidence = join(evidence, "; ");

    // What could not be seen: nft lists every nf_tables table (iptables-nft's
    // too); x_tables (legacy) tables only show in a legacy iptables-save.
    std::vector<std::string> unseen;
    if (in.nft.state != CommandRun::State::ok) unseen.push_back(in.nft.command + ": " + in.nft.message);
    const bool legacy_read = in.ipt[f].state == CommandRun::State::ok && in.ipt_result[f].backend == "legacy";
    if (!in.legacy_tables[f].empty() && !legacy_read) {
      unseen.push_back("legacy (x_tables) tables " + join(in.legacy_tables[f], " ") + " are loaded (" +
                       std::string(f == 0 ? kLegacyTables4 : kLegacyTables6) +
                       ") but no legacy iptables-save listed them");
    }
    if (in.ipt[f].state != CommandRun::State::ok && in.ipt[f].state != CommandRun::State::absent) {
      unseen.push_back(in.ipt[f].command + ": " + in.ipt[f].message);
    }
    v.reason = join(unseen, "; ");
    const bool complete =
        in.nft.state == CommandRun::State::ok && (in.legacy_tables[f].empty() || legacy_read);
    if (filtered) {
      v.state = "active";
      v.input_filtered = true;
    } else if (complete) {
      v.state = "inactive";
      v.input_filtered = false;
    } else {
      v.state = "unknown";
    }
    if (deny) {
      v.default_deny = true;
    } else if (complete) {
      v.default_deny = false;
    }
    if (complete || filtered) v.input_chains = input_chains;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace vigil::collectors
