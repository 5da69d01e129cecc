// The daemon's parts that run without a loop: vigil.yaml, the schedule
// arithmetic, daemon-state.json and the quarantine rules, sd_notify over a
// socket the test binds, and one scheduled scan job end to end on a fixture.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>

#include "cache.hpp"
#include "daemon.hpp"
#include "daemon_jobs.hpp"
#include "daemon_config.hpp"
#include "daemon_state.hpp"
#include "enrollment.hpp"
#include "file_io.hpp"
#include "sd_notify.hpp"
#include "test_support.hpp"
#include "unique_fd.hpp"

using namespace vigil;
using namespace vigil::agent;
using namespace std::chrono_literals;

namespace {

Result<DaemonConfig> parse(const std::string& yaml) {
  return parse_daemon_config(yaml, "vigil.yaml", "/etc/vigil");
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The YAML block of docs/configuration.md (the packaged default).
std::string documented_example() {
  const std::string doc = read_all(std::string(VIGIL_SOURCE_DIR) + "/docs/configuration.md");
  const auto start = doc.find("```yaml\n");
  REQUIRE(start != std::string::npos);
  const auto end = doc.find("```", start + 8);
  return doc.substr(start + 8, end - start - 8);
}

}  // namespace

TEST_CASE("daemon config: no file or an empty one means the built-in schedules", "[daemon][config]") {
  auto c = parse("");
  REQUIRE(c);
  CHECK(c->root == "/");
  CHECK(c->state_dir == "/var/lib/vigil");
  REQUIRE(c->schedules.size() == 2);
  CHECK(c->schedules[0].name == "baseline");
  CHECK(c->schedules[0].policies == std::vector<std::string>{"builtin:linux-baseline"});
  CHECK(c->schedules[0].interval == 3600s);
  CHECK(c->schedules[1].name == "filesystem");
  CHECK(c->collector_budget == 30s);
  CHECK(c->store.ship);
  CHECK(c->store.interval == 300s);
}

TEST_CASE("daemon config: the documented example parses to what it says", "[daemon][config]") {
  auto c = parse(documented_example());
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c);
  CHECK(c->scope.at("owner") == "it-operations");
  CHECK(c->scope.at("environment") == "production");
  REQUIRE(c->schedules.size() == 2);
  CHECK(c->schedules[0].policies == std::vector<std::string>{"/usr/share/vigil/policies/linux-baseline.yaml"});
  CHECK(c->schedules[1].interval == 86400s);
  CHECK(c->schedules[1].splay == 3600s);
  CHECK(c->quarantine == 21600s);
}

TEST_CASE("daemon config: every key parses", "[daemon][config]") {
  auto c = parse(R"(root: /srv/image
state_dir: /var/lib/vigil-test
log: {level: debug}
scope: {owner: sec, role: web.front}
schedules:
  - name: quick
    policies: [site.yaml, builtin:linux-baseline]
    interval_seconds: 120
    splay_seconds: 60
scan: {evidence_rows: 5, check_timeout_seconds: 20}
budgets: {collector_seconds: 2, quarantine_seconds: 600}
retention: {keep_days: 30, keep_mib: 64, keep_scans: 10}
store:
  ship: false
  interval_seconds: 60
  url: https://store.example:8443
  ca_file: ca.pem
  pin: sha256//AAAA
  client_cert: /etc/vigil/agent.crt
  client_key: /etc/vigil/agent.key
  batch_count: 50
  batch_bytes: 65536
  timeout_seconds: 30
)");
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c);
  CHECK(c->root == "/srv/image");
  CHECK(c->log_level == log::Level::debug);
  CHECK(c->scope.at("role") == "web.front");
  REQUIRE(c->schedules.size() == 1);
  // Relative policy paths are the config file's neighbours; builtin: stays.
  CHECK(c->schedules[0].policies == std::vector<std::string>{"/etc/vigil/site.yaml", "builtin:linux-baseline"});
  CHECK(c->evidence_rows == 5);
  CHECK(c->check_timeout == 20s);
  CHECK(c->collector_budget == 2s);
  CHECK(c->quarantine == 600s);
  CHECK(c->retention.max_age_days == 30);
  CHECK(c->retention.max_bytes == 64LL * 1024 * 1024);
  CHECK(c->retention.max_scans == 10);
  CHECK_FALSE(c->store.ship);
  CHECK(c->store.url == "https://store.example:8443");
  CHECK(c->store.tls.ca_file == "/etc/vigil/ca.pem");
  CHECK(c->store.tls.pinned_public_key == "sha256//AAAA");
  CHECK(c->store.batch_count == 50);
  CHECK(c->store.batch_bytes == 65536);
  CHECK(c->store.timeout == 30s);
}

TEST_CASE("daemon config: bad input is refused with file, line and key", "[daemon][config]") {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"roots: /\n", "vigil.yaml:1: roots: unknown key"},
      {"root: /\nroot: /srv\n", "vigil.yaml:2: root: repeated key"},
      {"root: relative/dir\n", "vigil.yaml:1: root: 'relative/dir' is not an absolute path"},
      {"log:\n  level: loud\n", "vigil.yaml:2: log.level:"},
      {"scope:\n  'bad tag': x\n", "vigil.yaml:2: scope.bad tag: a scope tag name is"},
      {"schedules: []\n", "schedules: at least one schedule is needed"},
      {"schedules:\n  - name: a\n    policies: [x.yaml]\n", "vigil.yaml:2: schedules[0].interval_seconds: required"},
      {"schedules:\n  - name: a\n    interval_seconds: 600\n", "schedules[0].policies: required"},
      {"schedules:\n  - policies: [x.yaml]\n    interval_seconds: 600\n", "schedules[0].name: required"},
      {"schedules:\n  - name: a\n    policies: [x.yaml]\n    interval_seconds: 5\n",
       "vigil.yaml:4: schedules[0].interval_seconds: 5 is out of range 60..2592000"},
      {"schedules:\n  - name: a\n    policies: [x.yaml]\n    interval_seconds: 600\n    splay_seconds: 601\n",
       "schedules[0].splay_seconds: larger than interval_seconds"},
      {"schedules:\n  - name: a\n    policies: [x.yaml]\n    interval_seconds: 600\n"
       "  - name: a\n    policies: [y.yaml]\n    interval_seconds: 600\n",
       "vigil.yaml:5: schedules[1].name: a schedule named 'a' already exists"},
      {"schedules:\n  - name: a\n    policies: [x.yaml]\n    interval_seconds: 600\n    every: 1\n",
       "vigil.yaml:5: schedules[0].every: unknown key"},
      {"schedules: {name: a}\n", "schedules: expected a list"},
      {"budgets:\n  collector_seconds: 0\n", "vigil.yaml:2: budgets.collector_seconds: 0 is out of range 1..3600"},
      {"store:\n  ship: maybe\n", "vigil.yaml:2: store.ship: 'maybe' is not true or false"},
      {"store:\n  url: http://store:80\n", "vigil.yaml:2: store.url:"},
      {"store:\n  pin: abc\n", "vigil.yaml:2: store.pin: a pin is sha256//BASE64"},
      {"store:\n  batch_count: 1001\n", "store.batch_count: 1001 is out of range 1..1000"},
      {"retention:\n  keep_days: -1\n", "retention.keep_days: '-1' is not a whole number"},
      {"root: [unclosed\n", "vigil.yaml:"},
      {"- a\n- b\n", "(top level): expected a mapping"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    auto r = parse(c.yaml);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains(c.message));
  }
}

TEST_CASE("daemon config: a missing file is not_found, an oversized one is refused", "[daemon][config]") {
  test::TempDir dir;
  CHECK(load_daemon_config(dir.path() + "/nope.yaml").is(Errc::not_found));
  dir.write("big.yaml", "# " + std::string(1024 * 1024 + 10, 'x') + "\n");
  CHECK_FALSE(load_daemon_config(dir.path() + "/big.yaml"));
  dir.write("sub/vigil.yaml", "schedules:\n  - name: a\n    policies: [p.yaml]\n    interval_seconds: 600\n");
  auto c = load_daemon_config(dir.path() + "/sub/vigil.yaml");
  REQUIRE(c);
  CHECK(c->schedules[0].policies[0] == dir.path() + "/sub/p.yaml");
  CHECK(c->source == dir.path() + "/sub/vigil.yaml");
}

TEST_CASE("schedule: first and next due times with splay", "[daemon][schedule]") {
  ScheduleConfig s{"a", {"builtin:linux-baseline"}, 3600s, 600s};
  const RandomUpTo max = [](std::int64_t n) { return n; };
  const RandomUpTo zero = [](std::int64_t) { return std::int64_t{0}; };
  const std::int64_t now = 10'000'000;
  // Never ran: after a splay only.
  CHECK(first_due_ms(std::nullopt, s, now, zero) == now);
  CHECK(first_due_ms(std::nullopt, s, now, max) == now + 600'000);
  // Ran 10 minutes ago: continues its interval instead of scanning at start.
  CHECK(first_due_ms(now - 600'000, s, now, zero) == now + 3'000'000);
  CHECK(first_due_ms(now - 600'000, s, now, max) == now + 3'600'000);
  // Ran two hours ago: overdue, so after a splay.
  CHECK(first_due_ms(now - 7'200'000, s, now, max) == now + 600'000);
  // After a scan: interval plus splay from its start...
  CHECK(next_due_ms(now, s, now + 5'000, zero) == now + 3'600'000);
  CHECK(next_due_ms(now, s, now + 5'000, max) == now + 4'200'000);
  // ...never in the past when the scan took longer than the interval.
  CHECK(next_due_ms(now, s, now + 4'000'000, zero) == now + 4'000'000);
  // The splay is random in [0, splay]: the source is asked for exactly that bound.
  std::int64_t asked = -1;
  const RandomUpTo spy = [&](std::int64_t n) {
    asked = n;
    return std::int64_t{7};
  };
  CHECK(next_due_ms(now, s, now, spy) == now + 3'600'007);
  CHECK(asked == 600'000);
}

TEST_CASE("daemon state: JSON round trip and refusal of a foreign file", "[daemon][state]") {
  DaemonState s;
  s.pid = 42;
  s.started_at_ms = 1'700'000'000'000;
  s.updated_at_ms = 1'700'000'100'000;
  s.config = "/etc/vigil/vigil.yaml";
  ScheduleState a;
  a.name = "baseline";
  a.last_scan_ms = 1'700'000'050'000;
  a.last_sequence = 7;
  a.last_counts = VerdictCounts{50, 3, 10, 1, 0};
  a.next_scan_ms = 1'700'003'650'000;
  ScheduleState b;
  b.name = "filesystem";
  b.last_error = "disk full";
  b.next_scan_ms = 1'700'000'200'000;
  s.schedules = {a, b};
  s.quarantine = {{"fs_findings", 1'700'000'050'000, 1'700'021'650'000, 45'123.5, 30'000}};
  s.last_ship_ms = 1'700'000'060'000;
  s.last_ship = "shipped 1 accepted";
  test::TempDir dir;
  REQUIRE(save_daemon_state(dir.path(), s).ok());
  auto back = load_daemon_state(dir.path());
  REQUIRE(back);
  CHECK(back->pid == 42);
  CHECK(back->config == s.config);
  REQUIRE(back->schedules.size() == 2);
  CHECK(back->schedules[0].last_sequence == 7);
  REQUIRE(back->schedules[0].last_counts);
  CHECK(back->schedules[0].last_counts->fail == 3);
  CHECK_FALSE(back->schedules[1].last_scan_ms);
  CHECK(back->schedules[1].last_error == "disk full");
  REQUIRE(back->quarantine.size() == 1);
  CHECK(back->quarantine[0].table == "fs_findings");
  CHECK(back->quarantine[0].duration_ms == Approx(45'123.5));
  CHECK(back->last_ship == "shipped 1 accepted");
  CHECK_FALSE(back->next_ship_ms);
  struct stat st{};
  REQUIRE(::stat((dir.path() + "/" + kDaemonStateFile).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  CHECK(load_daemon_state(dir.path() + "/none").is(Errc::not_found));
  CHECK_FALSE(parse_daemon_state("{\"format\":\"other\"}", "x"));
  CHECK_FALSE(parse_daemon_state("[1]", "x"));
  auto missing = parse_daemon_state(R"({"format":"vigil.daemon-state.v1","pid":"x"})", "f.json");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("f.json: field 'pid'"));
}

TEST_CASE("quarantine: over-budget runs enter it, it expires, skips name the reason", "[daemon][quarantine]") {
  std::vector<QuarantineEntry> q;
  std::vector<CollectorRun> runs(3);
  runs[0].table = "fs_findings";
  runs[0].duration_ms = 45'000;
  runs[0].over_budget = true;
  runs[1].table = "packages";
  runs[1].duration_ms = 20;
  runs[2].table = "file";
  runs[2].args = "('/etc/a')";
  runs[2].duration_ms = 31'000;
  runs[2].over_budget = true;
  const std::int64_t now = 1'000'000;
  auto added = quarantine_over_budget(q, runs, now, 3'600'000, 30'000);
  CHECK(added == std::vector<std::string>{"fs_findings", "file"});
  REQUIRE(q.size() == 2);
  CHECK(q[0].until_ms == now + 3'600'000);
  auto skip = quarantine_skip_map(q, now + 1);
  REQUIRE(skip.count("fs_findings") == 1);
  CHECK_THAT(skip["fs_findings"], Catch::Contains("took 45000 ms, over its budget of 30000 ms"));
  CHECK(skip.count("packages") == 0);
  // Over budget again while there: the quarantine is extended, not doubled.
  CHECK(quarantine_over_budget(q, runs, now + 10, 3'600'000, 30'000).empty());
  CHECK(q.size() == 2);
  CHECK(q[0].until_ms == now + 10 + 3'600'000);
  // Once expired it is dropped and the collector runs again.
  expire_quarantine(q, now + 10 + 3'600'000);
  CHECK(q.empty());
  CHECK(quarantine_skip_map(q, now).empty());
}

namespace {

// A datagram socket bound where NOTIFY_SOCKET will point.
struct NotifyListener {
  UniqueFd fd{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  explicit NotifyListener(const std::string& name) {
    REQUIRE(fd.valid());
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, name.data(), name.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
    if (name[0] == '@') {
      a.sun_path[0] = '\0';
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    }
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), len) == 0);
    timeval tv{5, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  std::string receive() const {
    char buf[4096];
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    REQUIRE(n >= 0);
    return std::string(buf, static_cast<std::size_t>(n));
  }
};

}  // namespace

TEST_CASE("sd_notify: messages reach a path socket and an abstract one", "[daemon][notify]") {
  test::TempDir dir;
  for (const std::string& name : {dir.path() + "/notify", "@vigil-test-notify-" + std::to_string(::getpid())}) {
    INFO(name);
    NotifyListener listener(name);
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    ::setenv("WATCHDOG_USEC", "4000000", 1);
    ::unsetenv("WATCHDOG_PID");
    auto n = Notifier::from_environment();
    REQUIRE(n);
    CHECK(n->enabled());
    // The variables are gone, so nothing the agent runs inherits them.
    CHECK(std::getenv("NOTIFY_SOCKET") == nullptr);
    CHECK(std::getenv("WATCHDOG_USEC") == nullptr);
    REQUIRE(n->watchdog_period());
    CHECK(*n->watchdog_period() == 2s);
    REQUIRE(n->send("READY=1\n" + notify_status("idle\nnext scan")).ok());
    CHECK(listener.receive() == "READY=1\nSTATUS=idle next scan");
    REQUIRE(n->send("WATCHDOG=1").ok());
    CHECK(listener.receive() == "WATCHDOG=1");
  }
}

TEST_CASE("sd_notify: unset is a silent no-op, malformed values are refused", "[daemon][notify]") {
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  auto off = Notifier::from_environment();
  REQUIRE(off);
  CHECK_FALSE(off->enabled());
  CHECK(off->send("READY=1").ok());
  CHECK_FALSE(off->watchdog_period());

  ::setenv("NOTIFY_SOCKET", "relative/socket", 1);
  auto rel = Notifier::from_environment();
  REQUIRE_FALSE(rel);
  CHECK_THAT(rel.error().message, Catch::Contains("NOTIFY_SOCKET='relative/socket'"));

  ::setenv("WATCHDOG_USEC", "soon", 1);
  auto bad = Notifier::from_environment();
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("WATCHDOG_USEC='soon'"));

  // Another process's watchdog is not ours.
  ::setenv("WATCHDOG_USEC", "1000000", 1);
  ::setenv("WATCHDOG_PID", "1", 1);
  auto other = Notifier::from_environment();
  REQUIRE(other);
  CHECK_FALSE(other->watchdog_period());

  test::TempDir dir;
  // A receiver that never reads: once its queue is full messages are
  // dropped with an error, and the sender never blocks.
  {
    NotifyListener deaf(dir.path() + "/deaf");
    ::setenv("NOTIFY_SOCKET", (dir.path() + "/deaf").c_str(), 1);
    auto n = Notifier::from_environment();
    REQUIRE(n);
    Status last;
    for (int i = 0; i < 10000 && last.ok(); ++i) last = n->send("WATCHDOG=1");
    REQUIRE_FALSE(last.ok());
    CHECK(last.error().code == Errc::timeout);
    CHECK_THAT(last.error().message, Catch::Contains("message dropped"));
  }

  // A socket nobody listens on: the send fails and says where.
  ::setenv("NOTIFY_SOCKET", (dir.path() + "/gone").c_str(), 1);
  auto gone = Notifier::from_environment();
  REQUIRE(gone);
  auto sent = gone->send("READY=1");
  REQUIRE_FALSE(sent.ok());
  CHECK_THAT(sent.error().message, Catch::Contains(dir.path() + "/gone"));
}

namespace {

// Sleeps well past the test's 40 ms budget; every real collector the scan
// runs on the fixture (system_info) stays far below it.
collectors::TableDef daemon_slow_table() {
  return {"test_daemon_slow",
          "sleeps 100 ms, then one row",
          {{"x", collectors::ColumnType::integer, "x"}},
          [](collectors::CollectContext&, std::vector<collectors::Row>& rows) -> Status {
            std::this_thread::sleep_for(100ms);
            rows.push_back({collectors::int_value(1)});
            return {};
          }};
}
VIGIL_REGISTER_TABLE(daemon_slow_table());

Check check_of(std::string id, std::string query) {
  Check c;
  c.id = std::move(id);
  c.title = c.id;
  c.query = std::move(query);
  c.controls_2022 = {"A.8.9"};
  c.line = 1;
  return c;
}

}  // namespace

TEST_CASE("scan job: records, quarantines a collector over budget, skips it next time, then runs it again",
          "[daemon][quarantine]") {
  test::TempDir state;
  LoadedConfig loaded;
  loaded.config = default_daemon_config();
  loaded.config.root = test::fixture_host("debian12-stock");
  loaded.config.state_dir = state.path() + "/state";
  loaded.config.collector_budget = 40ms;
  loaded.config.quarantine = 3600s;
  loaded.config.scope["owner"] = "tests";
  loaded.config.schedules = {{"quick", {"inline"}, 600s, 0s}};
  PolicyPack pack;
  pack.id = "daemon-test";
  pack.version = "1";
  pack.source = "daemon-test.yaml";
  pack.checks = {check_of("slow", "SELECT x, 1 AS compliant FROM test_daemon_slow"),
                 check_of("plain", "SELECT 1 AS x, 1 AS compliant")};
  loaded.packs = {{pack}};
  const std::int64_t now = 1'800'000'000'000;

  auto first = run_scan_job(loaded, 0, {}, now, nullptr);
  INFO(first.error);
  REQUIRE(first.sequence);
  CHECK(*first.sequence == 1);
  CHECK(first.counts.error == 1);  // the slow collector's check
  CHECK(first.counts.pass == 1);
  CHECK_THAT(first.newly_quarantined, Catch::VectorContains(std::string("test_daemon_slow")));
  REQUIRE_FALSE(first.quarantine.empty());
  CHECK(first.quarantine[0].until_ms == now + 3'600'000);

  // In quarantine: not run, its check an error naming the quarantine, still recorded.
  auto second = run_scan_job(loaded, 0, first.quarantine, now + 60'000, nullptr);
  REQUIRE(second.sequence);
  CHECK(*second.sequence == 2);
  CHECK(second.counts.error == 1);
  CHECK_THAT(second.newly_quarantined, !Catch::VectorContains(std::string("test_daemon_slow")));
  CacheOptions co;
  co.state_dir = loaded.config.state_dir;
  co.access = CacheAccess::read_only;
  auto cache = Cache::open(co);
  REQUIRE(cache);
  ResultQuery q;
  q.from_ms = 0;
  q.to_ms = std::numeric_limits<std::int64_t>::max();
  q.checks = {"slow"};
  auto results = cache->results_between(q);
  REQUIRE(results);
  REQUIRE(results->size() == 2);
  CHECK_THAT((*results)[0].message, Catch::Contains("over its time budget"));
  CHECK_THAT((*results)[1].message, Catch::Contains("skipped: quarantined until"));

  // Expired: the collector runs again (and, still slow, goes back).
  auto third = run_scan_job(loaded, 0, second.quarantine, now + 3'700'000, nullptr);
  REQUIRE(third.sequence);
  CHECK_THAT(third.newly_quarantined, Catch::VectorContains(std::string("test_daemon_slow")));

  // A cancelled job records nothing.
  std::atomic<bool> cancel{true};
  auto cancelled = run_scan_job(loaded, 0, {}, now + 3'800'000, &cancel);
  CHECK(cancelled.cancelled);
  CHECK_FALSE(cancelled.sequence);
  auto status = cache->status();
  REQUIRE(status);
  CHECK(status->last_sequence == 3);
}

TEST_CASE("root recording into the service user's state directory leaves the files to that user",
          "[daemon][owner]") {
  if (::geteuid() != 0) {
    WARN("not root: ownership cannot be tested here (CI runs as root)");
    return;
  }
  test::TempDir dir;
  const std::string state = dir.path() + "/state";
  REQUIRE(::mkdir(state.c_str(), 0700) == 0);
  const uid_t service_uid = 4242;
  const gid_t service_gid = 4343;
  REQUIRE(::chown(state.c_str(), service_uid, service_gid) == 0);
  LoadedConfig loaded;
  loaded.config = default_daemon_config();
  loaded.config.root = test::fixture_host("debian12-stock");
  loaded.config.state_dir = state;
  loaded.config.schedules = {{"quick", {"inline"}, 600s, 0s}};
  PolicyPack pack;
  pack.id = "owner-test";
  pack.source = "owner-test.yaml";
  pack.checks = {check_of("plain", "SELECT 1 AS x, 1 AS compliant")};
  loaded.packs = {{pack}};
  auto r = run_scan_job(loaded, 0, {}, 1'800'000'000'000, nullptr);
  INFO(r.error);
  REQUIRE(r.sequence);
  // Root again: the service user's key is accepted for the service's chain.
  auto again = run_scan_job(loaded, 0, {}, 1'800'000'060'000, nullptr);
  INFO(again.error);
  REQUIRE(again.sequence);
  CHECK(*again.sequence == 2);
  Enrollment e;
  e.store = "https://store.example";
  e.host_id = "h-1";
  e.key_id = "k";
  e.host = "x";
  e.enrolled_at = "2026-12-01T00:00:00Z";
  REQUIRE(save_enrollment(state, e).ok());
  for (const char* name : {"cache.db", "host-key.pem", "host-key.pub.pem", "enrollment.json"}) {
    INFO(name);
    struct stat st{};
    REQUIRE(::stat((state + "/" + name).c_str(), &st) == 0);
    CHECK(st.st_uid == service_uid);
    CHECK(st.st_gid == service_gid);
  }
  // Elsewhere root's files stay root's.
  REQUIRE(write_file_atomic(dir.path() + "/plain.txt", "x", 0644).ok());
  struct stat plain{};
  REQUIRE(::stat((dir.path() + "/plain.txt").c_str(), &plain) == 0);
  CHECK(plain.st_uid == 0);
}
