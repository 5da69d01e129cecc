// The `auditd_conf` table: /etc/audit/auditd.conf as auditd 3.0.9 (Debian 12)
// reads it, load_config() in auditd-config.c, checked against the Debian
// binary (its 160-byte fgets buffer, its messages, the sanity checks and the
// clear_config() defaults read from its machine code). auditd is strict:
// any line it cannot use makes load_config() fail and auditd exit, so then
// no row is effective.
#include <map>

#include "auditd.hpp"
#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

enum class Check { yes_no, number, number_or_percent, enumeration, text };

struct Keyword {
  std::string_view name;
  Check check;
  std::vector<std::string_view> values;  // for enumeration
  bool takes_option = false;             // max_options 1
};

const std::vector<Keyword>& keywords() {
  static const std::vector<std::string_view> kActions = {"ignore", "syslog",  "rotate", "email",
                                                         "exec",   "suspend", "single", "halt"};
  static const std::vector<Keyword> k = {
      {"local_events", Check::yes_no, {}},
      {"write_logs", Check::yes_no, {}},
      {"log_file", Check::text, {}},
      {"log_format", Check::enumeration, {"raw", "enriched", "nolog"}},
      {"log_group", Check::text, {}},
      {"flush", Check::enumeration, {"none", "incremental", "incremental_async", "data", "sync"}},
      {"freq", Check::number, {}},
      {"num_logs", Check::number, {}},
      {"dispatcher", Check::text, {}},
      {"name_format", Check::enumeration, {"none", "hostname", "fqd", "numeric", "user"}},
      {"name", Check::text, {}},
      {"disp_qos", Check::text, {}},
      {"max_log_file", Check::number, {}},
      {"max_log_file_action", Check::enumeration, {"ignore", "syslog", "suspend", "rotate", "keep_logs"}},
      {"space_left", Check::number_or_percent, {}},
      {"space_left_action", Check::enumeration, kActions, true},
      {"action_mail_acct", Check::text, {}},
      {"verify_email", Check::yes_no, {}},
      {"admin_space_left", Check::number_or_percent, {}},
      {"admin_space_left_action", Check::enumeration, kActions, true},
      {"disk_full_action",
       Check::enumeration,
       {"ignore", "syslog", "rotate", "exec", "suspend", "single", "halt"},
       true},
      {"disk_error_action",
       Check::enumeration,
       {"ignore", "syslog", "exec", "suspend", "single", "halt"},
       true},
      {"priority_boost", Check::number, {}},
      {"tcp_listen_port", Check::number, {}},
      {"tcp_listen_queue", Check::number, {}},
      {"tcp_max_per_addr", Check::number, {}},
      {"use_libwrap", Check::yes_no, {}},
      {"tcp_client_ports", Check::text, {}},
      {"tcp_client_max_idle", Check::number, {}},
      {"transport", Check::enumeration, {"tcp", "krb5"}},
      {"enable_krb5", Check::yes_no, {}},
      {"krb5_principal", Check::text, {}},
      {"krb5_key_file", Check::text, {}},
      {"distribute_network", Check::yes_no, {}},
      {"q_depth", Check::number, {}},
      {"overflow_action", Check::enumeration, {"ignore", "syslog", "suspend", "single", "halt"}},
      {"max_restarts", Check::number, {}},
      {"plugin_dir", Check::text, {}},
      {"end_of_event_timeout", Check::number, {}},
  };
  return k;
}

const Keyword* find_keyword(std::string_view lower) {
  for (const auto& k : keywords()) {
    if (k.name == lower) return &k;
  }
  return nullptr;
}

bool digits(std::string_view v) {
  return !v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos;
}

// What the keyword's parser refuses (it logs and load_config() fails), or "".
std::string value_problem(const Keyword& k, const std::string& value,
                          const std::optional<std::string>& option) {
  const std::string lower = to_lower(value);
  switch (k.check) {
    case Check::yes_no:
      return lower == "yes" || lower == "no" ? "" : "'" + value + "' is not yes or no";
    case Check::number:
      if (!digits(value)) return "'" + value + "' is not a number";
      if (k.name == "num_logs" && value.size() > 3) return "num_logs must be 999 or less";
      if (k.name == "tcp_listen_port" &&
          (std::stol(value.substr(0, 6)) < 1 || std::stol(value.substr(0, 6)) > 65535))
        return "tcp_listen_port must be 1..65535";
      return "";
    case Check::number_or_percent: {
      std::string v = value;
      if (!v.empty() && v.back() == '%') v.pop_back();
      return digits(v) ? "" : "'" + value + "' is not a number or a percentage";
    }
    case Check::enumeration:
      for (auto e : k.values) {
        if (e == lower) {
          if (e == "exec" && !option) return "exec needs the program as the next word";
          return "";
        }
      }
      return "option '" + value + "' not found";
    case Check::text:
      if (k.name == "log_file") {
        const auto slash = value.rfind('/');
        if (slash == std::string::npos || slash < 4)
          return "the directory name of '" + value + "' is too short";
        if (slash + 1 == value.size()) return "the file name of '" + value + "' is empty";
      }
      return "";
  }
  return "";
}

}  // namespace

const std::vector<AuditdDefault>& auditd_defaults() {
  static const std::vector<AuditdDefault> d = {
      {"local_events", "yes"},
      {"write_logs", "yes"},
      {"log_file", "/var/log/audit/audit.log"},
      {"log_format", "enriched"},
      {"log_group", "root"},
      {"flush", "none"},
      {"freq", "0"},
      {"num_logs", "0"},
      {"name_format", "none"},
      {"max_log_file", "0"},
      {"max_log_file_action", "ignore"},
      {"space_left", "0"},
      {"space_left_action", "ignore"},
      {"action_mail_acct", "root"},
      {"verify_email", "yes"},
      {"admin_space_left", "0"},
      {"admin_space_left_action", "ignore"},
      {"disk_full_action", "ignore"},
      {"disk_error_action", "syslog"},
      {"priority_boost", "4"},
      {"tcp_listen_port", "0"},
      {"tcp_listen_queue", "5"},
      {"tcp_max_per_addr", "1"},
      {"use_libwrap", "yes"},
      {"tcp_client_ports", "0-65535"},
      {"tcp_client_max_idle", "0"},
      {"transport", "tcp"},
      {"enable_krb5", "no"},
      {"distribute_network", "no"},
      {"q_depth", "2000"},
      {"overflow_action", "syslog"},
      {"max_restarts", "10"},
      {"plugin_dir", "/etc/audit/plugins.d"},
      {"end_of_event_timeout", "2"},
  };
  return d;
}

AuditdConf parse_auditd_conf(std::string_view text) {
  AuditdConf out;
  constexpr std::size_t kBuf = 159;  // fgets(buf, 160, f)
  std::size_t pos = 0;
  int physical = 1;  // line of the next chunk's start
  bool too_long = false;
  bool any_line = false;
  auto fatal = [&out](int line, std::string why) {
    out.fatal = AuditdConf::Issue{line, std::move(why) + "; auditd stops reading and refuses to start"};
  };
  while (pos < text.size() && !out.fatal) {
    std::size_t end = pos;
    while (end < text.size() && end - pos < kBuf && text[end] != '\n') ++end;
    if (end < text.size() && end - pos < kBuf) ++end;  // take the newline
    const std::string_view chunk = text.substr(pos, end - pos);
    const int chunk_line = physical;
    for (char c : chunk) physical += c == '\n' ? 1 : 0;
    pos = end;
    const std::string_view cstr = chunk.substr(0, chunk.find('\0'));
    const auto nl = cstr.find('\n');
    if (nl == std::string_view::npos) {
      if (!too_long) {
        out.issues.push_back(
            {chunk_line, pos >= text.size() && chunk.size() < kBuf
                             ? "last line has no newline: auditd skips it as too long"
                             : "line longer than 158 characters (or holding a NUL): auditd skips it"});
      }
      too_long = true;
      continue;
    }
    if (too_long) {
      too_long = false;
      continue;
    }
    any_line = true;
    const std::string_view line = cstr.substr(0, nl);
    std::vector<std::string> words;
    for (auto w : split(line, ' ')) {
      if (!w.empty()) words.emplace_back(w);
    }
    if (words.empty() || words[0][0] == '#') continue;
    if (words.size() < 3 || words[1] != "=") {
      fatal(chunk_line, words.size() >= 2 && words[1] != "="
                            ? "missing equal sign (a blank on each side of '=' is "
                              "required)"
                            : "wrong number of arguments");
      break;
    }
    if (words.size() > 4)
      out.issues.push_back({chunk_line, "wrong number of arguments (extra words ignored)"});
    AuditdConfEntry e{to_lower(words[0]), words[2],
                      words.size() > 3 ? std::optional<std::string>(words[3]) : std::nullopt, chunk_line};
    const Keyword* k = find_keyword(e.key);
    if (k == nullptr) {
      fatal(chunk_line, "unknown keyword \"" + words[0] + "\"");
      break;
    }
    if (!k->takes_option && e.option) {
      fatal(chunk_line, "keyword \"" + words[0] + "\" has invalid option \"" + *e.option + "\"");
      break;
    }
    if (const std::string p = value_problem(*k, e.value, e.option); !p.empty()) {
      fatal(chunk_line, e.key + ": " + p);
      break;
    }
    if (e.key == "dispatcher" || e.key == "disp_qos" ||
        (e.key == "log_format" && to_lower(e.value) == "nolog")) {
      out.issues.push_back({chunk_line, e.key + " = " + e.value +
                                            " is deprecated in auditd 3.0 (accepted, no effect "
                                            "or write_logs instead)"});
    }
    out.entries.push_back(std::move(e));
  }
  if (out.fatal || !any_line) return out;
  // sanity_check() with the settings in force.
  std::map<std::string, std::string> v;
  for (const auto& d : auditd_defaults()) v[std::string(d.key)] = std::string(d.value);
  for (const auto& e : out.entries) v[e.key] = to_lower(e.value);
  const std::string& sl = v["space_left"];
  const std::string& asl = v["admin_space_left"];
  if (sl.back() != '%' && asl.back() != '%' &&
      std::stoull(sl.substr(0, 18)) <= std::stoull(asl.substr(0, 18))) {
    fatal(0, "space_left (" + sl + ") must be larger than admin_space_left (" + asl + ")");
  } else if ((v["flush"] == "incremental" || v["flush"] == "incremental_async") &&
             std::stoull(v["freq"].substr(0, 18)) == 0) {
    fatal(0, "incremental flushing chosen, but 0 selected for freq");
  }
  return out;
}

namespace {

Status collect_auditd_conf(CollectContext& ctx, std::vector<Row>& rows) {
  const std::string path = "/etc/audit/auditd.conf";
  auto st = ctx.host().stat(path, false);
  AuditdConf conf;
  if (!st) {
    if (!st.is(Errc::not_found)) return make_error(st.error().code, path + ": " + st.error().message);
    ctx.warn(path, "file absent: auditd (if installed) starts with its compiled-in defaults");
  } else {
    std::string refused;
    if (st->type == FileType::symlink)
      refused = "is a symlink (auditd opens it with O_NOFOLLOW)";
    else if (st->type != FileType::regular)
      refused = "is not a regular file";
    else if (st->uid != 0)
      refused = "isn't owned by root";
    else if ((st->mode & 02) != 0)
      refused = "is world writable";
    auto content = ctx.host().read_file(path);
    if (!content) return make_error(content.error().code, path + ": " + content.error().message);
    conf = parse_auditd_conf(content->data);
    if (!refused.empty() && !conf.fatal)
      conf.fatal = AuditdConf::Issue{0, path + " " + refused + "; auditd refuses to start"};
  }
  for (const auto& i : conf.issues) ctx.warn(path + ":" + std::to_string(i.line), i.message);
  if (conf.fatal) {
    ctx.warn(conf.fatal->line > 0 ? path + ":" + std::to_string(conf.fatal->line) : path,
             conf.fatal->message);
  }
  const bool ok = !conf.fatal;
  std::map<std::string, std::size_t> last;
  for (std::size_t i = 0; i < conf.entries.size(); ++i) last[conf.entries[i].key] = i;
  for (std::size_t i = 0; i < conf.entries.size(); ++i) {
    const auto& e = conf.entries[i];
    const Keyword* k = find_keyword(e.key);
    const bool normalise = k != nullptr && (k->check == Check::yes_no || k->check == Check::enumeration);
    rows.push_back(Row{text_value(e.key), text_value(sanitize_utf8(normalise ? to_lower(e.value) : e.value)),
                       text_value(sanitize_utf8(e.value)),
                       e.option ? text_value(sanitize_utf8(*e.option)) : null_value(), bool_value(false),
                       bool_value(ok && last[e.key] == i), text_value(path), int_value(e.line)});
  }
  for (const auto& d : auditd_defaults()) {
    if (last.count(std::string(d.key)) != 0) continue;
    rows.push_back(Row{text_value(d.key), text_value(d.value), null_value(), null_value(), bool_value(true),
                       bool_value(ok), null_value(), null_value()});
  }
  return Status::success();
}

TableDef auditd_conf_table() {
  using T = ColumnType;
  return TableDef{
      "auditd_conf",
      "Settings of /etc/audit/auditd.conf as auditd 3.0.9 (Debian 12) reads them, in file order, then one "
      "is_default row per keyword the file does not set, with the binary's compiled-in default (which "
      "differs "
      "from Debian's shipped file: e.g. flush none, max_log_file_action ignore, space_left_action ignore, "
      "disk_full_action ignore, disk_error_action syslog, num_logs 0, log_group root). Keywords are "
      "case-insensitive; a line must read 'name = value' with a blank on each side of '='. When auditd would "
      "refuse the file (unknown keyword, missing '=', a value its parser rejects, a symlink, not owned by "
      "root, "
      "world-writable, or the sanity checks) a warning says why and NO row is effective: auditd does not "
      "start. "
      "An absent file: defaults only, effective. Lines before the fatal one are rows; lines after it are not "
      "read.",
      {
          {"key", T::text, "the keyword in lower case"},
          {"value", T::text,
           "the value auditd uses: yes/no and enumerations (actions, flush, log_format...) in lower case, "
           "numbers, "
           "sizes ('75', '5%') and paths as written"},
          {"raw_value", T::text, "the value as written; NULL on default rows"},
          {"option", T::text,
           "the word after the value, for the *_action keywords ('exec /usr/local/bin/alert' "
           "gives value 'exec', option '/usr/local/bin/alert'); NULL otherwise"},
          {"is_default", T::integer, "1 for the compiled-in default of a keyword the file does not set"},
          {"effective", T::integer,
           "1 for the value in force (the last occurrence of a keyword, or its default); 0 on every row when "
           "auditd "
           "would refuse the file"},
          {"file", T::text, "/etc/audit/auditd.conf; NULL on default rows"},
          {"line", T::integer, "1-based line; NULL on default rows"},
      },
      collect_auditd_conf,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(auditd_conf_table());

}  // namespace vigil::collectors
