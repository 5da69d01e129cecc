// Tests of the shell reader behind `shell_timeout`, fed strings: the
// statements about TMOUT that bash would run, with their conditions, where
// bash stops reading, hostile text, and bash's reading of a TMOUT value.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "shell_timeout.hpp"

using namespace vigil::collectors;

namespace {

// "command[=value][ ~][ r][ x][ -x][ ?]" per statement: ~ not literal,
// r read-only, x export, -x un-export, ? conditional.
std::vector<std::string> summary(const ShellScript& s) {
  std::vector<std::string> out;
  for (const auto& st : s.statements) {
    std::string one = st.command + (st.value ? "=" + *st.value : "");
    if (!st.literal) one += " ~";
    if (st.sets_readonly) one += " r";
    if (st.sets_export) one += " x";
    if (st.clears_export) one += " -x";
    if (st.conditional) one += " ?";
    out.push_back(one);
  }
  return out;
}

std::vector<std::string> scan(const std::string& text) {
  return summary(scan_shell_variable(text, "TMOUT"));
}

bool has_issue(const std::vector<ShellIssue>& issues, int line, std::string_view part) {
  for (const auto& i : issues) {
    if (i.line == line && i.message.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("TMOUT statements in the simple forms bash reads", "[shell_timeout]") {
  using V = std::vector<std::string>;
  struct Case {
    std::string text;
    V statements;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"TMOUT=900", {"assignment=900"}},
      {"TMOUT=\"900\"", {"assignment=900"}},
      {"TMOUT='900'", {"assignment=900"}},
      {"TMOUT=9\"0\"'0'", {"assignment=900"}},
      {"  TMOUT=900   # fifteen minutes", {"assignment=900"}},
      {"readonly TMOUT=900", {"readonly=900 r"}},
      {"declare -r TMOUT=900", {"declare=900 r"}},
      {"declare -rx TMOUT=900", {"declare=900 r x"}},
      {"typeset -r TMOUT", {"typeset r"}},
      {"export TMOUT=900", {"export=900 x"}},
      {"export TMOUT", {"export x"}},
      {"readonly TMOUT", {"readonly r"}},
      {"TMOUT=600; readonly TMOUT; export TMOUT", {"assignment=600", "readonly r", "export x"}},
      {"export FOO=1 TMOUT=900 BAR TMOUT", {"export=900 x", "export x"}},
      {"builtin readonly TMOUT", {"readonly r"}},
      {"command export TMOUT=9", {"export=9 x"}},
      {"declare +x TMOUT", {"declare -x"}},
      {"export -n TMOUT", {"export -x"}},
      {"unset TMOUT", {"unset -x"}},
      {"unset -v TMOUT", {"unset -x"}},
      {"2>/dev/null TMOUT=5", {"assignment=5"}},
      {"TMOUT=5 2>/dev/null", {"assignment=5"}},
      // expansions are kept as written and are not literal
      {"TMOUT=$VAR", {"assignment=$VAR ~"}},
      {"TMOUT=$(cat /etc/tmout)", {"assignment=$(cat /etc/tmout) ~"}},
      {"TMOUT=\"${T:-900}\"", {"assignment=${T:-900} ~"}},
      {"TMOUT=`cat /etc/tmout`", {"assignment=`cat /etc/tmout` ~"}},
      {"TMOUT=$((15 * 60))", {"assignment=$((15 * 60)) ~"}},
      {"TMOUT+=0", {"assignment=0 ~"}},
      {"TMOUT=(900)", {"assignment=(900) ~"}},
      {"declare -i TMOUT=15*60", {"declare=15*60 ~"}},
      {"TMOUT=", {"assignment="}},
      {"TMOUT=900$", {"assignment=900$"}},
      // conditional: it may not run, or not in this shell
      {"[ -n \"$PS1\" ] && TMOUT=900", {"assignment=900 ?"}},
      {"true || TMOUT=900", {"assignment=900 ?"}},
      {"TMOUT=900 || true", {"assignment=900"}},
      {"TMOUT=900 | cat", {"assignment=900 ?"}},
      {"TMOUT=900 &", {"assignment=900 ?"}},
      {"( TMOUT=900 )", {"assignment=900 ?"}},
      {"{ TMOUT=900; }", {"assignment=900"}},
      {"true && { TMOUT=900; readonly TMOUT; }", {"assignment=900 ?", "readonly r ?"}},
      {"f() { TMOUT=900; }", {"assignment=900 ?"}},
      {"function f {\n  readonly TMOUT=900\n}\nTMOUT=1", {"readonly=900 r ?", "assignment=1"}},
      {"local TMOUT=5", {"local=5 ?"}},
      {"if [ -x ]; then TMOUT=1; elif b; then TMOUT=2; else TMOUT=3; fi; TMOUT=4",
       {"assignment=1 ?", "assignment=2 ?", "assignment=3 ?", "assignment=4"}},
      {"if a; then\n  if b; then TMOUT=1; fi\n  TMOUT=2\nfi\nTMOUT=3", {"assignment=1 ?", "assignment=2 ?", "assignment=3"}},
      {"case \"$x\" in\n  a|b) TMOUT=1 ;;\n  (*) TMOUT=2\nesac\nTMOUT=3", {"assignment=1 ?", "assignment=2 ?", "assignment=3"}},
      {"while false; do TMOUT=1; done; TMOUT=2", {"assignment=1 ?", "assignment=2"}},
      {"for t in 1 2; do TMOUT=$t; done", {"assignment=$t ~ ?"}},
      {"[[ -n $a && -z $b ]] && TMOUT=1\n[[ $a > b ]]; TMOUT=2", {"assignment=1 ?", "assignment=2"}},
      {"if x; then :; fi && TMOUT=1", {"assignment=1 ?"}},
      {"(( x > 1 )) && TMOUT=1\n(( 1 )); TMOUT=2", {"assignment=1 ?", "assignment=2"}},
      // not statements about TMOUT
      {"# TMOUT=900", {}},
      {"x=1 # TMOUT=5", {}},
      {"echo TMOUT=900", {}},
      {"echo \"TMOUT=900\"; echo 'readonly TMOUT'", {}},
      {"\"TMOUT=900\"", {}},
      {"TMOUTX=5; MY_TMOUT=5; export TMOUTS", {}},
      {"TMOUT=900 sleep 1", {}},
      {"unset -f TMOUT; export -f TMOUT; readonly -f TMOUT", {}},
      {"declare -p TMOUT; export -p", {}},
      {"x=$(TMOUT=0; echo)", {}},
      {"x=$(\n  # don't stop here\n  echo)\nTMOUT=1", {"assignment=1"}},
      {"x=$(echo a#b')')\nTMOUT=1", {"assignment=1"}},
      {"x=\"$(echo \")\"; TMOUT=0)\"", {}},
      {"x='a\nTMOUT=0'", {}},
      {"cat <<EOF\nTMOUT=0\nEOF", {}},
      {"cat <<-'EOF'\n\tTMOUT=0\n\tEOF", {}},
      {"cat <<< TMOUT=0", {}},
  };
  // clang-format on
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(scan(c.text + "\n") == c.statements);
  }
}

TEST_CASE("statement lines follow continuations, quotes and here-documents", "[shell_timeout]") {
  auto s = scan_shell_variable(
      "cat <<EOF\nTMOUT=0\nEOF\nx='a\nb'\nexport \\\n  TMOUT=900\ny=\"$(\n echo\n)\"\nreadonly TMOUT\n",
      "TMOUT");
  REQUIRE(s.statements.size() == 2);
  CHECK(s.statements[0].line == 7);
  CHECK(s.statements[1].line == 11);
  CHECK(s.issues.empty());
}

TEST_CASE("the reader stops where bash stops reading", "[shell_timeout]") {
  struct Case {
    std::string text;
    std::vector<std::string> statements;
    int issue_line;  // 0: no issue expected
    std::string issue;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"TMOUT=1\nreturn\nTMOUT=2\n", {"assignment=1"}, 2, "reads no further"},
      {"TMOUT=1\nexit 0\nTMOUT=2\n", {"assignment=1"}, 2, "reads no further"},
      {"[ -z \"$PS1\" ] && return\nTMOUT=2\n", {"assignment=2"}, 0, ""},
      {"f() {\n return\n}\nTMOUT=2\n", {"assignment=2"}, 0, ""},
      {"TMOUT=1\necho 'oops\nTMOUT=2\n", {"assignment=1"}, 2, "unterminated single quote"},
      {"TMOUT=1 \"abc\n", {}, 1, "unterminated double quote"},
      {"x=$(echo\nTMOUT=2\n", {}, 1, "unterminated substitution"},
      {"cat <<EOF\nTMOUT=0\n", {}, 1, "runs to the end of the file"},
      {"if true; then\nTMOUT=5\n", {"assignment=5 ?"}, 1, "'if' is never closed"},
      {"fi\nTMOUT=5\n", {"assignment=5"}, 1, "unexpected 'fi'"},
      {"TMOUT=5 sleep 1\n", {}, 1, "for that command only"},
      {"eval \"TMOUT=900\"\n", {}, 1, "eval mentions TMOUT"},
      {"declare -i TMOUT=15*60\n", {"declare=15*60 ~"}, 1, "arithmetic"},
  };
  // clang-format on
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto s = scan_shell_variable(c.text, "TMOUT");
    CHECK(summary(s) == c.statements);
    if (c.issue_line > 0) {
      CHECK(has_issue(s.issues, c.issue_line, c.issue));
    } else {
      CHECK(s.issues.empty());
    }
  }
}

TEST_CASE("CRLF, NUL bytes and garbage are read as bash reads them, without a crash", "[shell_timeout]") {
  auto crlf = scan_shell_variable("TMOUT=900\r\nreadonly TMOUT\r\nexport TMOUT\r\n", "TMOUT");
  // bash keeps the '\r': the value is "900\r", and "TMOUT\r" names no variable.
  CHECK(summary(crlf) == std::vector<std::string>{"assignment=900\r"});
  CHECK(has_issue(crlf.issues, 1, "CRLF"));

  auto nul = scan_shell_variable(std::string("TMO\0UT=900\n", 11), "TMOUT");
  CHECK(summary(nul) == std::vector<std::string>{"assignment=900"});
  CHECK(has_issue(nul.issues, 0, "NUL"));

  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "{ ";
  auto nested = scan_shell_variable(deep + "\nTMOUT=1\n", "TMOUT");
  CHECK(has_issue(nested.issues, 1, "nested deeper than 256"));
  CHECK(scan_shell_variable("x=" + std::string(300000, '$') + std::string(300000, '('), "TMOUT")
            .statements.empty());
  std::string strays;
  for (int i = 0; i < 5000; ++i) strays += "fi\n";
  CHECK(scan_shell_variable(strays, "TMOUT").issues.size() <= 101);

  std::string many;
  for (std::size_t i = 0; i <= kMaxShellStatements; ++i) many += "TMOUT=1\n";
  CHECK(scan_shell_variable(many, "TMOUT").too_many);

  std::uint32_t seed = 12345;
  for (int round = 0; round < 200; ++round) {
    std::string junk;
    for (int i = 0; i < 2000; ++i) {
      seed = seed * 1103515245u + 12345u;
      const std::string_view alphabet = "TMOUT=90 ;&|()<>'\"`$\\{}#\n\r\tifthenfiesaccasedone!readonlyexport";
      junk.push_back((seed >> 16) % 3 == 0 ? static_cast<char>(seed >> 8)
                                           : alphabet[(seed >> 16) % alphabet.size()]);
    }
    auto s = scan_shell_variable(junk, "TMOUT");
    CHECK(s.statements.size() <= junk.size());
  }
}

TEST_CASE("bash_tmout_number is bash's atoi() of the value", "[shell_timeout]") {
  const std::vector<std::pair<std::string, std::int64_t>> cases{
      {"900", 900},
      {"0900", 900},
      {" 900", 900},
      {"900\r", 900},
      {"+5", 5},
      {"-1", -1},
      {"", 0},
      {"abc", 0},
      {"15m", 15},
      {"0", 0},
      {"2147483647", 2147483647},
      {"4294967296", 0},
      {"3000000000", -1294967296},
      {"99999999999999999999", -1},
  };
  for (const auto& [value, number] : cases) {
    CAPTURE(value);
    CHECK(bash_tmout_number(value) == number);
  }
}
