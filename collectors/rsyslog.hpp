// Pure parsers behind the `rsyslog_config` table (rsyslog_config.cpp), so
// tests can feed them strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::collectors {

struct RsyslogParam {
  std::string name;   // lower case: rsyslog compares parameter names case-insensitively
  std::string value;  // unquoted; an array's items joined with ','
};

// One statement of an rsyslog 8.2302 configuration file, as its lexer
// splits it: a legacy "$Directive args" line, a RainerScript object
// (action(...), module(...), include(...), global(...), input(...),
// ruleset(...) ...), a legacy "selector action" line (also "& action" and
// ":property, op, value action"), or a control word (stop, call, set...).
struct RsyslogStatement {
  std::string kind;  // "directive", "object", "legacy_action", "control"
  std::string name;  // directive without '$' or object/control word, lower case
  std::string args;  // a directive's argument text, a legacy action's text
  std::vector<RsyslogParam> params;
  std::string selector;  // the filter: legacy selector, or "if <expr>" / "else" from RainerScript
  std::string ruleset;   // the enclosing ruleset(name=...) block, "" at top level
  int line = 0;
};

struct RsyslogIssue {
  int line = 0;
  std::string message;
};

struct RsyslogParsed {
  std::vector<RsyslogStatement> statements;
  std::vector<RsyslogIssue> issues;
};

// '#' starts a comment where a statement may start and after a legacy line's
// words; /* */ comments; strings in '"' or '\'' with backslash escapes.
RsyslogParsed parse_rsyslog_conf(std::string_view text);

// A parameter's value (nullopt when absent), name compared case-insensitively.
std::optional<std::string> rsyslog_param(const RsyslogStatement& s, std::string_view name);

// A legacy forwarding action: "@host", "@@host:port", "@@(o,z9)[::1]:514;Template".
struct LegacyForward {
  std::string protocol;  // "udp" for '@', "tcp" for '@@'
  std::string target;
  std::optional<std::string> port;
};
std::optional<LegacyForward> parse_legacy_forward(std::string_view action);

// --- syslog-ng ----------------------------------------------------------------

// A destination driver: network("host" transport("tls") port(6514)).
struct SyslogNgDestination {
  std::string destination;  // the destination block's name
  std::string driver;       // network, syslog, tcp, udp, tcp6, udp6
  std::string target;
  std::optional<std::string> port;
  std::optional<std::string> transport;  // as written in transport(...); the driver name for tcp()/udp()
  bool tls = false;                      // transport("tls") or a tls(...) block
  int line = 0;
};
// A deliberately small reader: `destination NAME { DRIVER("host" ...); };`
// blocks with their network drivers; everything else (sources, filters,
// log paths, templates) is not read.
std::vector<SyslogNgDestination> parse_syslog_ng_destinations(std::string_view text);
// The @include lines of a syslog-ng file, in order.
std::vector<std::string> syslog_ng_includes(std::string_view text);

}  // namespace vigil::collectors
