// Issue 7: the real `vigil run` process on a fixture host copy. It tells a
// notify socket the test binds READY, STATUS and WATCHDOG, records its
// scans, reloads on SIGHUP (keeping the running configuration when the new
// one is bad), ships to a real vigil-store on 127.0.0.1, and exits 0 on
// SIGTERM. Waits poll the state file; nothing asserts on how long a step took.
#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "background_process.hpp"
#include "daemon_state.hpp"
#include "store_e2e_support.hpp"
#include "unique_fd.hpp"

namespace json = boost::json;
using namespace vigil;
using namespace vigil::e2e;
using namespace std::chrono_literals;

namespace {

// The notify socket, read on a thread of its own like systemd reads it (a
// reader that falls behind would only make the daemon drop messages).
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    REQUIRE(fd_.valid());
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof a.sun_path);
    std::memcpy(a.sun_path, path_.data(), path_.size());
    REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    timeval tv{0, 100'000};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    reader_ = std::thread([this] {
      while (!done_) {
        char buf[4096];
        const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n <= 0) continue;
        std::lock_guard<std::mutex> lock(mutex_);
        seen_.emplace_back(buf, static_cast<std::size_t>(n));
      }
    });
  }
  ~NotifySocket() {
    done_ = true;
    reader_.join();
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  const std::string& path() const { return path_; }
  // Whether a message since the last mark() contains `part`, waiting for
  // one at most about `wait`.
  bool wait_for(const std::string& part, std::chrono::seconds wait = 60s) {
    const auto until = std::chrono::steady_clock::now() + wait;
    do {
      if (count_since_mark(part) > 0) return true;
      std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < until);
    return false;
  }
  // Messages since the last mark() that contain `part`.
  std::size_t count_since_mark(const std::string& part) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (std::size_t i = mark_; i < seen_.size(); ++i)
      if (seen_[i].find(part) != std::string::npos) ++n;
    return n;
  }
  // Later waits look only at messages that arrive after this.
  void mark() {
    std::lock_guard<std::mutex> lock(mutex_);
    mark_ = seen_.size();
  }
  std::string seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string all;
    for (const auto& m : seen_) all += "[" + m + "] ";
    return all;
  }

 private:
  std::string path_;
  UniqueFd fd_{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  std::mutex mutex_;
  std::vector<std::string> seen_;
  std::size_t mark_ = 0;
  std::atomic<bool> done_{false};
  std::thread reader_;
};

// The daemon under test: `vigil run --config F` with NOTIFY_SOCKET and a
// watchdog of 200 ms in its environment, stderr to a file.
class Daemon {
 public:
  Daemon(const std::string& config, const std::string& notify, const std::string& log) : log_(log) {
    ::setenv("NOTIFY_SOCKET", notify.c_str(), 1);
    ::setenv("WATCHDOG_USEC", "200000", 1);
    proc_ = std::make_unique<test::BackgroundProcess>(std::vector<std::string>{VIGIL_BINARY, "run", "--config", config},
                                                      test::BackgroundOutput{"", log});
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
  }
  test::BackgroundProcess& process() { return *proc_; }
  std::string log() const { return read_text(log_); }

 private:
  std::string log_;
  std::unique_ptr<test::BackgroundProcess> proc_;
};

std::string config_text(const AgentHost& host, const std::string& schedule, bool ship,
                        const std::string& extra = "") {
  return "root: " + host.root() + "\nstate_dir: " + host.state_dir() +
         "\nscope:\n  owner: e2e\nschedules:\n  - name: " + schedule +
         "\n    policies: [builtin:linux-baseline]\n    interval_seconds: 3600\nstore:\n  ship: " +
         (ship ? "true" : "false") + "\n  interval_seconds: 10\n" + extra;
}

// Polls daemon-state.json until pred holds (true) or about a minute passes.
template <typename Pred>
bool wait_state(const AgentHost& host, Pred pred) {
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < until) {
    auto s = agent::load_daemon_state(host.state_dir());
    if (s && pred(*s)) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

const agent::ScheduleState* schedule(const agent::DaemonState& s, const std::string& name) {
  for (const auto& x : s.schedules)
    if (x.name == name) return &x;
  return nullptr;
}

bool recorded(const agent::DaemonState& s, const std::string& name, std::int64_t sequence) {
  const auto* x = schedule(s, name);
  return x != nullptr && x->last_sequence && *x->last_sequence == sequence;
}

}  // namespace

TEST_CASE("vigil run: ready, scans, watchdog, reload refused and accepted, SIGTERM exits 0", "[daemon-e2e]") {
  test::TempDir dir;
  AgentHost host("debian12-stock");
  const std::string config = dir.path() + "/vigil.yaml";
  dir.write("vigil.yaml", config_text(host, "quick", false));
  NotifySocket notify(dir.path() + "/notify");
  Daemon d(config, notify.path(), dir.path() + "/daemon.log");

  const bool ready = notify.wait_for("READY=1");
  const bool scanned = wait_state(host, [](const agent::DaemonState& s) { return recorded(s, "quick", 1); });
  INFO("notify: " << notify.seen() << "\nlog: " << d.log());
  REQUIRE(ready);
  REQUIRE(scanned);
  CHECK(notify.wait_for("WATCHDOG=1"));
  CHECK(notify.wait_for("STATUS=next scan quick at"));
  auto first = agent::load_daemon_state(host.state_dir());
  REQUIRE(first);
  CHECK(first->pid == d.process().pid());
  REQUIRE(schedule(*first, "quick")->last_counts);
  CHECK(schedule(*first, "quick")->last_counts->pass > 0);
  // The next scan is an interval away, not now.
  CHECK(schedule(*first, "quick")->next_scan_ms >= *schedule(*first, "quick")->last_scan_ms + 3'600'000);

  auto status = run_vigil_process({"status", "--state-dir", host.state_dir()});
  CHECK(status.exit_code == 0);
  CHECK_THAT(status.out, Catch::Contains("Daemon:         running, pid " + std::to_string(d.process().pid())));
  CHECK_THAT(status.out, Catch::Contains("schedule quick: last scan"));
  CHECK_THAT(status.out, Catch::Contains("quarantined collectors: none"));
  auto history = run_vigil_process({"history", "--state-dir", host.state_dir(), "--format", "json"});
  CHECK(history.exit_code == 0);

  // A bad file: refused, the running configuration stays, the daemon says so.
  dir.write("vigil.yaml", "roots: /\n");
  notify.mark();
  d.process().signal(SIGHUP);
  REQUIRE(notify.wait_for("reload refused"));
  CHECK_THAT(d.log(), Catch::Contains("reload-refused") && Catch::Contains("vigil.yaml:1: roots: unknown key"));
  CHECK(d.process().running());

  // The state directory cannot move under a running daemon.
  std::string moved = config_text(host, "quick", false);
  moved.replace(moved.find("state_dir: ") + 11, host.state_dir().size(), dir.path() + "/elsewhere");
  dir.write("vigil.yaml", moved);
  notify.mark();
  d.process().signal(SIGHUP);
  REQUIRE(notify.wait_for("reload refused"));
  CHECK_THAT(d.log(), Catch::Contains("state_dir cannot change on a reload"));

  // A good one: the new schedule (never ran, no splay) scans at once.
  dir.write("vigil.yaml", config_text(host, "renamed", false));
  d.process().signal(SIGHUP);
  REQUIRE(wait_state(host, [](const agent::DaemonState& s) { return recorded(s, "renamed", 2); }));
  CHECK_THAT(d.log(), Catch::Contains("reloaded"));
  auto after = agent::load_daemon_state(host.state_dir());
  REQUIRE(after);
  CHECK(schedule(*after, "quick") == nullptr);

  notify.mark();
  d.process().signal(SIGTERM);
  CHECK(d.process().wait_exit(30s) == 0);
  CHECK(notify.wait_for("STOPPING=1", 5s));
  auto stopped = agent::load_daemon_state(host.state_dir());
  REQUIRE(stopped);
  CHECK(stopped->stopped);
  CHECK_THAT(d.log(), Catch::Contains("event=stopped"));
  auto status_after = run_vigil_process({"status", "--state-dir", host.state_dir()});
  CHECK_THAT(status_after.out, Catch::Contains("Daemon:         stopped at"));

  // A restart continues the schedule: no scan at start, the last one is recent.
  notify.mark();
  Daemon again(config, notify.path(), dir.path() + "/daemon2.log");
  REQUIRE(notify.wait_for("READY=1"));
  auto restarted = agent::load_daemon_state(host.state_dir());
  REQUIRE(restarted);
  CHECK_FALSE(restarted->stopped);
  REQUIRE(schedule(*restarted, "renamed") != nullptr);
  CHECK(schedule(*restarted, "renamed")->next_scan_ms >= *schedule(*restarted, "renamed")->last_scan_ms + 3'600'000);
  CHECK(notify.count_since_mark("scanning:") == 0);
  again.process().signal(SIGTERM);
  CHECK(again.process().wait_exit(30s) == 0);
  auto after_restart = agent::load_daemon_state(host.state_dir());
  REQUIRE(after_restart);
  CHECK(recorded(*after_restart, "renamed", 2));
}

TEST_CASE("vigil run: ships each scan to the enrolled store", "[daemon-e2e][store-e2e]") {
  test::TempDir dir;
  const auto pki = test::make_test_pki(dir.path());
  StoreProcess store(dir, pki);
  store.start();
  AgentHost host("debian12-stock");
  require_enrolled(host.enroll(store, pki, store.create_token("enroll", {"--uses", "1"})));
  dir.write("vigil.yaml", config_text(host, "quick", true));
  NotifySocket notify(dir.path() + "/notify");
  Daemon d(dir.path() + "/vigil.yaml", notify.path(), dir.path() + "/daemon.log");
  REQUIRE(notify.wait_for("READY=1"));
  // The first drain may ship the scan or find the outbox still empty (the
  // scan and the drain start together); either way the outbox empties.
  const bool shipped = wait_state(host, [&](const agent::DaemonState& s) {
    return recorded(s, "quick", 1) && s.last_ship_ms && host.cache_outbox_depth() == 0;
  });
  INFO("log: " << d.log() << "\nstore: " << store.log());
  REQUIRE(shipped);
  CHECK(host.outbox_depth() == 0);
  CHECK_THAT(d.log(), Catch::Contains("event=shipped accepted=1"));
  StoreApi api(store, pki);
  auto one = api.get("/v1/hosts/" + host.host_id(), store.create_token("auditor"));
  INFO(one.body);
  REQUIRE(one.status == 200);
  CHECK(num(one.json.at("chain"), "last_sequence") == 1);
  d.process().signal(SIGTERM);
  CHECK(d.process().wait_exit(30s) == 0);
}

TEST_CASE("vigil run: a bad configuration stops it at start with file and line", "[daemon-e2e]") {
  test::TempDir dir;
  dir.write("vigil.yaml", "schedules:\n  - name: a\n    policies: [missing.yaml]\n    interval_seconds: 600\n");
  auto r = run_vigil_process({"run", "--config", dir.path() + "/vigil.yaml"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("schedule a:") && Catch::Contains("missing.yaml"));
  dir.write("bad.yaml", "state_dir: relative\n");
  auto bad = run_vigil_process({"run", "--check-config", "--config", dir.path() + "/bad.yaml"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("bad.yaml:1: state_dir: 'relative' is not an absolute path"));
  auto missing = run_vigil_process({"run", "--config", dir.path() + "/none.yaml"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("none.yaml"));
  AgentHost host("debian12-stock");
  dir.write("good.yaml", config_text(host, "quick", false));
  auto good = run_vigil_process({"run", "--check-config", "--config", dir.path() + "/good.yaml"});
  CHECK(good.exit_code == 0);
  CHECK_THAT(good.out, Catch::Contains("Schedule quick: every 3600 s"));
}

namespace {

// A check whose query never ends by itself (until its 120 s timeout): the
// scan is still running whenever the test looks.
constexpr const char* kEndlessPack = R"(id: endless
title: A scan that takes its time
version: '1'
checks:
  - id: endless.count
    title: Counts for ever
    severity: low
    controls: { iso27001-2022: [A.8.9] }
    query: WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, 1 AS compliant FROM c WHERE x < 0
    remediation: None.
)";

std::string endless_config(const AgentHost& host, const std::string& policies, const std::string& schedule) {
  return "root: " + host.root() + "\nstate_dir: " + host.state_dir() + "\nschedules:\n  - name: " + schedule +
         "\n    policies: [" + policies + "]\n    interval_seconds: 3600\nscan:\n  check_timeout_seconds: 120\n"
         "store:\n  ship: false\n";
}

// The children of pid (from each process's stat: its parent is field 4).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_text(e.path().string() + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size()) continue;
    if (std::atol(stat.c_str() + close + 4) == pid) out.push_back(static_cast<pid_t>(std::atol(name.c_str())));
  }
  return out;
}

}  // namespace

TEST_CASE("vigil run: a scan is a process of its own, killed it records nothing, SIGTERM ends one mid-way",
          "[daemon-e2e]") {
  test::TempDir dir;
  AgentHost host("debian12-stock");
  dir.write("policies/endless.yaml", kEndlessPack);
  const std::string policies = dir.path() + "/policies";
  dir.write("vigil.yaml", endless_config(host, policies, "endless"));
  NotifySocket notify(dir.path() + "/notify");
  Daemon d(dir.path() + "/vigil.yaml", notify.path(), dir.path() + "/daemon.log");
  REQUIRE(notify.wait_for("STATUS=scanning: endless"));
  std::vector<pid_t> children;
  for (int i = 0; i < 200 && children.empty(); ++i) {
    children = children_of(d.process().pid());
    if (children.empty()) std::this_thread::sleep_for(50ms);
  }
  REQUIRE(children.size() == 1);
  // What the scan process is: vigil itself, not the loop.
  CHECK(read_text("/proc/" + std::to_string(children[0]) + "/comm") == "vigil\n");
  REQUIRE(::kill(children[0], SIGKILL) == 0);
  const bool failed = wait_state(host, [](const agent::DaemonState& s) {
    const auto* x = schedule(s, "endless");
    return x != nullptr && x->last_error.find("killed by signal 9") != std::string::npos;
  });
  INFO("log: " << d.log());
  REQUIRE(failed);
  CHECK(d.process().running());
  CHECK_THAT(d.log(), Catch::Contains("event=scan-not-recorded"));
  auto state = agent::load_daemon_state(host.state_dir());
  REQUIRE(state);
  CHECK_FALSE(schedule(*state, "endless")->last_sequence);

  // A new schedule scans at once; SIGTERM cancels that scan and the daemon exits 0.
  dir.write("vigil.yaml", endless_config(host, policies, "again"));
  notify.mark();
  d.process().signal(SIGHUP);
  REQUIRE(notify.wait_for("STATUS=scanning: again"));
  d.process().signal(SIGTERM);
  CHECK(d.process().wait_exit(30s) == 0);
  CHECK_THAT(d.log(), Catch::Contains("event=scan-cancelled schedule=again"));
  CHECK_THAT(d.log(), !Catch::Contains("killed="));  // it stopped when asked, within the grace period
}
