// time_sync: chrony, systemd-timesyncd and ntpsec configuration.
#include "time_sync.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace vigil::collectors;

TEST_CASE("parse_chrony_conf and parse_ntp_conf split directives", "[time_sync]") {
  const auto c = parse_chrony_conf("! c\n  ; c\n%c\n# c\nPool 2.debian.pool.ntp.org iburst\r\nrtcsync\n\n");
  REQUIRE(c.size() == 2);
  CHECK(c[0].directive == "pool");
  CHECK(c[0].args == std::vector<std::string>{"2.debian.pool.ntp.org", "iburst"});
  CHECK(c[0].line == 5);
  CHECK(c[1].args.empty());
  const auto n = parse_ntp_conf("pool 0.debian.pool.ntp.org iburst # vendor\n# x\nserver ntp.example nts\n");
  REQUIRE(n.size() == 2);
  CHECK(n[0].args == std::vector<std::string>{"0.debian.pool.ntp.org", "iburst"});
  CHECK(has_time_option(n[1].args, "NTS"));
  CHECK_FALSE(has_time_option(n[0].args, "nts"));
}

TEST_CASE("time_sync on a stock Debian 12 host: chrony pool and timesyncd defaults", "[time_sync]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("logging-debian12"), "time_sync");
  CHECK(t.warnings.empty());
  auto pool = t.rows_where("kind", "pool");
  REQUIRE(pool.size() == 1);
  CHECK(t.text(pool[0], "daemon") == "chrony");
  CHECK(t.text(pool[0], "value") == "2.debian.pool.ntp.org");
  CHECK(t.integer(pool[0], "iburst") == 1);
  CHECK(t.integer(pool[0], "nts") == 0);
  CHECK(t.integer(pool[0], "line") == 8);
  for (auto r : t.rows_where("name", "makestep")) {
    CHECK(t.text(r, "value") == "1 3");
    CHECK(t.integer(r, "effective") == 1);
  }
  auto rtc = t.rows_where("name", "rtcsync");
  REQUIRE(rtc.size() == 1);
  CHECK(t.text(rtc[0], "value").empty());
  CHECK(t.integer(rtc[0], "is_default") == 0);
  auto fallback = t.rows_where("kind", "fallback");
  REQUIRE(fallback.size() == 4);
  CHECK(t.text(fallback[0], "value") == "0.debian.pool.ntp.org");
  CHECK(t.integer(fallback[0], "is_default") == 1);
  CHECK(t.integer(fallback[0], "effective") == 1);
  auto sync = t.rows_where("name", "synchronized");
  REQUIRE(sync.size() == 1);
  CHECK(t.text(sync[0], "value") == "0");
}

TEST_CASE("time_sync on a hardened host: NTS sources from sourcedir, flag file", "[time_sync]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("logging-hardened"), "time_sync");
  auto servers = t.rows_where("kind", "server");
  REQUIRE(servers.size() == 2);
  for (auto r : servers) {
    CHECK(t.integer(r, "nts") == 1);
    CHECK(t.text(r, "file") == "/etc/chrony/sources.d/nts.sources");
  }
  CHECK(t.text(servers[1], "options") == "iburst nts prefer");
  CHECK(t.rows_where("kind", "pool").empty());  // commented out
  // conf.d is read at the confdir line, before the main file's own makestep: the later one wins.
  auto step = t.rows_where("name", "makestep");
  REQUIRE(step.size() == 2);
  CHECK(t.text(step[0], "file") == "/etc/chrony/conf.d/10-step.conf");
  CHECK(t.integer(step[0], "effective") == 0);
  CHECK(t.integer(step[1], "effective") == 1);
  CHECK(t.rows_where("daemon", "timesyncd").empty());  // no timesyncd binary or config on this host
}

TEST_CASE("time_sync: chrony include loop, timesyncd lists, ntpsec", "[time_sync]") {
  auto tricky = vigil::test::collect_ok(vigil::test::fixture_host("logging-tricky"), "time_sync");
  CHECK(tricky.warned("/etc/chrony/chrony.conf", "include loop"));
  CHECK(tricky.rows_where("kind", "server").size() == 1);

  vigil::test::TempDir dir;
  dir.write("etc/systemd/timesyncd.conf",
            "[Time]\nNTP=a.example b.example\nNTP=\nNTP=c.example\nFallbackNTP=\n"
            "PollIntervalMaxSec=64\nBogus=1\n");
  dir.write("etc/systemd/timesyncd.conf.d/50-x.conf", "[Time]\nServers=d.example\n");
  dir.write("run/systemd/timesync/synchronized", "");
  dir.write("etc/ntpsec/ntp.conf", "pool 0.debian.pool.ntp.org iburst\nincludefile /etc/ntpsec/more.conf\n");
  dir.write("etc/ntpsec/more.conf", "server nts.example nts\nincludefile /etc/ntpsec/ntp.conf\n");
  auto t = vigil::test::collect_ok(dir.path(), "time_sync");
  std::vector<std::string> in_force;
  for (auto r : t.rows_where("kind", "server")) {
    if (t.text(r, "daemon") == "timesyncd" && t.integer(r, "effective") == 1)
      in_force.push_back(t.text(r, "value"));
  }
  CHECK(in_force == std::vector<std::string>{"c.example", "d.example"});
  CHECK(t.rows_where("kind", "fallback").empty());  // FallbackNTP= clears the compiled-in list
  CHECK(t.warned("/etc/systemd/timesyncd.conf:7", "unknown key"));
  auto poll = t.rows_where("name", "PollIntervalMaxSec");
  REQUIRE(poll.size() == 1);
  CHECK(t.text(poll[0], "value") == "64");
  CHECK(t.text(t.rows_where("name", "synchronized")[0], "value") == "1");
  std::size_t nts = 0;
  for (auto r : t.rows_where("daemon", "ntpsec"))
    nts += t.text(r, "kind") == "server" && t.integer(r, "nts") == 1;
  CHECK(nts == 1);
  CHECK(t.warned("/etc/ntpsec/ntp.conf", "looping"));
}
