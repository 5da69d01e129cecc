// Tests of the program runner: real processes, no shell, deadlines and caps.
#include "runner.hpp"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <string>
#include <vector>

using vigil::Errc;
using vigil::collectors::run_program;
using vigil::collectors::RunOptions;

namespace {

// No child of the test process may be left unreaped after run_program returns.
bool has_unreaped_child() {
  int status = 0;
  return ::waitpid(-1, &status, WNOHANG) > 0;
}

}  // namespace

TEST_CASE("run_program captures output and exit status", "[runner]") {
  struct Case {
    const char* name;
    std::string path;
    std::vector<std::string> args;
    int exit_code;
    std::string out;
    std::string err;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"echo", "/bin/echo", {"hello", "world"}, 0, "hello world\n", ""},
      {"true", "/bin/true", {}, 0, "", ""},
      {"false", "/bin/false", {}, 1, "", ""},
      {"exit code 3", "/bin/sh", {"-c", "exit 3"}, 3, "", ""},
      {"stderr", "/bin/sh", {"-c", "echo oops >&2; echo fine"}, 0, "fine\n", "oops\n"},
      // No shell: metacharacters and spaces reach the program as one argument each.
      {"literal argv", "/bin/echo", {"a b; rm -rf /tmp/x", "$(id)", "`x`|y"}, 0, "a b; rm -rf /tmp/x $(id) `x`|y\n", ""},
      // The environment is exactly LC_ALL and PATH, nothing inherited.
      {"environment", "/usr/bin/env", {}, 0, "LC_ALL=C\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n", ""},
      {"stdin is /dev/null", "/bin/cat", {}, 0, "", ""},
  };
  // clang-format on
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto r = run_program(c.path, c.args);
      REQUIRE(r.ok());
      CHECK(r->exit_code == c.exit_code);
      CHECK(r->signal == 0);
      CHECK(r->out == c.out);
      CHECK(r->err == c.err);
      CHECK_FALSE(r->out_truncated);
      CHECK_FALSE(r->err_truncated);
      CHECK_FALSE(has_unreaped_child());
    }
  }
}

TEST_CASE("run_program refuses what it must not run", "[runner]") {
  struct Case {
    const char* name;
    std::string path;
    Errc code;
  };
  // clang-format off
  const std::vector<Case> cases{
      {"relative path", "bin/echo", Errc::invalid},
      {"bare name", "echo", Errc::invalid},
      {"empty path", "", Errc::invalid},
      {"missing program", "/nonexistent/vigil-no-such-program", Errc::not_found},
  };
  // clang-format on
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto r = run_program(c.path, {"x"});
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == c.code);
      CHECK_THAT(r.error().message, Catch::Contains(c.path));
      CHECK_FALSE(has_unreaped_child());
    }
  }
}

TEST_CASE("run_program kills and reaps a program past its deadline", "[runner]") {
  RunOptions opts;
  opts.timeout = std::chrono::milliseconds(200);
  SECTION("a program that runs too long") {
    auto r = run_program("/bin/sleep", {"5"}, opts);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::timeout);
    CHECK_THAT(r.error().message, Catch::Contains("/bin/sleep"));
  }
  SECTION("a program that closes its output and keeps running") {
    auto r = run_program("/bin/sh", {"-c", "exec >&- 2>&-; sleep 5"}, opts);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::timeout);
  }
  SECTION("a background grandchild holding the pipe open") {
    auto r = run_program("/bin/sh", {"-c", "sleep 5 & echo started"}, opts);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::timeout);
  }
  CHECK_FALSE(has_unreaped_child());
}

TEST_CASE("run_program caps output and drains the rest", "[runner]") {
  RunOptions opts;
  opts.max_output = 4096;
  SECTION("stdout") {
    auto r = run_program("/usr/bin/head", {"-c", "5000000", "/dev/zero"}, opts);
    REQUIRE(r.ok());
    // The program ran to completion (it was drained, not blocked or killed).
    CHECK(r->exit_code == 0);
    CHECK(r->out.size() == 4096);
    CHECK(r->out_truncated);
    CHECK(r->err.empty());
    CHECK_FALSE(r->err_truncated);
  }
  SECTION("stderr") {
    auto r = run_program("/bin/sh", {"-c", "/usr/bin/head -c 100000 /dev/zero >&2"}, opts);
    REQUIRE(r.ok());
    CHECK(r->exit_code == 0);
    CHECK(r->err.size() == 4096);
    CHECK(r->err_truncated);
    CHECK_FALSE(r->out_truncated);
  }
  SECTION("exactly at the cap is not truncated") {
    auto r = run_program("/usr/bin/head", {"-c", "4096", "/dev/zero"}, opts);
    REQUIRE(r.ok());
    CHECK(r->out.size() == 4096);
    CHECK_FALSE(r->out_truncated);
  }
  CHECK_FALSE(has_unreaped_child());
}

TEST_CASE("run_program reports a terminating signal", "[runner]") {
  auto r = run_program("/bin/sh", {"-c", "kill -TERM $$"});
  REQUIRE(r.ok());
  CHECK(r->signal == SIGTERM);
  CHECK(r->exit_code == -1);
}
