// The daemon's jobs: the child-process runner of the loop (real programs:
// cat, sleep, yes, env and vigil itself), the job protocol, and `vigil job`
// running a scan from the policy text in its request.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <string>

#include "cache.hpp"
#include "child_process.hpp"
#include "daemon_protocol.hpp"
#include "test_support.hpp"

using namespace vigil;
using namespace vigil::agent;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kCap = 8u * 1024u * 1024u;

const char* kPack = R"(id: job-test
title: Job test
version: '1'
checks:
  - id: job.plain
    title: Plain
    severity: low
    controls: { iso27001-2022: [A.8.9] }
    query: SELECT 1 AS x, 1 AS compliant
    remediation: None.
)";

// The config text a job parses, for a fixture root and a state directory.
std::string job_config(const std::string& state_dir) {
  return "root: " + test::fixture_host("debian12-stock") + "\nstate_dir: " + state_dir +
         "\nschedules:\n  - name: quick\n    policies: [/nonexistent/job-test.yaml]\n    interval_seconds: 600\n"
         "store:\n  ship: false\n";
}

}  // namespace

TEST_CASE("child process: input in, output out, exit status and usage", "[daemon][child]") {
  // More than a pipe holds: the loop writes it while it reads.
  std::string input;
  for (int i = 0; i < 20000; ++i) input += "line " + std::to_string(i) + " of the request\n";
  auto r = ChildProcess::run("/bin/cat", {}, input, kCap, 60s);
  REQUIRE(r);
  CHECK(r->exited);
  CHECK(r->exit_code == 0);
  CHECK(r->output == input);
  CHECK_FALSE(r->output_truncated);
  CHECK(r->describe() == "exit status 0");

  auto failed = ChildProcess::run("/bin/false", {}, "", kCap, 60s);
  REQUIRE(failed);
  CHECK(failed->describe() == "exit status 1");
}

TEST_CASE("child process: lines arrive as written, a timeout or too much output kills it", "[daemon][child]") {
  boost::asio::io_context io;
  std::vector<std::string> lines;
  std::optional<ChildOutcome> done;
  auto child = ChildProcess::start(
      io, "/bin/cat", {}, "recording\n{\"a\":1}\n", kCap, [&](std::string_view l) { lines.emplace_back(l); },
      [&](ChildOutcome o) { done = std::move(o); });
  REQUIRE(child);
  io.run();
  REQUIRE(done);
  CHECK(lines == std::vector<std::string>{"recording", "{\"a\":1}"});
  CHECK((*child)->reaped());

  auto slow = ChildProcess::run("/bin/sleep", {"30"}, "", kCap, 200ms);
  REQUIRE(slow);
  CHECK(slow->timed_out);
  CHECK_FALSE(slow->exited);
  CHECK(slow->signal == SIGKILL);
  CHECK_THAT(slow->describe(), Catch::StartsWith("killed by signal 9"));

  auto chatty = ChildProcess::run("/usr/bin/yes", {}, "", 64 * 1024, 60s);
  REQUIRE(chatty);
  CHECK(chatty->output_truncated);
  CHECK(chatty->output.size() == 64 * 1024);
  CHECK(chatty->signal == SIGKILL);
}

TEST_CASE("child process: no shell, no PATH, no systemd variables", "[daemon][child]") {
  CHECK_FALSE(ChildProcess::run("cat", {}, "", kCap, 1s));
  auto missing = ChildProcess::run("/nonexistent/vigil", {}, "", kCap, 1s);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("/nonexistent/vigil"));
  ::setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
  ::setenv("WATCHDOG_USEC", "1000", 1);
  ::setenv("VIGIL_TEST_KEPT", "yes", 1);
  auto env = ChildProcess::run("/usr/bin/env", {}, "", kCap, 60s);
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("VIGIL_TEST_KEPT");
  REQUIRE(env);
  CHECK_THAT(env->output, Catch::Contains("VIGIL_TEST_KEPT=yes"));
  CHECK_THAT(env->output, !Catch::Contains("NOTIFY_SOCKET") && !Catch::Contains("WATCHDOG_USEC"));
}

TEST_CASE("job protocol: requests and answers round-trip, other text is refused", "[daemon][protocol]") {
  JobRequest req;
  req.kind = JobKind::scan;
  req.config_source = "/etc/vigil/vigil.yaml";
  req.config_text = "root: /\n";
  req.schedule = 1;
  req.policies = {{"builtin:linux-baseline.yaml", ""}, {"/etc/vigil/policies.d/a.yaml", "id: a\n"}};
  req.quarantine = {{"firewall", 10, 20, 31.5, 30}};
  req.now_ms = 1'800'000'000'000;
  req.ship_failures = 3;
  auto back = parse_job_request(job_request_to_json(req));
  REQUIRE(back);
  CHECK(back->kind == JobKind::scan);
  CHECK(back->config_text == req.config_text);
  CHECK(back->schedule == 1);
  REQUIRE(back->policies.size() == 2);
  CHECK(back->policies[1].text == "id: a\n");
  REQUIRE(back->quarantine.size() == 1);
  CHECK(back->quarantine[0].duration_ms == 31.5);
  CHECK(back->ship_failures == 3);

  ScanJobResult scan;
  scan.name = "quick";
  scan.sequence = 7;
  scan.counts.pass = 5;
  scan.counts.error = 1;
  scan.newly_quarantined = {"firewall"};
  // The recording line comes first; the answer is the last line.
  auto parsed = parse_scan_result(std::string(kJobRecordingLine) + "\n" + scan_result_to_json(scan));
  REQUIRE(parsed);
  CHECK(parsed->sequence == 7);
  CHECK(parsed->counts.pass == 5);
  CHECK(parsed->newly_quarantined == std::vector<std::string>{"firewall"});

  ShipJobResult ship;
  ship.attempted = true;
  ship.retry_after = 1500ms;
  ship.failures = 4;
  auto shipped = parse_ship_result(ship_result_to_json(ship));
  REQUIRE(shipped);
  CHECK(shipped->retry_after == 1500ms);
  CHECK(shipped->failures == 4);

  CHECK_FALSE(parse_scan_result(""));
  CHECK_FALSE(parse_scan_result("recording\n"));
  CHECK_FALSE(parse_scan_result("not json\n"));
  CHECK_FALSE(parse_scan_result(ship_result_to_json(ship)));  // another job's answer
  CHECK_FALSE(parse_job_request("{\"format\":\"vigil.daemon-job.v1\",\"job\":\"format-disk\"}"));
  CHECK_FALSE(parse_job_request("[]"));
}

TEST_CASE("vigil job: a scan runs the policy text it was given, records, and says so first",
          "[daemon][protocol][job]") {
  test::TempDir dir;
  const std::string state = dir.path() + "/state";
  JobRequest req;
  req.kind = JobKind::scan;
  req.config_source = dir.path() + "/vigil.yaml";  // never read: the text below is the configuration
  req.config_text = job_config(state);
  req.schedule = 0;
  req.policies = {{"/nonexistent/job-test.yaml", kPack}};  // nor this file: its validated text is used
  req.now_ms = 1'800'000'000'000;
  auto r = ChildProcess::run(VIGIL_BINARY, {"job"}, job_request_to_json(req), kCap, 120s);
  REQUIRE(r);
  INFO(r->output);
  CHECK(r->exit_code == 0);
  CHECK_THAT(r->output, Catch::StartsWith("recording\n"));
  auto scan = parse_scan_result(r->output);
  REQUIRE(scan);
  CHECK(scan->name == "quick");
  CHECK(scan->error.empty());
  REQUIRE(scan->sequence);
  CHECK(*scan->sequence == 1);
  CHECK(scan->counts.pass == 1);

  // Validation reads the files the configuration names: this one is missing.
  JobRequest validate;
  validate.kind = JobKind::validate;
  validate.config_source = req.config_source;
  validate.config_text = req.config_text;
  auto v = ChildProcess::run(VIGIL_BINARY, {"job"}, job_request_to_json(validate), kCap, 120s);
  REQUIRE(v);
  auto answer = parse_validate_result(v->output);
  REQUIRE(answer);
  CHECK_THAT(answer->error, Catch::Contains("schedule quick:") && Catch::Contains("/nonexistent/job-test.yaml"));

  // A policy given to a scan that does not parse: an error answer, nothing recorded.
  req.policies = {{"/nonexistent/job-test.yaml", "id: [\n"}};
  req.now_ms += 60'000;
  auto bad = ChildProcess::run(VIGIL_BINARY, {"job"}, job_request_to_json(req), kCap, 120s);
  REQUIRE(bad);
  auto bad_scan = parse_scan_result(bad->output);
  REQUIRE(bad_scan);
  CHECK_FALSE(bad_scan->sequence);
  CHECK_THAT(bad_scan->error, Catch::Contains("job-test.yaml"));

  // Not a request: exit 2 and no answer.
  auto garbage = ChildProcess::run(VIGIL_BINARY, {"job"}, "hello\n", kCap, 120s);
  REQUIRE(garbage);
  CHECK(garbage->exit_code == 2);
  CHECK(garbage->output.empty());
}
