// Crash safety: a writer SIGKILLed mid-scan leaves a consistent cache.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <random>

#include "cache.hpp"
#include "cache_support.hpp"
#include "cache_test_support.hpp"
#include "test_support.hpp"

using namespace vigil::agent;
using namespace vigil::test;
namespace fs = std::filesystem;
namespace json = boost::json;

TEST_CASE("a scan killed mid-write is all there or not at all", "[cache]") {
  TempDir dir;
  const std::string state = dir.path() + "/state";
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> delay_us(0, 60000);
  std::int64_t recorded_total = 0;
  for (int round = 0; round < 12; ++round) {
    INFO("round " << round);
    int out[2];
    REQUIRE(::pipe(out) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      const char* helper = VIGIL_CACHE_CRASH_HELPER;
      ::execl(helper, helper, state.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    // Once the helper has committed a scan in this round, kill it at a
    // random point of the writes that follow.
    char byte = 0;
    while (::read(out[0], &byte, 1) == 1 && byte != '\n') {
    }
    ::usleep(static_cast<useconds_t>(delay_us(rng)));
    REQUIRE(::kill(pid, SIGKILL) == 0);
    ::close(out[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    // It was killed, not finished or failed on its own.
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    REQUIRE(byte == '\n');  // it had written a scan

    Cache c = open_ok(options(state));  // quick_check runs here
    auto ic = c.database().prepare("PRAGMA integrity_check");
    REQUIRE(ic.ok());
    REQUIRE(ic->step());
    CHECK(ic->column_text(0) == "ok");
    require_chain_consecutive(c);
    auto s = c.database().prepare(
        "SELECT s.sequence, s.result_count, (SELECT count(*) FROM results r WHERE r.scan_id = s.id), "
        "(SELECT count(*) FROM evidence e JOIN results r ON r.id = e.result_id WHERE r.scan_id = s.id), "
        "(SELECT count(*) FROM outbox o WHERE o.sequence = s.sequence) FROM scans s ORDER BY s.sequence");
    REQUIRE(s.ok());
    std::int64_t scans = 0;
    while (s->step()) {
      const std::int64_t seq = s->column_int(0);
      INFO("sequence " << seq);
      const std::int64_t expected = 10 + seq % 31;  // what the helper wrote for this sequence
      CHECK(s->column_int(1) == expected);
      CHECK(s->column_int(2) == expected);
      CHECK(s->column_int(3) == expected);
      CHECK(s->column_int(4) == 1);
      ++scans;
    }
    REQUIRE(s->succeeded());
    CHECK(count(c, "SELECT count(*) FROM chain") == scans);
    CHECK(count(c, "SELECT count(*) FROM outbox") == scans);
    recorded_total = scans;
  }
  // Every round committed at least one scan before it was killed.
  CHECK(recorded_total >= 12);
}
