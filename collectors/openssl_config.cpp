// The `openssl_config` table: every value of the system OpenSSL
// configuration (read by openssl_config_parse.cpp as OpenSSL 3.0 reads it)
// and which of them every TLS context of a libssl program starts with
// (openssl_config_modules.cpp), plus Debian 12's compiled-in TLS defaults.
#include "openssl_config.hpp"

#include <exception>

#include "collector.hpp"
#include "host.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

std::string display_where(const ConfIssue& i, const std::string& main_name) {
  if (i.file.empty()) return main_name;
  return i.line > 0 ? i.file + ":" + std::to_string(i.line) : i.file;
}

// The path a symlink chain ends at, for naming the main file the way admins
// know it (/usr/lib/ssl/openssl.cnf -> /etc/ssl/openssl.cnf); the path
// itself when it is no link or the chain cannot be followed.
std::string resolved_name(const Host& host, std::string path) {
  for (int hop = 0; hop < 40; ++hop) {
    auto st = host.stat(path, false);
    if (!st || st->type != FileType::symlink) return path;
    auto target = host.read_link(path);
    if (!target || target->empty()) return path;
    std::string next = target->front() == '/' ? *target : path.substr(0, path.rfind('/') + 1) + *target;
    // Lexical normalisation of '.' and '..' (stopping at the root).
    std::vector<std::string_view> parts;
    for (auto p : split(next, '/')) {
      if (p.empty() || p == ".") continue;
      if (p == "..") {
        if (!parts.empty()) parts.pop_back();
        continue;
      }
      parts.push_back(p);
    }
    std::string norm;
    for (auto p : parts) {
      norm += '/';
      norm += p;
    }
    path = norm.empty() ? "/" : norm;
  }
  return path;
}

Status collect_openssl_config(CollectContext& ctx, std::vector<Row>& rows) {
  const Host& host = ctx.host();
  OpensslConfLoader loader;
  loader.stat = [&host](const std::string& path) -> Result<ConfPathInfo> {
    auto st = host.stat(path, true);
    if (!st) return std::move(st).error();
    const ConfPathKind kind = st->type == FileType::regular     ? ConfPathKind::regular
                              : st->type == FileType::directory ? ConfPathKind::directory
                                                                : ConfPathKind::other;
    return ConfPathInfo{kind, st->device, st->inode};
  };
  loader.read = [&host](const std::string& path) -> Result<std::string> {
    auto content = host.read_file(path);
    if (!content) return std::move(content).error();
    return std::move(content->data);
  };
  loader.list_dir = [&host](const std::string& path) -> Result<std::vector<std::string>> {
    auto entries = host.list_dir(path);
    if (!entries) return std::move(entries).error();
    std::vector<std::string> names;
    for (auto& e : *entries) names.push_back(std::move(e.name));
    return names;
  };
  const std::string main_name = resolved_name(host, std::string(kOpensslConfPath));
  auto conf = load_openssl_conf(loader, kOpensslConfPath, main_name);
  if (!conf) return conf.error();
  if (!conf->main_file_found) {
    ctx.warn(
        std::string(kOpensslConfPath),
        "file absent: OpenSSL programs run with the compiled-in defaults (reported with is_default = 1)");
  }
  const OpensslConfigReport report = evaluate_openssl_config(*conf);
  for (const auto& i : conf->issues)
    ctx.warn(sanitize_utf8(display_where(i, main_name)), sanitize_utf8(i.message));
  for (const auto& i : report.issues)
    ctx.warn(sanitize_utf8(display_where(i, main_name)), sanitize_utf8(i.message));
  for (const auto& r : report.rows) {
    rows.push_back(Row{r.section ? text_value(sanitize_utf8(*r.section)) : null_value(),
                       text_value(sanitize_utf8(r.key)), text_value(sanitize_utf8(r.value)),
                       r.file.empty() ? null_value() : text_value(sanitize_utf8(r.file)),
                       r.line > 0 ? int_value(r.line) : null_value(), text_value(r.role),
                       r.command ? text_value(*r.command) : null_value(), bool_value(r.effective),
                       bool_value(r.in_force), bool_value(r.is_default)});
  }
  return Status::success();
}

TableDef openssl_config_table() {
  using T = ColumnType;
  return TableDef{
      "openssl_config",
      "The system OpenSSL configuration as Debian 12's OpenSSL 3.0 loads it for programs that do not name "
      "their own: /usr/lib/ssl/openssl.cnf (a link to /etc/ssl/openssl.cnf; OPENSSL_CONF and "
      "OPENSSL_CONF_INCLUDE are per-program environment and not followed) with its .include files and "
      "directories (*.cnf, *.conf), one row per value in reading order, plus Debian 12's compiled-in TLS "
      "defaults (is_default = 1). in_force = 1 marks what every TLS context of a libssl program starts "
      "with: the commands of the section reached through openssl_conf -> ssl_conf -> system_default, and "
      "the defaults nothing there replaces. Programs may still set their own (nginx ssl_protocols, "
      "SSL_CTX_config). A syntax error (or an undefined $variable) makes OpenSSL load nothing: no file "
      "row is in force and a warning says why. An absent file gives only the defaults.",
      {
          {"section", T::text, "section name ('default' before the first [section]); NULL for a default row"},
          {"key", T::text,
           "name as written (OpenSSL compares names case-sensitively; SSL_CONF commands are "
           "case-insensitive: see command); for a default row the command; '@SECLEVEL' for the row derived "
           "from the in-force CipherString"},
          {"value", T::text,
           "value after quotes, escapes and $var/${var}/$section::var expansion; $ENV::NAME is kept as "
           "written (each program's environment, with a warning). Default rows: MinProtocol/MaxProtocol "
           "'None' (no bound: at security level 2 TLS 1.0/1.1 handshakes fail anyway), CipherString "
           "'DEFAULT' (ALL:!COMPLEMENTOFDEFAULT:!eNULL), Ciphersuites, SecurityLevel '2'"},
          {"file", T::text, "host path of the file; NULL for a default row"},
          {"line", T::integer, "1-based line where the value's logical line starts; NULL for a default row"},
          {"role", T::text,
           "what the section is to OpenSSL: 'system_default' (commands for every TLS context), "
           "'ssl_application' (commands a program applies only by asking for that name), 'ssl_conf' (the "
           "ssl_conf module's section), 'init' (the section openssl_conf names), 'module' (another module's "
           "section: providers, alg_section...), 'default_section', 'other' (read by tools such as openssl "
           "req/ca only)"},
          {"command", T::text,
           "for rows of system_default and ssl_application sections: the canonical SSL_CONF command "
           "(MinProtocol, CipherString, Groups...) the key names case-insensitively; NULL when OpenSSL 3.0 "
           "has no such command (ignored, with a warning). 'SecurityLevel' is a pseudo-command: the "
           "compiled-in level or the last @SECLEVEL=n of the CipherString in force"},
          {"effective", T::integer,
           "1 for the occurrence OpenSSL's loader keeps: the last of a section and key (a later line "
           "replaces an earlier one); for default rows the same as in_force"},
          {"in_force", T::integer,
           "1 when every TLS context starts with this value: the kept occurrence of a command in the "
           "system_default section when the configuration loads and its modules run, the last of each "
           "command (Curves and Groups are one; Options, Protocol and VerifyMode add up), or a default "
           "nothing replaces. 0 for everything else, and for every row when OpenSSL refuses to create TLS "
           "contexts (config_diagnostics set and a module failing)"},
          {"is_default", T::integer, "1 for Debian 12's compiled-in value (section, file and line NULL)"},
      },
      collect_openssl_config,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(openssl_config_table());

}  // namespace vigil::collectors
