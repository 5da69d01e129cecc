#include "cli_admin.hpp"

#include <map>
#include <optional>
#include <ostream>

#include "api.hpp"
#include "report.hpp"
#include "sqlite_storage.hpp"
#include "strings.hpp"
#include "tokens.hpp"
#include "verify.hpp"

namespace vigil::store {

namespace {

constexpr int kOk = 0, kFailed = 1, kUsage = 2;

struct AdminArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool help = false;
};

// --name VALUE or --name=VALUE, for the options this command takes.
Result<AdminArgs> parse_args(const std::vector<std::string>& args) {
  static const std::vector<std::string> kKnown = {"config", "database", "role", "name", "expires", "uses"};
  AdminArgs a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--help" || s == "-h") {
      a.help = true;
      continue;
    }
    if (s.rfind("--", 0) != 0) {
      a.positional.push_back(s);
      continue;
    }
    std::string name = s.substr(2), value;
    const auto eq = name.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    bool known = false;
    for (const auto& k : kKnown) known = known || k == name;
    if (!known) return make_error(Errc::invalid, "unknown option --" + name);
    if (!has_value) {
      if (i + 1 >= args.size()) return make_error(Errc::invalid, "--" + name + " needs a value");
      value = args[++i];
    }
    if (a.options.count(name) != 0) return make_error(Errc::invalid, "--" + name + " given twice");
    a.options[name] = value;
  }
  return a;
}

std::optional<std::string> opt(const AdminArgs& a, const char* name) {
  auto it = a.options.find(name);
  if (it == a.options.end()) return std::nullopt;
  return it->second;
}

Result<std::unique_ptr<Storage>> open_db(const AdminArgs& a, const ConfigLoader& load) {
  if (auto db = opt(a, "database")) {
    if (opt(a, "config")) return make_error(Errc::invalid, "--database and --config exclude each other");
    DatabaseConfig c;
    c.path = *db;
    return open_storage(c);
  }
  auto config = load(opt(a, "config").value_or(kDefaultConfigPath));
  if (!config) return std::move(config).error();
  return open_storage(config->database);
}

AuditEntry cli_audit(std::string action, std::string target) {
  AuditEntry e;
  e.time_ms = system_now_ms();
  e.actor = Actor{"cli", "", "cli", "admin"};
  e.action = std::move(action);
  e.target = std::move(target);
  return e;
}

std::string time_or_dash(const std::optional<std::int64_t>& t) {
  return t ? agent::iso_time(*t) : "-";
}

int token_create(Storage& st, const AdminArgs& a, std::ostream& out, std::ostream& err) {
  const std::string role_s = opt(a, "role").value_or("enroll");
  auto role = parse_role(role_s);
  if (!role) {
    err << "vigil-store: --role must be enroll, admin, analyst or auditor, not '" << role_s << "'\n";
    return kUsage;
  }
  std::optional<std::int64_t> uses;
  if (auto u = opt(a, "uses")) {
    uses = parse_int(*u);
    if (!uses) {
      err << "vigil-store: --uses must be a whole number, not '" << *u << "'\n";
      return kUsage;
    }
  }
  auto made = create_token(st, *role, opt(a, "name").value_or(""), opt(a, "expires"), uses, system_now_ms(),
                           cli_audit("token.create", ""));
  if (!made) {
    err << "vigil-store: " << made.error().message << "\n";
    return made.error().code == Errc::invalid ? kUsage : kFailed;
  }
  out << made->secret << "\n";
  err << "created token " << made->record.id << " (role " << role_name(*role) << ", expires "
      << time_or_dash(made->record.expires_at_ms) << ", uses "
      << (made->record.max_uses ? std::to_string(*made->record.max_uses) : "unlimited")
      << "); it is shown only this once\n";
  return kOk;
}

int token_list(Storage& st, std::ostream& out, std::ostream& err) {
  auto ts = st.list_tokens();
  if (!ts) {
    err << "vigil-store: " << ts.error().message << "\n";
    return kFailed;
  }
  out << "ID\tROLE\tNAME\tCREATED\tEXPIRES\tUSES\tREVOKED\n";
  for (const auto& t : *ts)
    out << t.id << "\t" << role_name(t.role) << "\t" << terminal_safe(t.name.empty() ? "-" : t.name) << "\t"
        << agent::iso_time(t.created_at_ms) << "\t" << time_or_dash(t.expires_at_ms) << "\t" << t.uses
        << (t.max_uses ? "/" + std::to_string(*t.max_uses) : "") << "\t" << time_or_dash(t.revoked_at_ms)
        << "\n";
  return kOk;
}

int host_list(Storage& st, std::ostream& out, std::ostream& err) {
  auto hs = st.list_hosts();
  if (!hs) {
    err << "vigil-store: " << hs.error().message << "\n";
    return kFailed;
  }
  out << "ID\tIDENTITY\tKEY\tENROLLED\tLAST_SEEN\tCHAIN\n";
  for (const auto& h : *hs) {
    auto c = st.chain_state(h.id);
    const std::string chain = !c ? "?" : c->ok() ? "ok" : c->forks.empty() ? "gap" : "fork";
    out << h.id << "\t" << terminal_safe(h.identity) << "\t" << h.key_id.substr(0, 16) << "\t"
        << agent::iso_time(h.enrolled_at_ms) << "\t" << time_or_dash(h.last_seen_ms) << "\t" << chain
        << (h.rekey_allowed ? " (re-key allowed)" : "") << "\n";
  }
  return kOk;
}

// revoke / allow-rekey: one id, a Result<bool> "found".
int by_id(const Result<bool>& done, const std::string& what, const std::string& id, const char* ok_text,
          std::ostream& out, std::ostream& err) {
  if (!done) {
    err << "vigil-store: " << done.error().message << "\n";
    return kFailed;
  }
  if (!*done) {
    err << "vigil-store: no " << what << " " << terminal_safe(id) << "\n";
    return kFailed;
  }
  out << what << " " << id << " " << ok_text << "\n";
  return kOk;
}

int dispatch(Storage& st, const AdminArgs& a, std::ostream& out, std::ostream& err) {
  const auto& p = a.positional;
  const std::string cmd = p[0] + " " + p[1];
  const std::size_t want = (cmd == "token revoke" || cmd == "host allow-rekey") ? 3 : 2;
  if (p.size() != want) {
    err << "vigil-store: " << cmd << " takes " << (want == 3 ? "one argument" : "no arguments") << "\n";
    return kUsage;
  }
  if (cmd == "token create") return token_create(st, a, out, err);
  if (cmd == "token list") return token_list(st, out, err);
  if (cmd == "host list") return host_list(st, out, err);
  if (cmd == "token revoke")
    return by_id(st.revoke_token(p[2], cli_audit("token.revoke", p[2])), "token", p[2], "revoked", out, err);
  return by_id(st.allow_rekey(p[2], cli_audit("host.allow-rekey", p[2])), "host", p[2],
               "may now enroll with a new key", out, err);
}

}  // namespace

int run_admin(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
              const ConfigLoader& load_config) {
  auto a = parse_args(args);
  if (!a) {
    err << "vigil-store: " << a.error().message << "\n" << kAdminHelp;
    return kUsage;
  }
  if (a->help) {
    out << kAdminHelp;
    return kOk;
  }
  static const std::vector<std::string> kCommands = {"token create", "token list", "token revoke",
                                                     "host list", "host allow-rekey"};
  const auto& p = a->positional;
  bool known = false;
  for (const auto& c : kCommands) known = known || (p.size() >= 2 && p[0] + " " + p[1] == c);
  if (!known) {
    err << "vigil-store: unknown command '" << terminal_safe(join(p, " ")) << "'\n" << kAdminHelp;
    return kUsage;
  }
  const bool creates = p[0] == "token" && p[1] == "create";
  for (const char* o : {"role", "name", "expires", "uses"})
    if (!creates && opt(*a, o)) {
      err << "vigil-store: --" << o << " is an option of token create only\n";
      return kUsage;
    }
  auto st = open_db(*a, load_config);
  if (!st) {
    err << "vigil-store: " << st.error().message << "\n";
    return kFailed;
  }
  return dispatch(**st, *a, out, err);
}

}  // namespace vigil::store
