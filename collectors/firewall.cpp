// The `firewall` and `firewall_chains` tables: what the kernel's packet filter
// does with incoming traffic, from nft and iptables-save run on the live
// system only (a fixture or image root would get the scanning machine's
// rules), and what ufw and firewalld are configured to do, from their files
// on any root. Parsing and classification are in firewall_parse.cpp.
#include "firewall.hpp"

#include <chrono>

#include "collector.hpp"
#include "host.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

// A ruleset of a large Kubernetes node runs to megabytes of JSON.
constexpr std::size_t kOutputCap = 32u * 1024u * 1024u;
constexpr std::size_t kConfCap = 1024u * 1024u;
constexpr std::size_t kMaxIssues = 20;

std::string first_line(std::string_view s) {
  s = trim(s);
  return std::string(s.substr(0, std::min(s.find('\n'), std::size_t{300})));
}

std::string command_text(std::string_view path, const std::vector<std::string>& args) {
  std::vector<std::string> parts{std::string(path)};
  parts.insert(parts.end(), args.begin(), args.end());
  return join(parts, " ");
}

// Runs one listing program; only an exit status 0 with its whole output is ok.
CommandRun run_listing(const ProgramRunner& run, std::string_view path, const std::vector<std::string>& args,
                       std::string& out, std::string& err) {
  CommandRun c;
  c.command = command_text(path, args);
  auto r = run(std::string(path), args);
  if (r.is(Errc::not_found)) {
    c.state = CommandRun::State::absent;
    c.message = "not installed";
    return c;
  }
  c.state = CommandRun::State::failed;
  if (!r) {
    c.message = r.error().message;
  } else if (r->signal != 0) {
    c.message = "killed by signal " + std::to_string(r->signal);
  } else if (r->exit_code != 0) {
    c.message = "exit status " + std::to_string(r->exit_code) +
                (r->err.empty() ? std::string() : ": " + sanitize_utf8(first_line(r->err)));
  } else if (r->out_truncated) {
    c.message = "output over " + std::to_string(kOutputCap) + " bytes";
  } else {
    c.state = CommandRun::State::ok;
    out = std::move(r->out);
    err = std::move(r->err);
  }
  return c;
}

std::vector<std::string> legacy_table_names(const Host& host, std::string_view path) {
  std::vector<std::string> names;
  auto content = host.read_file(path, ReadOptions{.max_bytes = 64u * 1024u});
  if (!content) return names;  // no ip_tables module loaded: no legacy tables
  for (auto l : split_lines(content->data)) {
    l = trim(l);
    if (!l.empty()) names.emplace_back(sanitize_utf8(l));
  }
  return names;
}

void read_settings(const Host& host, FirewallFacts& facts) {
  // ufw: /etc/default/ufw, then /etc/ufw/ufw.conf, into one dictionary.
  std::map<std::string, FirewallSetting> ufw;
  bool ufw_files = false;
  for (std::string_view path : {kUfwDefaults, kUfwConf}) {
    auto content = host.read_file(path, ReadOptions{.max_bytes = kConfCap});
    if (!content) {
      if (!content.is(Errc::not_found))
        facts.issues.push_back({std::string(path), "cannot be read: " + content.error().message});
      continue;
    }
    ufw_files = true;
    for (auto& [k, v] : parse_ufw_settings(content->data)) ufw[k] = v;
  }
  if (ufw_files) {
    if (auto it = ufw.find("enabled"); it != ufw.end())
      facts.settings.ufw_enabled = it->second.value == "yes";
    if (auto it = ufw.find("default_input_policy"); it != ufw.end())
      facts.settings.ufw_default_input_policy = sanitize_utf8(it->second.value);
    if (auto it = ufw.find("ipv6"); it != ufw.end()) facts.settings.ufw_ipv6 = it->second.value == "yes";
  }

  auto fwd = host.read_file(kFirewalldConf, ReadOptions{.max_bytes = kConfCap});
  if (fwd) {
    facts.settings.firewalld_conf = true;
    const auto conf = parse_firewalld_conf(fwd->data);
    auto it = conf.find("DefaultZone");
    facts.settings.firewalld_default_zone = it == conf.end() ? "public" : sanitize_utf8(it->second.value);
  } else if (!fwd.is(Errc::not_found)) {
    facts.issues.push_back({std::string(kFirewalldConf), "cannot be read: " + fwd.error().message});
  }
}

}  // namespace

FirewallFacts gather_firewall(const Host& host, bool live, const ProgramRunner& run) {
  FirewallFacts facts;
  read_settings(host, facts);

  FirewallInputs in;
  in.live = live;
  in.root = host.root();
  const std::vector<std::string> nft_args{"-j", "list", "ruleset"};
  in.nft.command = command_text(kNftPath, nft_args);
  in.ipt[0].command = std::string(kIptablesSavePath);
  in.ipt[1].command = std::string(kIp6tablesSavePath);
  if (live) {
    std::string out;
    std::string err;
    in.nft = run_listing(run, kNftPath, nft_args, out, err);
    if (in.nft.state == CommandRun::State::ok) {
      auto parsed = parse_nft_json(out);
      if (parsed) {
        for (std::size_t i = 0; i < parsed->issues.size() && i < kMaxIssues; ++i)
          facts.issues.push_back({in.nft.command, parsed->issues[i].message});
        in.nft_chains = std::move(parsed->chains);
      } else {
        in.nft.state = CommandRun::State::failed;
        in.nft.message = parsed.error().message;
      }
    }
    const std::string_view paths[2] = {kIptablesSavePath, kIp6tablesSavePath};
    const char* sources[2] = {"iptables-save", "ip6tables-save"};
    const char* families[2] = {"ip", "ip6"};
    for (int f = 0; f < 2; ++f) {
      out.clear();
      err.clear();
      in.ipt[f] = run_listing(run, paths[f], {}, out, err);
      if (in.ipt[f].state == CommandRun::State::ok) {
        in.ipt_result[f] = parse_iptables_save(out, sources[f], families[f]);
        // iptables-nft-save prints its warning about legacy tables on stderr.
        if (err.find("iptables-legacy tables present") != std::string::npos)
          in.ipt_result[f].legacy_tables_warning = true;
        const auto& issues = in.ipt_result[f].issues;
        for (std::size_t i = 0; i < issues.size() && i < kMaxIssues; ++i)
          facts.issues.push_back(
              {in.ipt[f].command + ": line " + std::to_string(issues[i].line), issues[i].message});
      }
      in.legacy_tables[f] = legacy_table_names(host, f == 0 ? kLegacyTables4 : kLegacyTables6);
      if (in.ipt_result[f].legacy_tables_warning && in.legacy_tables[f].empty())
        in.legacy_tables[f].push_back("(named by " + std::string(sources[f]) + ")");
    }
    for (const CommandRun* c : {&in.nft, &in.ipt[0], &in.ipt[1]}) {
      if (c->state != CommandRun::State::ok) facts.issues.push_back({c->command, c->message});
    }
  } else {
    facts.issues.push_back({"/", "not the running system (root " + host.root() +
                                     "): nft and iptables-save are not run; the kernel's rules are unknown"});
  }

  std::vector<FirewallChain> chains = in.nft_chains;
  for (int f = 0; f < 2; ++f) {
    for (auto& c : in.ipt_result[f].chains) {
      c.backend = in.ipt_result[f].backend;
      chains.push_back(c);
    }
  }
  facts.verdicts = classify_firewall(in, chains);
  facts.chains = std::move(chains);
  return facts;
}

namespace {

Value text_or_null(const std::string& s) {
  return s.empty() ? null_value() : text_value(sanitize_utf8(s));
}

Value opt_bool(const std::optional<bool>& b) {
  return b ? bool_value(*b) : null_value();
}

FirewallFacts gather_live(CollectContext& ctx) {
  const ProgramRunner run = [](const std::string& path, const std::vector<std::string>& args) {
    return run_program(path, args, RunOptions{std::chrono::milliseconds(10000), kOutputCap});
  };
  FirewallFacts facts = gather_firewall(ctx.host(), ctx.host().is_live_root(), run);
  for (const auto& i : facts.issues) ctx.warn(i.where, i.message);
  return facts;
}

Status collect_firewall(CollectContext& ctx, std::vector<Row>& rows) {
  const FirewallFacts facts = gather_live(ctx);
  const FirewallSettings& s = facts.settings;
  for (const auto& v : facts.verdicts) {
    rows.push_back(Row{text_value(v.family), text_value(v.state), opt_bool(v.input_filtered),
                       opt_bool(v.default_deny), v.input_chains ? int_value(*v.input_chains) : null_value(),
                       text_or_null(v.evidence), text_or_null(v.reason), text_or_null(v.commands),
                       opt_bool(s.ufw_enabled), text_or_null(s.ufw_default_input_policy),
                       opt_bool(s.ufw_ipv6), bool_value(s.firewalld_conf),
                       text_or_null(s.firewalld_default_zone)});
  }
  return Status::success();
}

Status collect_firewall_chains(CollectContext& ctx, std::vector<Row>& rows) {
  const FirewallFacts facts = gather_live(ctx);
  for (const auto& c : facts.chains) {
    const std::string command =
        c.source == "nft" ? command_text(kNftPath, {"-j", "list", "ruleset"})
                          : std::string(c.source == "iptables-save" ? kIptablesSavePath : kIp6tablesSavePath);
    rows.push_back(Row{text_value(c.source), text_or_null(c.backend), text_value(sanitize_utf8(c.family)),
                       text_value(sanitize_utf8(c.table)), text_value(sanitize_utf8(c.name)),
                       text_or_null(c.type), text_or_null(c.hook),
                       c.priority ? int_value(*c.priority) : null_value(), text_or_null(c.policy),
                       int_value(c.rules), int_value(c.drop_rules), bool_value(c.final_drop),
                       text_or_null(join(c.targets, " ")), bool_value(c.from_input), text_value(command),
                       c.line > 0 ? int_value(c.line) : null_value()});
  }
  return Status::success();
}

using T = ColumnType;

TableDef firewall_table() {
  TableDef def{
      "firewall",
      "Whether the kernel's packet filter filters incoming traffic: one row per address family, 'ip' (IPv4) "
      "and 'ip6' (IPv6), from `nft -j list ruleset` (every nf_tables table, iptables-nft's too; an inet "
      "table counts for both families) and iptables-save/ip6tables-save (legacy x_tables, which nft cannot "
      "see), run only when the host is the running system, in the scanning process's network namespace "
      "(a container's own, in a container). Input is filtered when an input-hook chain has policy drop, or "
      "it or a chain it jumps or goes to has a rule whose verdict is drop or reject (in a verdict map too). "
      "Empty chains with accept policies are not a firewall. The ufw and firewalld columns are their "
      "settings files, read on any root; they say what is configured to start, not what runs.",
      {
          {"family", T::text,
           "'ip' (IPv4: nft families ip and inet, iptables-save) or 'ip6' (IPv6: ip6 and "
           "inet, ip6tables-save)"},
          {"state", T::text,
           "'active' (input_filtered = 1); 'inactive' (every table was seen and none filters input); "
           "'unknown' (not the running system, nft not runnable, or legacy tables not listed: see reason)"},
          {"input_filtered", T::integer, "1 filtered, 0 not filtered, NULL unknown (never read NULL as 0)"},
          {"default_deny", T::integer,
           "1 when an input-hook chain has policy drop or ends with a rule that drops or rejects every "
           "packet "
           "left (no match, only counter/log); 0 when every table was seen and none does; NULL unknown"},
          {"input_chains", T::integer, "input-hook chains seen for this family; NULL when unknown"},
          {"evidence", T::text,
           "the chains that filter, e.g. 'nft inet filter input: policy drop'; NULL when none"},
          {"reason", T::text,
           "what could not be seen and why (program absent, no privilege, not the live "
           "root, legacy tables unlisted); NULL when everything was seen"},
          {"commands", T::text, "the commands whose output was used, comma-separated; NULL when none ran"},
          {"ufw_enabled", T::integer,
           "1 when ufw's ENABLED is yes (/etc/default/ufw then /etc/ufw/ufw.conf, as ufw reads them: case "
           "ignored), 0 otherwise; NULL when neither file sets it (ufw not installed)"},
          {"ufw_default_input_policy", T::text,
           "DEFAULT_INPUT_POLICY lower-cased (drop, reject, accept); NULL unset"},
          {"ufw_ipv6", T::integer, "1 when IPV6=yes (ufw filters IPv6 too); NULL when unset"},
          {"firewalld_conf", T::integer, "1 when /etc/firewalld/firewalld.conf exists (firewalld installed)"},
          {"firewalld_default_zone", T::text,
           "DefaultZone (the first definition: firewalld ignores duplicates), 'public' when the file does "
           "not "
           "set it (firewalld's fallback); NULL without the file"},
      },
      collect_firewall,
  };
  def.heavy = true;
  return def;
}

TableDef firewall_chains_table() {
  return TableDef{
      "firewall_chains",
      "One row per chain the kernel's packet filter has, as `nft -j list ruleset` and "
      "iptables-save/ip6tables-save list them on the running system (no rows, and a warning, for any other "
      "root). Tables created by iptables-nft appear twice: from nft and from iptables-save.",
      {
          {"source", T::text, "'nft', 'iptables-save' or 'ip6tables-save'"},
          {"backend", T::text, "iptables-save's backend: 'nf_tables' or 'legacy'; NULL for nft"},
          {"family", T::text, "nft family: ip, ip6, inet, arp, bridge, netdev; ip or ip6 for iptables-save"},
          {"table_name", T::text, "table: filter, nat, mangle, raw, or any nft table name"},
          {"chain", T::text, "chain name"},
          {"type", T::text, "nft chain type (filter, nat, route); NULL for iptables and regular chains"},
          {"hook", T::text,
           "input, forward, output, prerouting, postrouting, ingress...; NULL for a regular "
           "chain (reached only by jump/goto)"},
          {"priority", T::integer, "nft base chain priority (filter = 0, raw = -300...); NULL otherwise"},
          {"policy", T::text, "'accept' or 'drop' for a base chain; NULL for a regular chain"},
          {"rules", T::integer, "number of rules"},
          {"drop_rules", T::integer,
           "rules with a drop or reject verdict (DROP/REJECT targets; verdict maps "
           "with a drop count too)"},
          {"final_drop", T::integer,
           "1 when the last rule drops or rejects every packet that reaches it (no "
           "condition, only counter/log/comment)"},
          {"jump_targets", T::text, "chains this one jumps or goes to, space-separated; NULL when none"},
          {"from_input", T::integer, "1 for an input-hook chain or a chain reached from one by jump/goto"},
          {"command", T::text, "the command that listed it"},
          {"line", T::integer, "iptables-save: output line declaring the chain; NULL for nft"},
      },
      collect_firewall_chains,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(firewall_table());
VIGIL_REGISTER_TABLE(firewall_chains_table());

}  // namespace vigil::collectors
