// Tests of the pam.d word splitter, line assembler and stack expansion
// (in-memory files) and of the `pam` and `pam_args` tables over fixture
// host trees.
#include "pam.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collector.hpp"
#include "mem_fs.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::Errc;

namespace {

using vigil::test::MemFs;

PamStacks eval(const MemFs& fs) {
  auto r = evaluate_pam(fs.loader<PamLoader>());
  if (!r) FAIL(r.error().message);
  return std::move(r).value();
}

std::vector<const PamRule*> stack(const PamStacks& s, std::string_view service, std::string_view type) {
  std::vector<const PamRule*> out;
  for (const auto& r : s.rules) {
    if (r.service == service && r.type == type) out.push_back(&r);
  }
  return out;
}

std::string modules(const std::vector<const PamRule*>& rules) {
  std::string out;
  for (const auto* r : rules) out += (out.empty() ? "" : " ") + r->module;
  return out;
}

bool has_issue(const std::vector<PamIssue>& issues, std::string_view file, int line, std::string_view part) {
  for (const auto& i : issues) {
    if (i.file == file && i.line == line && i.message.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("split_pam_words splits like _pam_StrTokEx", "[pam]") {
  struct Case {
    std::string line;
    std::vector<std::string> values;
    std::vector<std::string> raws;
  };
  const std::vector<Case> cases{
      {"auth required pam_unix.so", {"auth", "required", "pam_unix.so"}, {"auth", "required", "pam_unix.so"}},
      {"\tauth\t\trequired  pam_unix.so  ",
       {"auth", "required", "pam_unix.so"},
       {"auth", "required", "pam_unix.so"}},
      {"auth [success=1 default=ignore] pam_unix.so",
       {"auth", "success=1 default=ignore", "pam_unix.so"},
       {"auth", "[success=1 default=ignore]", "pam_unix.so"}},
      {"[query=select a \\] b]", {"query=select a ] b"}, {"[query=select a \\] b]"}},
      {"[x]y z", {"x", "y", "z"}, {"[x]", "y", "z"}},
      {"a[b c]", {"a[b", "c]"}, {"a[b", "c]"}},
      {"[open to the end", {"open to the end"}, {"[open to the end"}},
      {"   ", {}, {}},
  };
  for (const auto& c : cases) {
    INFO("line: " << c.line);
    std::vector<std::string> values, raws;
    for (const auto& w : split_pam_words(c.line)) {
      values.push_back(w.value);
      raws.push_back(w.raw);
    }
    CHECK(values == c.values);
    CHECK(raws == c.raws);
  }
}

TEST_CASE("assemble_pam_lines joins continued lines and drops comments", "[pam]") {
  struct Case {
    std::string text;
    std::vector<std::pair<std::string, int>> lines;  // logical text, first physical line
  };
  const std::vector<Case> cases{
      {"auth required pam_unix.so\n", {{"auth required pam_unix.so", 1}}},
      {"# c\n\n  # indented\nauth required x.so # trailing\n", {{"auth required x.so ", 4}}},
      {"auth required \\\n  x.so a\n", {{"auth required    x.so a", 1}}},
      {"auth required x.so \\  \nb\n", {{"auth required x.so  b", 1}}},
      // Blank and comment lines inside a continued line are skipped by libpam.
      {"auth \\\n\n# c\nrequired x.so\n", {{"auth  required x.so", 1}}},
      // A comment ends the logical line even after a backslash.
      {"auth required x.so \\ # c\nsession optional y.so\n",
       {{"auth required x.so \\ ", 1}, {"session optional y.so", 2}}},
      {"auth required x.so\r\nsession optional y.so\r\n",
       {{"auth required x.so", 1}, {"session optional y.so", 2}}},
      {"auth required x.so", {{"auth required x.so", 1}}},
      {std::string("auth required x.so\0junk\nb c d\n", 30), {{"auth required x.so", 1}, {"b c d", 2}}},
  };
  for (const auto& c : cases) {
    INFO("text: " << c.text);
    std::vector<PamIssue> issues;
    std::vector<std::pair<std::string, int>> got;
    for (const auto& l : assemble_pam_lines(c.text, "/f", issues)) got.emplace_back(l.text, l.line);
    CHECK(got == c.lines);
  }
  std::vector<PamIssue> issues;
  assemble_pam_lines("a b c\r\n", "/crlf", issues);
  CHECK(has_issue(issues, "/crlf", 0, "CRLF"));
  issues.clear();
  CHECK(assemble_pam_lines("auth required x.so\nauth \\\n", "/eof", issues).size() == 1);
  CHECK(has_issue(issues, "/eof", 2, "ends inside a continued line"));
}

TEST_CASE("@include expands in place and every pam.d file is a service", "[pam]") {
  MemFs fs;
  fs.files["/etc/pam.d/common-auth"] =
      "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\n";
  fs.files["/etc/pam.d/common-session"] = "session required pam_unix.so\n";
  fs.files["/etc/pam.d/sshd"] =
      "auth required pam_env.so\n@include common-auth\nsession optional pam_motd.so\n@include "
      "common-session\n";
  auto s = eval(fs);
  CHECK(s.issues.empty());
  auto auth = stack(s, "sshd", "auth");
  CHECK(modules(auth) == "pam_env.so pam_unix.so pam_deny.so");
  REQUIRE(auth.size() == 3);
  CHECK(auth[1]->control == "[success=1 default=ignore]");
  CHECK(auth[1]->file == "/etc/pam.d/common-auth");
  CHECK(auth[1]->line == 1);
  CHECK(auth[1]->via == std::vector<std::string>{"sshd", "common-auth"});
  CHECK(auth[1]->position == 2);
  CHECK(auth[0]->via == std::vector<std::string>{"sshd"});
  CHECK(modules(stack(s, "sshd", "session")) == "pam_motd.so pam_unix.so");
  // common-auth is a service of its own too.
  auto common = stack(s, "common-auth", "auth");
  REQUIRE(common.size() == 2);
  CHECK(common[0]->args.size() == 1);
  CHECK(common[0]->args[0].value == "nullok");
  CHECK(common[0]->via == std::vector<std::string>{"common-auth"});
}

TEST_CASE("include and substack take only the lines of their own type", "[pam]") {
  MemFs fs;
  fs.files["/etc/pam.d/common-auth"] =
      "auth required pam_faillock.so preauth\naccount required pam_faillock.so\n@include extra\n";
  fs.files["/etc/pam.d/extra"] = "auth optional pam_extra.so\nsession optional pam_extra.so\n";
  fs.files["/etc/pam.d/sshd"] =
      "auth substack common-auth\nauth required pam_access.so\naccount INCLUDE common-auth\n"
      "session include extra\n";
  auto s = eval(fs);
  auto auth = stack(s, "sshd", "auth");
  CHECK(modules(auth) == "pam_faillock.so pam_extra.so pam_access.so");
  REQUIRE(auth.size() == 3);
  CHECK(auth[0]->in_substack);
  CHECK(auth[1]->in_substack);
  CHECK(auth[1]->via == std::vector<std::string>{"sshd", "common-auth", "extra"});
  CHECK_FALSE(auth[2]->in_substack);
  CHECK(auth[2]->position == 3);
  auto account = stack(s, "sshd", "account");
  REQUIRE(account.size() == 1);
  CHECK_FALSE(account[0]->in_substack);
  CHECK(modules(stack(s, "sshd", "session")) == "pam_extra.so");
}

TEST_CASE("module lines: optional load, controls, paths and arguments", "[pam]") {
  MemFs fs;
  fs.files["/etc/pam.d/svc"] =
      "-session optional pam_systemd.so\n"
      "AUTH Required /lib/x86_64-linux-gnu/security/pam_unix.so nullok try_first_pass\n"
      "auth [success=ok new_authtok_reqd=ok ignore=ignore default=bad] pam_sss.so \\\n"
      "    use_first_pass [query=select x from t where a = 'b']\n"
      "password requisite pam_pwquality.so retry=3 minlen=14 enforce_for_root\n";
  auto s = eval(fs);
  CHECK(s.issues.empty());
  auto session = stack(s, "svc", "session");
  REQUIRE(session.size() == 1);
  CHECK(session[0]->optional_load);
  CHECK(session[0]->type == "session");
  auto auth = stack(s, "svc", "auth");
  REQUIRE(auth.size() == 2);
  CHECK(auth[0]->control == "required");
  CHECK_FALSE(auth[0]->optional_load);
  CHECK(auth[0]->module == "pam_unix.so");
  CHECK(auth[0]->module_path == "/lib/x86_64-linux-gnu/security/pam_unix.so");
  CHECK(auth[1]->control == "[success=ok new_authtok_reqd=ok ignore=ignore default=bad]");
  CHECK(auth[1]->line == 3);
  REQUIRE(auth[1]->args.size() == 2);
  CHECK(auth[1]->args[1].raw == "[query=select x from t where a = 'b']");
  CHECK(auth[1]->args[1].value == "query=select x from t where a = 'b'");
  auto password = stack(s, "svc", "password");
  REQUIRE(password.size() == 1);
  CHECK(password[0]->args.size() == 3);
}

TEST_CASE("lines libpam rejects are issues, the rest of the stack stays", "[pam]") {
  MemFs fs;
  fs.files["/etc/pam.d/svc"] =
      "auht required pam_unix.so\n"
      "auth\n"
      "auth required\n"
      "auth requird pam_deny.so\n"
      "auth include missing\n"
      "@include gone\n"
      "@include\n"
      "session required pam_limits.so\n";
  auto s = eval(fs);
  const std::string f = "/etc/pam.d/svc";
  CHECK(has_issue(s.issues, f, 1, "illegal module type 'auht'"));
  CHECK(has_issue(s.issues, f, 2, "no control flag"));
  CHECK(has_issue(s.issues, f, 3, "no module path"));
  CHECK(has_issue(s.issues, f, 4, "unknown control 'requird'"));
  CHECK(has_issue(s.issues, f, 5, "/etc/pam.d/missing: the file is absent"));
  CHECK(has_issue(s.issues, f, 5, "auth stack of service svc fail"));
  CHECK(has_issue(s.issues, f, 6, "/etc/pam.d/gone: the file is absent"));
  CHECK(has_issue(s.issues, f, 7, "without a file name"));
  CHECK(modules(stack(s, "svc", "auth")) == "pam_deny.so");
  CHECK(stack(s, "svc", "auth")[0]->control == "requird");
  CHECK(modules(stack(s, "svc", "session")) == "pam_limits.so");
}

TEST_CASE("include loops and nesting deeper than 16 are errors", "[pam]") {
  auto chain = [](int levels) {
    MemFs fs;
    fs.files["/etc/pam.d/svc"] = "auth include f1\n";
    for (int i = 1; i <= levels; ++i) {
      fs.files["/etc/pam.d/f" + std::to_string(i)] =
          i < levels ? "@include f" + std::to_string(i + 1) + "\n" : "auth required pam_deep.so\n";
    }
    return fs;
  };
  auto deep = eval(chain(16));
  CHECK(modules(stack(deep, "svc", "auth")) == "pam_deep.so");

  auto err = evaluate_pam(chain(17).loader<PamLoader>());
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().code == Errc::loop);

  const std::string control = GENERATE("include", "substack");
  MemFs loop;
  loop.files["/etc/pam.d/a"] = "auth " + control + " b\n";
  loop.files["/etc/pam.d/b"] = "\n@include /etc/pam.d/a\n";
  auto l = evaluate_pam(loop.loader<PamLoader>());
  REQUIRE_FALSE(l.ok());
  CHECK(l.error().code == Errc::loop);
  CHECK_THAT(l.error().message, Catch::Contains("nests deeper than 16"));
}

TEST_CASE("a fan-out of includes is bounded", "[pam]") {
  // Each level includes the next twice: 2^14 expansions, all within depth 16.
  MemFs fs;
  fs.files["/etc/pam.d/svc"] = "@include f1\n";
  for (int i = 1; i < 14; ++i) {
    const std::string next = "@include f" + std::to_string(i + 1) + "\n";
    fs.files["/etc/pam.d/f" + std::to_string(i)] = next + next;
  }
  fs.files["/etc/pam.d/f14"] = "auth bogus\n";
  auto r = evaluate_pam(fs.loader<PamLoader>());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::too_large);
  CHECK_THAT(r.error().message, Catch::Contains("file expansions"));
}

TEST_CASE("no /etc/pam.d is a fact, not an error", "[pam]") {
  MemFs fs;  // nothing is under /etc/pam.d, so it does not exist
  auto s = eval(fs);
  CHECK_FALSE(s.dir_found);
  CHECK(s.rules.empty());
}

TEST_CASE("pam table on a stock Debian 12 host", "[pam]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("pam-debian12"), "pam");
  CHECK(t.warnings.empty());
  // The policy query of the brief: nullok in common-auth's pam_unix line.
  std::vector<std::size_t> nullok;
  for (auto r : t.rows_where("service", "common-auth")) {
    if (t.text(r, "module") == "pam_unix.so" && t.text(r, "arguments").find("nullok") != std::string::npos)
      nullok.push_back(r);
  }
  REQUIRE(nullok.size() == 1);
  CHECK(t.text(nullok[0], "control") == "[success=1 default=ignore]");
  CHECK(t.integer(nullok[0], "line") == 17);
  CHECK(t.text(nullok[0], "via") == "common-auth");

  std::vector<std::string> sshd_auth, sshd_session;
  for (auto r : t.rows_where("service", "sshd")) {
    if (t.text(r, "type") == "auth") sshd_auth.push_back(t.text(r, "module"));
    if (t.text(r, "type") == "session") sshd_session.push_back(t.text(r, "module"));
  }
  CHECK(sshd_auth == std::vector<std::string>{"pam_unix.so", "pam_deny.so", "pam_permit.so"});
  CHECK(sshd_session.size() == 15);
  for (auto r : t.rows_where("service", "sshd")) {
    if (t.text(r, "module") == "pam_mail.so") CHECK(t.text(r, "arguments") == "standard noenv");
    if (t.text(r, "module") == "pam_unix.so" && t.text(r, "type") == "auth") {
      CHECK(t.text(r, "via") == "sshd > common-auth");
      CHECK(t.text(r, "file") == "/etc/pam.d/common-auth");
      CHECK(t.integer(r, "position") == 1);
    }
  }
  CHECK(t.rows_where("service", "other").size() == 14);
  CHECK_FALSE(t.rows_where("service", "login").empty());

  auto a = vigil::test::collect_ok(vigil::test::fixture_host("pam-debian12"), "pam_args");
  bool found = false;
  for (auto r : a.rows_where("name", "nullok")) {
    if (a.text(r, "service") == "sshd") {
      found = true;
      CHECK(a.is_null(r, "value"));
      CHECK(a.text(r, "module") == "pam_unix.so");
    }
  }
  CHECK(found);
  auto motd = a.rows_where("name", "motd");
  REQUIRE_FALSE(motd.empty());
  CHECK(a.text(motd[0], "value") == "/run/motd.dynamic");
}

TEST_CASE("pam and pam_args on a hardened host", "[pam]") {
  const auto root = vigil::test::fixture_host("pam-hardened");
  auto t = vigil::test::collect_ok(root, "pam");
  CHECK(t.warnings.empty());
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    CHECK(t.text(r, "arguments").find("nullok") == std::string::npos);
  }
  std::vector<std::string> auth;
  for (auto r : t.rows_where("service", "sshd")) {
    if (t.text(r, "type") != "auth") continue;
    auth.push_back(t.text(r, "module"));
    CHECK(t.integer(r, "in_substack") == (t.text(r, "module") == "pam_access.so" ? 0 : 1));
  }
  CHECK(auth == std::vector<std::string>{"pam_faillock.so", "pam_unix.so", "pam_faillock.so",
                                         "pam_faillock.so", "pam_deny.so", "pam_permit.so", "pam_access.so"});
  bool systemd = false;
  for (auto r : t.rows_where("module", "pam_systemd.so")) {
    systemd = true;
    CHECK(t.integer(r, "optional_load") == 1);
    CHECK(t.text(r, "type") == "session");
  }
  CHECK(systemd);

  auto a = vigil::test::collect_ok(root, "pam_args");
  std::vector<std::size_t> minlen;
  for (auto r : a.rows_where("name", "minlen")) {
    if (a.text(r, "service") == "common-password") minlen.push_back(r);
  }
  REQUIRE(minlen.size() == 1);
  CHECK(a.text(minlen[0], "value") == "14");
  CHECK(a.text(minlen[0], "module") == "pam_pwquality.so");
  CHECK(a.integer(minlen[0], "line") == 25);
  bool enforce = false;
  for (auto r : a.rows_where("name", "enforce_for_root")) enforce = enforce || a.text(r, "service") == "sshd";
  CHECK(enforce);  // from the continued line, reached through 'password include common-password'
  bool remember = false;
  for (auto r : a.rows_where("name", "remember")) remember = remember || a.text(r, "value") == "5";
  CHECK(remember);
}

TEST_CASE("pam_args: a later argument of the same name is the effective one", "[pam]") {
  vigil::test::TempDir dir;
  dir.write("etc/pam.d/common-password",
            "password requisite pam_pwquality.so minlen=8 retry=3 minlen=14 enforce_for_root\n");
  auto a = vigil::test::collect_ok(dir.path(), "pam_args");
  REQUIRE(a.rows.size() == 4);
  CHECK(a.text(0, "value") == "8");
  CHECK(a.integer(0, "effective") == 0);
  CHECK(a.integer(1, "effective") == 1);
  CHECK(a.text(2, "value") == "14");
  CHECK(a.integer(2, "effective") == 1);
  CHECK(a.integer(3, "effective") == 1);
  CHECK(a.is_null(3, "value"));
}

TEST_CASE("pam table: no /etc/pam.d warns, a loop through a symlink fails", "[pam]") {
  vigil::test::TempDir dir;
  dir.mkdir("etc");
  auto empty = vigil::test::collect_ok(dir.path(), "pam");
  CHECK(empty.rows.empty());
  CHECK(empty.warned("/etc/pam.d", "absent"));

  dir.write("etc/pam.d/login", "@include common-auth\r\n");
  dir.symlink("etc/pam.d/common-auth", "/etc/pam.d/login");
  auto t = vigil::test::collect_table(dir.path(), "pam");
  REQUIRE_FALSE(t.status.ok());
  CHECK(t.status.error().code == Errc::loop);
  auto a = vigil::test::collect_table(dir.path(), "pam_args");
  CHECK_FALSE(a.status.ok());
}

TEST_CASE("pam table reports CRLF files and absent included files as warnings", "[pam]") {
  vigil::test::TempDir dir;
  dir.write("etc/pam.d/su", "auth sufficient pam_rootok.so\r\n@include common-auth\r\n");
  auto t = vigil::test::collect_ok(dir.path(), "pam");
  REQUIRE(t.rows.size() == 1);
  CHECK(t.text(0, "module") == "pam_rootok.so");
  CHECK(t.warned("/etc/pam.d/su", "CRLF"));
  CHECK(t.warned("/etc/pam.d/su:2", "absent"));
}
