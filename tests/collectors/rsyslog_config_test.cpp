// rsyslog_config: the statement scanner, legacy forwards, includes and the
// table on fixture hosts.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "rsyslog.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;

TEST_CASE("parse_rsyslog_conf finds directives, objects and actions", "[rsyslog]") {
  const auto p = parse_rsyslog_conf(
      "$FileCreateMode 0640 # c\n"
      "module(load=\"imuxsock\") # c\n"
      "/* block\n comment */\nauth,authpriv.*\t/var/log/auth.log\n"
      "& ~\n"
      ":msg, contains, \"x y\" -/var/log/x.log\n"
      "ruleset(name=\"remote\") {\n"
      "  action(type=\"omfwd\" target=\"h\" Port=\"6514\"\n    protocol=\"tcp\" queue.type=[\"a\", \"b\"])\n"
      "}\n"
      "if $programname == 'sshd' then /var/log/sshd.log\n"
      "template(name=\"t\" type=\"list\") { property(name=\"msg\") }\n"
      "*.emerg :omusrmsg:*\n");
  REQUIRE(p.statements.size() == 10);
  CHECK(p.statements[0].kind == "directive");
  CHECK(p.statements[0].name == "filecreatemode");
  CHECK(p.statements[0].args == "0640");
  CHECK(p.statements[1].name == "module");
  CHECK(p.statements[2].selector == "auth,authpriv.*");
  CHECK(p.statements[2].args == "/var/log/auth.log");
  CHECK(p.statements[2].line == 5);
  CHECK(p.statements[3].selector == "auth,authpriv.*");  // '&' repeats the previous selector
  CHECK(p.statements[3].args == "~");
  CHECK(p.statements[4].selector == ":msg, contains, \"x y\"");
  CHECK(p.statements[5].name == "ruleset");
  CHECK(p.statements[6].ruleset == "remote");
  CHECK(rsyslog_param(p.statements[6], "PORT") == "6514");
  CHECK(rsyslog_param(p.statements[6], "queue.type") == "a,b");
  CHECK(p.statements[6].line == 9);
  CHECK(p.statements[7].selector == "if $programname == \"sshd\"");
  CHECK(p.statements[7].args == "/var/log/sshd.log");
  CHECK(p.statements[8].name == "template");
  CHECK(p.statements[9].args == ":omusrmsg:*");
  CHECK(p.issues.empty());
}

TEST_CASE("parse_legacy_forward reads @ and @@ actions", "[rsyslog]") {
  struct Case {
    std::string action, protocol, target;
    std::optional<std::string> port;
  };
  const std::vector<Case> cases{{"@h.example", "udp", "h.example", std::nullopt},
                                {"@@h.example:10514", "tcp", "h.example", "10514"},
                                {"@@(o,z9)h:514;RSYSLOG_ForwardFormat", "tcp", "h", "514"},
                                {"@[2001:db8::1]:514", "udp", "2001:db8::1", "514"}};
  for (const auto& c : cases) {
    INFO(c.action);
    auto f = parse_legacy_forward(c.action);
    REQUIRE(f);
    CHECK(f->protocol == c.protocol);
    CHECK(f->target == c.target);
    CHECK(f->port == c.port);
  }
  CHECK_FALSE(parse_legacy_forward("/var/log/x"));
}

TEST_CASE("rsyslog_config on a stock Debian 12 host", "[rsyslog]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("logging-debian12"), "rsyslog_config");
  CHECK(t.warnings.empty());
  auto files = t.rows_where("kind", "file");
  REQUIRE(files.size() == 6);
  CHECK(t.text(files[0], "value") == "/var/log/syslog");
  CHECK(t.text(files[0], "selector") == "*.*;auth,authpriv.none");
  CHECK(t.text(files[0], "file_create_mode") == "0640");
  CHECK(t.text(files[0], "file_group") == "adm");
  CHECK(t.text(files[0], "umask") == "0022");
  CHECK(t.rows_where("kind", "forward").empty());
  auto inc = t.rows_where("kind", "include");
  REQUIRE(inc.size() == 1);
  CHECK(t.text(inc[0], "value") == "/etc/rsyslog.d/*.conf");
  CHECK(t.integer(inc[0], "line") == 45);
  CHECK(t.rows_where("name", "omusrmsg").size() == 1);
}

TEST_CASE("rsyslog_config on a hardened host: TLS forward in an included file", "[rsyslog]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("logging-hardened"), "rsyslog_config");
  auto fwd = t.rows_where("kind", "forward");
  REQUIRE(fwd.size() == 2);
  CHECK(t.text(fwd[0], "file") == "/etc/rsyslog.d/50-forward.conf");
  CHECK(t.text(fwd[0], "target") == "logs.example.net");
  CHECK(t.text(fwd[0], "protocol") == "tcp");
  CHECK(t.text(fwd[0], "stream_driver") == "gtls");
  CHECK(t.text(fwd[0], "stream_driver_auth_mode") == "x509/name");
  CHECK(t.integer(fwd[0], "tls") == 1);
  CHECK(t.text(fwd[1], "protocol") == "udp");
  CHECK(t.integer(fwd[1], "tls") == 0);
  CHECK(t.is_null(fwd[1], "stream_driver"));
  auto sshd = t.rows_where("value", "/var/log/sshd.log");
  REQUIRE(sshd.size() == 1);
  CHECK(t.text(sshd[0], "file_create_mode") == "0600");  // the action's own
  auto local0 = t.rows_where("value", "/var/log/local0.log");
  REQUIRE(local0.size() == 1);
  CHECK(t.text(local0[0], "file_create_mode") == "0640");  // the builtin:omfile module's
  CHECK(t.text(local0[0], "file_owner") == "root");
  auto syslog = t.rows_where("value", "/var/log/syslog");
  REQUIRE(syslog.size() == 1);
  CHECK(t.text(syslog[0], "file_create_mode") == "0600");  // legacy $FileCreateMode above it
}

TEST_CASE("rsyslog_config: include loops, a fifo in rsyslog.d, legacy TLS, syslog-ng", "[rsyslog]") {
  auto tricky = vigil::test::collect_ok(vigil::test::fixture_host("logging-tricky"), "rsyslog_config");
  CHECK(tricky.warned("/etc/rsyslog.d/10-loop.conf", "include loop"));
  CHECK(tricky.warned("/etc/rsyslog.conf", "include loop"));
  CHECK(tricky.rows_where("kind", "file").size() == 2);

  vigil::test::TempDir dir;
  dir.write("etc/rsyslog.conf",
            "$DefaultNetstreamDriver gtls\n$ActionSendStreamDriverMode 1\n$ActionSendStreamDriverAuthMode "
            "x509/name\n"
            "$IncludeConfig /etc/rsyslog.d/\n*.* @@central.example:6514\n$ActionSendStreamDriverMode 0\n"
            "*.* @@plain.example\n");
  dir.mkdir("etc/rsyslog.d");
  REQUIRE(::mkfifo((dir.path() + "/etc/rsyslog.d/fifo.conf").c_str(), 0644) == 0);
  auto t = vigil::test::collect_ok(dir.path(), "rsyslog_config");
  CHECK(t.warned("/etc/rsyslog.d/fifo.conf", "fifo"));
  auto fwd = t.rows_where("kind", "forward");
  REQUIRE(fwd.size() == 2);
  CHECK(t.integer(fwd[0], "tls") == 1);
  CHECK(t.text(fwd[0], "stream_driver_auth_mode") == "x509/name");
  CHECK(t.integer(fwd[1], "tls") == 0);

  vigil::test::TempDir ng;
  ng.write("etc/syslog-ng/syslog-ng.conf",
           "@include \"scl.conf\"\n@include \"/etc/syslog-ng/conf.d/*.conf\"\n"
           "destination d_local { file(\"/var/log/messages\"); };\n");
  ng.write(
      "etc/syslog-ng/conf.d/remote.conf",
      "# central\ndestination d_remote {\n  network(\"logs.example\" port(6514)\n    transport(\"tls\")\n"
      "    tls(peer-verify(required-trusted)));\n  udp(\"10.0.0.1\");\n};\n");
  auto n = vigil::test::collect_ok(ng.path(), "rsyslog_config");
  REQUIRE(n.rows.size() == 2);
  CHECK(n.text(0, "daemon") == "syslog-ng");
  CHECK(n.text(0, "target") == "logs.example");
  CHECK(n.text(0, "port") == "6514");
  CHECK(n.integer(0, "tls") == 1);
  CHECK(n.integer(0, "line") == 3);
  CHECK(n.text(1, "protocol") == "udp");
  CHECK(n.integer(1, "tls") == 0);

  vigil::test::TempDir none;
  none.mkdir("etc");
  auto e = vigil::test::collect_ok(none.path(), "rsyslog_config");
  CHECK(e.rows.empty());
  CHECK(e.warned("/etc/rsyslog.conf", "neither"));
}
