// agent/daemon.hpp: `vigil run`'s loop (vigild).
#include "daemon.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdlib>

#include "child_process.hpp"
#include "daemon_protocol.hpp"
#include "daemon_state.hpp"
#include "log.hpp"
#include "sd_notify.hpp"
#include "text_format.hpp"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

namespace vigil::agent {

namespace asio = boost::asio;

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t splay_ms(const ScheduleConfig& s, const RandomUpTo& random) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(s.splay).count();
  return ms > 0 ? random(ms) : 0;
}

std::int64_t interval_ms(const ScheduleConfig& s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(s.interval).count();
}

std::string counts_summary(const VerdictCounts& c) {
  return std::to_string(c.pass) + " pass, " + std::to_string(c.fail) + " fail, " + std::to_string(c.error) +
         " error, " + std::to_string(c.not_applicable) + " n/a, " + std::to_string(c.waived) + " waived";
}

// A request for a job on the configuration the loop holds.
JobRequest job_request(JobKind kind, const DaemonSetup& setup) {
  JobRequest req;
  req.kind = kind;
  req.config_source = setup.config.source;
  req.config_text = setup.config_text;
  return req;
}

// A job's answer is small; more than this is not an answer.
constexpr std::size_t kJobOutputCap = 4u * 1024u * 1024u;
// A validation reads and prepares the policies; it never takes this long.
constexpr std::chrono::seconds kValidateTimeout{120};

class Daemon {
 public:
  Daemon(DaemonOptions opts, std::shared_ptr<const DaemonSetup> loaded, Notifier notifier)
      : opts_(std::move(opts)),
        loaded_(std::move(loaded)),
        notifier_(std::move(notifier)),
        random_(system_random()),
        signals_(io_, SIGHUP, SIGTERM, SIGINT),
        scan_timer_(io_),
        ship_timer_(io_),
        watchdog_timer_(io_),
        stop_timer_(io_) {}

  int run() {
    const std::int64_t now = wall_ms();
    state_.pid = static_cast<std::int64_t>(::getpid());
    state_.started_at_ms = now;
    state_.config = loaded_->config.source;
    // What a previous run left: the schedule's last scans and the quarantine.
    if (auto previous = load_daemon_state(loaded_->config.state_dir)) {
      previous_ = std::move(*previous);
      state_.quarantine = previous_->quarantine;
      state_.last_ship_ms = previous_->last_ship_ms;
      state_.last_ship = previous_->last_ship;
    } else if (!previous.is(Errc::not_found)) {
      log::write(log::Level::warning, "state-ignored", {{"reason", previous.error().message}});
    }
    expire_quarantine(state_.quarantine, now);
    reconcile_schedules(now);
    log::write(log::Level::info, "started",
               {{"version", VIGIL_VERSION},
                {"config", loaded_->config.source.empty() ? std::string("(built-in defaults)") : loaded_->config.source},
                {"root", loaded_->config.root},
                {"state_dir", loaded_->config.state_dir},
                {"schedules", std::to_string(loaded_->config.schedules.size())},
                {"notify", notifier_.enabled() ? notifier_.socket_name() : std::string("off")}});
    wait_signal();
    arm_scan_timer();
    if (loaded_->config.store.ship) arm_ship_timer(std::chrono::milliseconds(0));
    if (notifier_.watchdog_period()) arm_watchdog();
    save_state();
    notify("READY=1\n" + notify_status(status_text()));
    io_.run();
    return finish();
  }

 private:
  // ---- schedules ------------------------------------------------------------------

  // Matches the configured schedules with their state by name: on a reload
  // a schedule keeps its state (a shorter interval takes effect now); at
  // start a schedule known from the previous run continues from its last
  // scan; a new schedule is first due after a splay. Removed ones are dropped.
  void reconcile_schedules(std::int64_t now) {
    auto find = [](const std::vector<ScheduleState>& v, const std::string& name) -> const ScheduleState* {
      for (const auto& s : v)
        if (s.name == name) return &s;
      return nullptr;
    };
    std::vector<ScheduleState> next;
    for (const auto& sc : loaded_->config.schedules) {
      ScheduleState st;
      st.name = sc.name;
      if (const ScheduleState* current = find(state_.schedules, sc.name)) {
        st = *current;
        const std::int64_t latest = st.last_scan_ms ? *st.last_scan_ms + interval_ms(sc) + splay_ms(sc, random_)
                                                    : now + splay_ms(sc, random_);
        if (st.next_scan_ms > latest) st.next_scan_ms = std::max(latest, now);
      } else if (const ScheduleState* before = previous_ ? find(previous_->schedules, sc.name) : nullptr) {
        st = *before;
        st.next_scan_ms = first_due_ms(st.last_scan_ms, sc, now, random_);
      } else {
        st.next_scan_ms = first_due_ms(std::nullopt, sc, now, random_);
      }
      next.push_back(std::move(st));
    }
    state_.schedules = std::move(next);
  }

  void arm_scan_timer() {
    scan_timer_.cancel();
    if (stopping_ || scanning_) return;
    std::optional<std::size_t> soonest;
    for (std::size_t i = 0; i < state_.schedules.size(); ++i)
      if (!soonest || state_.schedules[i].next_scan_ms < state_.schedules[*soonest].next_scan_ms) soonest = i;
    if (!soonest) return;
    const std::int64_t now = wall_ms();
    // The wall clock may have stepped back (a board without an RTC before
    // NTP): no schedule waits longer than one interval and splay from now.
    for (auto& st : state_.schedules) {
      if (const ScheduleConfig* sc = schedule_config(st.name)) {
        const std::int64_t latest = now + interval_ms(*sc) + std::chrono::duration_cast<std::chrono::milliseconds>(sc->splay).count();
        if (st.next_scan_ms > latest) st.next_scan_ms = latest;
      }
    }
    const std::int64_t delay = std::max<std::int64_t>(0, state_.schedules[*soonest].next_scan_ms - now);
    scan_timer_.expires_after(std::chrono::milliseconds(delay));
    scan_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      on_scan_timer();
    });
  }

  void on_scan_timer() {
    if (stopping_ || scanning_) return;
    const std::int64_t now = wall_ms();
    std::optional<std::size_t> due;
    for (std::size_t i = 0; i < state_.schedules.size(); ++i)
      if (state_.schedules[i].next_scan_ms <= now &&
          (!due || state_.schedules[i].next_scan_ms < state_.schedules[*due].next_scan_ms))
        due = i;
    if (!due) return arm_scan_timer();  // woke early (the wall clock moved): wait again
    start_scan(*due);
  }

  void start_scan(std::size_t i) {
    scanning_ = true;
    scan_recording_ = false;
    scan_started_ms_ = wall_ms();
    scan_name_ = state_.schedules[i].name;
    stuck_reported_ = false;
    const std::string name = state_.schedules[i].name;
    log::write(log::Level::info, "scan-start", {{"schedule", name}});
    notify(notify_status("scanning: " + name));
    // reconcile_schedules keeps state_.schedules in the configuration's
    // order: i is also the schedule's index there and in the policies.
    JobRequest req = job_request(JobKind::scan, *loaded_);
    req.schedule = i;
    req.policies = loaded_->policies.at(i);
    req.quarantine = state_.quarantine;
    req.now_ms = scan_started_ms_;
    ScanJobResult failed;  // what scan_done gets when the job gives no answer
    failed.schedule = i;
    failed.name = name;
    failed.started_ms = scan_started_ms_;
    failed.quarantine = state_.quarantine;
    auto child = ChildProcess::start(
        io_, opts_.vigil_program, {"job"}, job_request_to_json(req), kJobOutputCap,
        [this](std::string_view line) {
          if (line == kJobRecordingLine) scan_recording_ = true;
        },
        [this, failed](ChildOutcome o) mutable {
          scan_child_.reset();
          auto r = parse_scan_result(o.output);
          if (r && o.exited && o.exit_code == 0) {
            scan_done(std::move(*r), o);
          } else {
            failed.error = "the scan process ended with " + o.describe() +
                           (r || o.output.empty() ? std::string() : " (" + r.error().message + ")");
            failed.cancelled = stopping_;
            scan_done(std::move(failed), o);
          }
        });
    if (!child) {
      failed.error = child.error().message;
      asio::post(io_, [this, failed]() mutable { scan_done(std::move(failed), ChildOutcome{}); });
      return;
    }
    scan_child_ = std::move(*child);
  }

  void scan_done(ScanJobResult r, const ChildOutcome& process) {
    scanning_ = false;
    scan_recording_ = false;
    const std::int64_t now = wall_ms();
    state_.quarantine = r.quarantine;
    for (const auto& t : r.newly_quarantined) {
      for (const auto& q : state_.quarantine) {
        if (q.table != t) continue;
        log::write(log::Level::warning, "quarantine",
                   {{"collector", t},
                    {"duration_ms", std::to_string(static_cast<std::int64_t>(q.duration_ms))},
                    {"budget_ms", std::to_string(q.budget_ms)},
                    {"until", format_utc(q.until_ms)}});
      }
    }
    ScheduleState* st = nullptr;
    for (auto& s : state_.schedules)
      if (s.name == r.name) st = &s;
    if (r.cancelled) {
      log::write(log::Level::info, "scan-cancelled", {{"schedule", r.name}});
    } else if (r.sequence) {
      log::write(log::Level::info, "scan-done",
                 {{"schedule", r.name},
                  {"sequence", std::to_string(*r.sequence)},
                  {"wall_ms", std::to_string(static_cast<std::int64_t>(r.wall_ms))},
                  {"cpu_ms", std::to_string(static_cast<std::int64_t>(process.cpu_ms))},
                  {"max_rss_kb", std::to_string(process.max_rss_kb)},
                  {"verdicts", counts_summary(r.counts)}});
      for (const auto& w : r.warnings) log::write(log::Level::warning, "record-warning", {{"message", w}});
    } else {
      log::write(log::Level::error, "scan-not-recorded", {{"schedule", r.name}, {"reason", r.error}});
    }
    if (st != nullptr && !r.cancelled) {
      if (r.sequence) {
        st->last_scan_ms = r.started_ms;
        st->last_sequence = r.sequence;
        st->last_counts = r.counts;
        st->last_error.clear();
      } else {
        st->last_error = r.error;
      }
      const ScheduleConfig* sc = schedule_config(r.name);
      if (sc != nullptr) st->next_scan_ms = next_due_ms(r.started_ms, *sc, now, random_);
    }
    save_state();
    if (stopping_) return maybe_stop();
    notify(notify_status(status_text()));
    arm_scan_timer();
    // Fresh evidence goes out now rather than at the next ship interval
    // (after a drain in progress, and not before a backoff or Retry-After).
    if (r.sequence && loaded_->config.store.ship) ship_soon();
  }

  void ship_soon() {
    if (shipping_) {
      ship_again_ = true;
      return;
    }
    arm_ship_timer(std::chrono::milliseconds(std::max<std::int64_t>(0, ship_not_before_ms_ - wall_ms())));
  }

  const ScheduleConfig* schedule_config(const std::string& name) const {
    for (const auto& s : loaded_->config.schedules)
      if (s.name == name) return &s;
    return nullptr;
  }

  // ---- shipping -------------------------------------------------------------------

  void arm_ship_timer(std::chrono::milliseconds delay) {
    ship_timer_.cancel();
    if (stopping_ || !loaded_->config.store.ship) {
      state_.next_ship_ms.reset();
      return;
    }
    state_.next_ship_ms = wall_ms() + delay.count();
    ship_timer_.expires_after(delay);
    ship_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      start_ship();
    });
  }

  void start_ship() {
    if (stopping_ || shipping_) return;
    shipping_ = true;
    state_.next_ship_ms.reset();
    JobRequest req = job_request(JobKind::ship, *loaded_);
    req.ship_failures = ship_failures_;
    auto child = ChildProcess::start(io_, opts_.vigil_program, {"job"}, job_request_to_json(req), kJobOutputCap,
                                     nullptr, [this](ChildOutcome o) {
                                       ship_child_.reset();
                                       auto r = parse_ship_result(o.output);
                                       if (r && o.exited && o.exit_code == 0) return ship_done(std::move(*r));
                                       if (stopping_ && !o.exited) {
                                         // Ended by the stop (systemd signals the whole unit):
                                         // not a ship failure, and the last ship stays as it was.
                                         shipping_ = false;
                                         return maybe_stop();
                                       }
                                       ShipJobResult failed;
                                       failed.attempted = true;
                                       failed.failures = ship_failures_;
                                       failed.message = "the ship process ended with " + o.describe();
                                       ship_done(std::move(failed));
                                     });
    if (!child) {
      ShipJobResult failed;
      failed.failures = ship_failures_;
      failed.message = child.error().message;
      asio::post(io_, [this, failed]() mutable { ship_done(std::move(failed)); });
      return;
    }
    ship_child_ = std::move(*child);
  }

  void ship_done(ShipJobResult r) {
    shipping_ = false;
    ship_failures_ = r.failures;
    const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(loaded_->config.store.interval);
    if (r.attempted) {
      state_.last_ship_ms = wall_ms();
      state_.last_ship = r.message;
    }
    if (!r.attempted) {
      if (r.message != last_ship_problem_)
        log::write(log::Level::warning, "ship-skipped", {{"reason", r.message}});
      last_ship_problem_ = r.message;
      state_.last_ship = r.message;
    } else if (r.ok) {
      last_ship_problem_.clear();
      if (r.accepted + r.duplicate + r.rejected > 0)
        log::write(r.rejected > 0 ? log::Level::warning : log::Level::info, "shipped",
                   {{"accepted", std::to_string(r.accepted)},
                    {"duplicate", std::to_string(r.duplicate)},
                    {"rejected", std::to_string(r.rejected)}});
    } else {
      log::write(log::Level::warning, "ship-failed",
                 {{"reason", r.message},
                  {"retry_ms", r.retry_after ? std::to_string(r.retry_after->count()) : std::string("interval")}});
    }
    if (stopping_) {
      save_state();
      return maybe_stop();
    }
    ship_not_before_ms_ = r.retry_after ? wall_ms() + r.retry_after->count() : 0;
    if (r.retry_after) {
      ship_again_ = false;
      arm_ship_timer(*r.retry_after);
    } else if (ship_again_ && r.ok) {
      ship_again_ = false;
      arm_ship_timer(std::chrono::milliseconds(0));
    } else {
      ship_again_ = false;
      arm_ship_timer(interval);
    }
    save_state();
    notify(notify_status(status_text()));
  }

  // ---- signals, reload, stop ------------------------------------------------------

  void wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        reload();
      } else {
        begin_stop(signo);
      }
      if (!stopping_) wait_signal();
    });
  }

  void reload() {
    notify("RELOADING=1");
    // Running from a file, a file that went missing is an error, not a
    // silent switch to the built-in defaults.
    DaemonOptions o = opts_;
    if (!loaded_->config.source.empty()) o.config_given = true;
    auto fresh = load_setup(o);
    if (fresh && (*fresh)->config.state_dir != loaded_->config.state_dir)
      fresh = make_error(Errc::invalid, "state_dir cannot change on a reload (" + loaded_->config.state_dir +
                                            " -> " + (*fresh)->config.state_dir + "); restart the daemon");
    if (!fresh) {
      log::write(log::Level::error, "reload-refused",
                 {{"reason", fresh.error().message}, {"keeping", loaded_->config.source}});
      notify("READY=1\n" + notify_status("reload refused (see the log); " + status_text()));
      return;
    }
    loaded_ = std::move(*fresh);
    log::set_level(loaded_->config.log_level);
    state_.config = loaded_->config.source;
    previous_.reset();
    reconcile_schedules(wall_ms());
    arm_scan_timer();
    if (loaded_->config.store.ship)
      ship_soon();
    else
      arm_ship_timer(std::chrono::milliseconds(0));  // cancels it
    save_state();
    log::write(log::Level::info, "reloaded",
               {{"config", loaded_->config.source}, {"schedules", std::to_string(loaded_->config.schedules.size())}});
    notify("READY=1\n" + notify_status(status_text()));
  }

  void begin_stop(int signo) {
    if (stopping_) return;
    stopping_ = true;
    log::write(log::Level::info, "stopping", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
    notify("STOPPING=1");
    scan_timer_.cancel();
    ship_timer_.cancel();
    // A scan stops at its next statement (a drain is simply ended: the store
    // takes a batch again as duplicates). Systemd may have sent the same
    // signal to the whole unit already; once more does no harm.
    if (scan_child_) scan_child_->signal(SIGTERM);
    if (ship_child_) ship_child_->signal(SIGTERM);
    // A collector or a store request in flight may take longer: after the
    // grace period they are killed, but a scan writing its evidence is
    // left to finish the write.
    stop_timer_.expires_after(kStopGrace);
    stop_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (scan_child_ && !scan_recording_) {
        abandoned_ = "scan";
        scan_child_->signal(SIGKILL);
      }
      if (ship_child_) {
        abandoned_ = abandoned_.empty() ? "ship" : abandoned_ + ", ship";
        ship_child_->signal(SIGKILL);
      }
    });
    maybe_stop();
  }

  void maybe_stop() {
    if (scanning_ || shipping_) return;
    stop_timer_.cancel();
    io_.stop();
  }

  int finish() {
    state_.stopped = true;
    state_.next_ship_ms.reset();
    save_state();
    if (abandoned_.empty())
      log::write(log::Level::info, "stopped");
    else
      log::write(log::Level::info, "stopped", {{"killed", abandoned_}});
    return 0;
  }

  // ---- systemd and state ----------------------------------------------------------

  // A scan running longer than its schedule's interval is stuck in a
  // collector (a hung network filesystem, say): the loop is alive but the
  // agent no longer works, so systemd's watchdog is left to restart it.
  bool scan_stuck() {
    if (!scanning_) return false;
    const ScheduleConfig* sc = schedule_config(scan_name_);
    const std::int64_t limit = sc != nullptr ? interval_ms(*sc) : 3'600'000;
    if (wall_ms() - scan_started_ms_ <= limit) return false;
    if (!stuck_reported_) {
      stuck_reported_ = true;
      log::write(log::Level::error, "scan-stuck",
                 {{"schedule", scan_name_}, {"since", format_utc(scan_started_ms_)}, {"watchdog", "no longer fed"}});
    }
    return true;
  }

  void arm_watchdog() {
    if (!scan_stuck()) notify("WATCHDOG=1");
    watchdog_timer_.expires_after(*notifier_.watchdog_period());
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      arm_watchdog();
    });
  }

  void notify(const std::string& message) {
    if (Status s = notifier_.send(message); !s.ok() && !notify_failed_) {
      notify_failed_ = true;  // said once: systemd went away, the work goes on
      log::write(log::Level::warning, "notify-failed", {{"reason", s.error().message}});
    }
  }

  std::string status_text() const {
    std::string text;
    std::optional<std::size_t> soonest;
    for (std::size_t i = 0; i < state_.schedules.size(); ++i)
      if (!soonest || state_.schedules[i].next_scan_ms < state_.schedules[*soonest].next_scan_ms) soonest = i;
    if (scanning_) text = "scanning";
    else if (soonest)
      text = "next scan " + state_.schedules[*soonest].name + " at " + format_utc(state_.schedules[*soonest].next_scan_ms);
    if (!state_.quarantine.empty()) text += "; " + std::to_string(state_.quarantine.size()) + " collector(s) quarantined";
    if (!state_.last_ship.empty()) text += "; ship: " + state_.last_ship;
    return text;
  }

  void save_state() {
    state_.updated_at_ms = wall_ms();
    if (Status s = save_daemon_state(loaded_->config.state_dir, state_); !s.ok() && !state_failed_) {
      state_failed_ = true;
      log::write(log::Level::warning, "state-not-saved", {{"reason", s.error().message}});
    } else if (s.ok()) {
      state_failed_ = false;
    }
  }

  static constexpr std::chrono::seconds kStopGrace{5};

  DaemonOptions opts_;
  std::shared_ptr<const DaemonSetup> loaded_;
  Notifier notifier_;
  RandomUpTo random_;
  DaemonState state_;
  std::optional<DaemonState> previous_;
  asio::io_context io_{1};
  asio::signal_set signals_;
  asio::steady_timer scan_timer_, ship_timer_, watchdog_timer_, stop_timer_;
  std::shared_ptr<ChildProcess> scan_child_, ship_child_;
  bool scanning_ = false, shipping_ = false, stopping_ = false;
  bool scan_recording_ = false;  // the scan child is writing its evidence
  unsigned ship_failures_ = 0;   // consecutive transient ship failures (the backoff's attempt)
  std::string abandoned_;        // what the stop killed after the grace period
  bool notify_failed_ = false, state_failed_ = false, stuck_reported_ = false;
  bool ship_again_ = false;            // a scan was recorded while a drain ran
  std::int64_t ship_not_before_ms_ = 0;  // backoff or the store's Retry-After
  std::int64_t scan_started_ms_ = 0;
  std::string scan_name_;
  std::string last_ship_problem_;
};

}  // namespace

Result<std::shared_ptr<const DaemonSetup>> load_setup(const DaemonOptions& opts) {
  auto file = load_daemon_config_or_defaults(opts);
  if (!file) return file.error();
  auto setup = std::make_shared<DaemonSetup>();
  setup->config = std::move(file->config);
  setup->config_text = std::move(file->text);
  const JobRequest req = job_request(JobKind::validate, *setup);
  auto run = ChildProcess::run(opts.vigil_program, {"job"}, job_request_to_json(req), kJobOutputCap,
                               kValidateTimeout);
  if (!run) return run.error();
  auto answer = parse_validate_result(run->output);
  if (!answer || !run->exited || run->exit_code != 0)
    return make_error(Errc::internal, "the validating process (" + opts.vigil_program + " job) ended with " +
                                          run->describe() + (run->timed_out ? " after its time limit" : "") +
                                          (answer ? std::string() : ": " + answer.error().message));
  if (!answer->error.empty()) return make_error(Errc::invalid, answer->error);
  if (answer->policies.size() != setup->config.schedules.size())
    return make_error(Errc::internal, "the validating process answered for " +
                                          std::to_string(answer->policies.size()) + " schedules, not " +
                                          std::to_string(setup->config.schedules.size()));
  setup->policies = std::move(answer->policies);
  return std::shared_ptr<const DaemonSetup>(std::move(setup));
}

std::int64_t first_due_ms(std::optional<std::int64_t> last_scan_ms, const ScheduleConfig& s, std::int64_t now_ms,
                          const RandomUpTo& random) {
  if (last_scan_ms) {
    // A last scan "in the future" means the clock stepped back: count from now.
    const std::int64_t last = std::min(*last_scan_ms, now_ms);
    const std::int64_t due = last + interval_ms(s) + splay_ms(s, random);
    if (due > now_ms) return due;
  }
  return now_ms + splay_ms(s, random);
}

std::int64_t next_due_ms(std::int64_t started_ms, const ScheduleConfig& s, std::int64_t now_ms,
                         const RandomUpTo& random) {
  const std::int64_t due = started_ms + interval_ms(s) + splay_ms(s, random);
  return due > now_ms ? due : now_ms + splay_ms(s, random);
}

int run_daemon(const DaemonOptions& opts) {
  auto notifier = Notifier::from_environment();
  if (!notifier) {
    log::write(log::Level::error, "start-failed", {{"reason", notifier.error().message}});
    return 2;
  }
  // A child that dies before reading its request must not take the loop with it.
  std::signal(SIGPIPE, SIG_IGN);
  auto loaded = load_setup(opts);
  if (!loaded) {
    log::write(log::Level::error, "start-failed", {{"reason", loaded.error().message}});
    return 2;
  }
  log::set_level((*loaded)->config.log_level);
  Daemon daemon(opts, std::move(*loaded), std::move(*notifier));
  return daemon.run();
}

}  // namespace vigil::agent
