// agent/daemon.hpp: `vigil run`.
#include "daemon.hpp"

#include <malloc.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <csignal>
#include <cstdlib>

#include "cli_args.hpp"
#include "crypto.hpp"
#include "enrollment.hpp"
#include "engine.hpp"
#include "http_client.hpp"
#include "log.hpp"
#include "record.hpp"
#include "report.hpp"
#include "sd_notify.hpp"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

namespace vigil::agent {

namespace asio = boost::asio;

namespace {

using SteadyClock = std::chrono::steady_clock;

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

// What a drain on the ship worker reports back to the loop.
struct ShipJobResult {
  bool attempted = false;  // false: not enrolled or not configured; message says why
  std::string message;
  bool ok = false;
  std::size_t accepted = 0, duplicate = 0, rejected = 0;
  std::optional<std::chrono::milliseconds> retry_after;
};

// Lives on the ship worker only: the shipper keeps its backoff between
// drains, and is rebuilt when enrollment.json or the settings change.
class ShipContext {
 public:
  ShipJobResult drain(const DaemonConfig& config) {
    ShipJobResult r;
    auto enrollment = load_enrollment(config.state_dir);
    if (!enrollment) {
      reset();
      r.message = enrollment.is(Errc::not_found) ? "not enrolled (vigil enroll)" : enrollment.error().message;
      return r;
    }
    if (!config.store.url.empty() && config.store.url != enrollment->store) {
      reset();
      r.message = "store.url " + config.store.url + " is not the store this host enrolled with (" +
                  enrollment->store + "); run vigil enroll with the new store";
      return r;
    }
    HttpClientOptions ho;
    ho.base_url = enrollment->store;
    ho.tls = enrollment->tls;
    const TlsOptions& over = config.store.tls;
    if (!over.ca_file.empty()) ho.tls.ca_file = over.ca_file;
    if (!over.pinned_public_key.empty()) ho.tls.pinned_public_key = over.pinned_public_key;
    if (!over.client_cert.empty()) ho.tls.client_cert = over.client_cert;
    if (!over.client_key.empty()) ho.tls.client_key = over.client_key;
    ho.total_timeout = config.store.timeout;
    const std::string fingerprint = enrollment_to_json(*enrollment) + "\n" + ho.tls.ca_file + "\n" +
                                    ho.tls.pinned_public_key + "\n" + ho.tls.client_cert + "\n" +
                                    ho.tls.client_key + "\n" + std::to_string(config.store.timeout.count()) +
                                    "\n" + std::to_string(config.store.batch_count) + "\n" +
                                    std::to_string(config.store.batch_bytes) + "\n" + config.state_dir;
    if (!shipper_ || fingerprint != fingerprint_) {
      reset();
      auto client = HttpClient::create(ho);
      if (!client) {
        r.message = "store settings: " + client.error().message;
        return r;
      }
      CacheOptions co;
      co.state_dir = config.state_dir;
      co.quick_check = false;  // the recording side checks; a drain every few minutes should not
      auto cache = Cache::open(co);
      if (!cache) {
        r.message = cache.error().message;
        return r;
      }
      auto key = crypto::load_private_key(config.state_dir + "/" + crypto::kHostKeyFile);
      if (!key) {
        r.message = key.error().message;
        return r;
      }
      if (key->key_id() != enrollment->key_id) {
        r.message = "the host key (" + key->key_id() + ") is not the enrolled key (" + enrollment->key_id +
                    "); enroll again";
        return r;
      }
      client_ = std::move(*client);
      cache_ = std::make_unique<Cache>(std::move(*cache));
      key_ = std::make_unique<crypto::HostKey>(std::move(*key));
      ShipperOptions so;
      so.host_id = enrollment->host_id;
      so.batch_count = config.store.batch_count;
      so.batch_bytes = config.store.batch_bytes;
      shipper_ = std::make_unique<Shipper>(*cache_, *key_, *client_, so);
      fingerprint_ = fingerprint;
    }
    r.attempted = true;
    const DrainReport d = shipper_->drain_once();
    r.accepted = d.accepted;
    r.duplicate = d.duplicate;
    r.rejected = d.rejected;
    r.retry_after = d.retry_after;
    r.ok = d.drained();
    if (d.error) {
      r.message = d.error->message;
    } else {
      r.message = d.sent == 0 ? std::string("outbox empty, nothing to ship")
                              : "shipped " + std::to_string(d.accepted) + " accepted, " +
                                    std::to_string(d.duplicate) + " duplicate, " + std::to_string(d.rejected) +
                                    " rejected";
    }
    return r;
  }

 private:
  void reset() {
    shipper_.reset();
    key_.reset();
    cache_.reset();
    client_.reset();
    fingerprint_.clear();
  }
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<crypto::HostKey> key_;
  std::unique_ptr<Shipper> shipper_;
  std::string fingerprint_;
};

class Daemon {
 public:
  Daemon(DaemonOptions opts, std::shared_ptr<const LoadedConfig> loaded, Notifier notifier)
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
    scan_started_ms_ = wall_ms();
    scan_name_ = state_.schedules[i].name;
    stuck_reported_ = false;
    const auto loaded = loaded_;  // the scan keeps its configuration and packs alive through a reload
    const std::string name = state_.schedules[i].name;
    log::write(log::Level::info, "scan-start", {{"schedule", name}});
    notify(notify_status("scanning: " + name));
    auto quarantine = state_.quarantine;
    asio::post(scan_pool_, [this, loaded, i, quarantine = std::move(quarantine)]() mutable {
      ScanJobResult r = run_scan_job(*loaded, i, std::move(quarantine), wall_ms(), &cancel_, write_mutex_);
      // Hand what the scan freed back to the system: the daemon idles small.
      ::malloc_trim(0);
      asio::post(io_, [this, r = std::move(r)]() mutable { scan_done(std::move(r)); });
    });
  }

  void scan_done(ScanJobResult r) {
    scanning_ = false;
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
    const auto loaded = loaded_;
    asio::post(ship_pool_, [this, loaded]() {
      ShipJobResult r = ship_.drain(loaded->config);
      asio::post(io_, [this, r = std::move(r)]() mutable { ship_done(std::move(r)); });
    });
  }

  void ship_done(ShipJobResult r) {
    shipping_ = false;
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
    auto fresh = load_config_and_policies(o);
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
    cancel_.store(true);
    scan_timer_.cancel();
    ship_timer_.cancel();
    // A scan stops at its next statement; a collector or a store request in
    // flight may take longer: after the grace period the process leaves
    // without them (a write in progress is still waited for).
    stop_timer_.expires_after(kStopGrace);
    stop_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      abandoned_ = true;
      io_.stop();
    });
    maybe_stop();
  }

  void maybe_stop() {
    if (scanning_ || shipping_) return;
    io_.stop();
  }

  int finish() {
    state_.stopped = true;
    state_.next_ship_ms.reset();
    if (abandoned_) {
      // Wait for a write in progress, then leave without joining the workers.
      std::lock_guard<std::mutex> hold(write_mutex_);
      save_state();
      log::write(log::Level::info, "stopped", {{"abandoned", scanning_ ? "scan" : "ship"}});
      std::_Exit(0);
    }
    save_state();
    log::write(log::Level::info, "stopped");
    scan_pool_.join();
    ship_pool_.join();
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
  std::shared_ptr<const LoadedConfig> loaded_;
  Notifier notifier_;
  RandomUpTo random_;
  DaemonState state_;
  std::optional<DaemonState> previous_;
  asio::io_context io_{1};
  asio::signal_set signals_;
  asio::steady_timer scan_timer_, ship_timer_, watchdog_timer_, stop_timer_;
  ShipContext ship_;  // used on ship_pool_ only
  std::atomic<bool> cancel_{false};
  std::mutex write_mutex_;
  bool scanning_ = false, shipping_ = false, stopping_ = false, abandoned_ = false;
  bool notify_failed_ = false, state_failed_ = false, stuck_reported_ = false;
  bool ship_again_ = false;            // a scan was recorded while a drain ran
  std::int64_t ship_not_before_ms_ = 0;  // backoff or the store's Retry-After
  std::int64_t scan_started_ms_ = 0;
  std::string scan_name_;
  std::string last_ship_problem_;
  // Last, so they are destroyed (and joined) first, before anything their
  // jobs use, whatever way the loop ended.
  asio::thread_pool scan_pool_{1};
  asio::thread_pool ship_pool_{1};
};

}  // namespace

Result<std::shared_ptr<const LoadedConfig>> load_config_and_policies(const DaemonOptions& opts) {
  auto loaded = std::make_shared<LoadedConfig>();
  auto config = load_daemon_config(opts.config_path);
  if (!config) {
    if (!config.is(Errc::not_found) || opts.config_given) return config.error();
    loaded->config = default_daemon_config();
  } else {
    loaded->config = std::move(*config);
  }
  const DaemonConfig& c = loaded->config;
  auto host = collectors::Host::open(c.root);
  if (!host) return make_error(Errc::invalid, "root " + c.root + ": " + host.error().message);
  auto engine = Engine::create(*host);
  if (!engine) return engine.error();
  for (const auto& sc : c.schedules) {
    auto packs = load_policy_paths(sc.policies);
    if (!packs) return make_error(Errc::invalid, "schedule " + sc.name + ": " + packs.error().message);
    for (const auto& p : *packs) {
      if (Status s = (*engine)->validate(p); !s.ok())
        return make_error(Errc::invalid, "schedule " + sc.name + ": " + s.error().message);
    }
    loaded->packs.push_back(std::move(*packs));
  }
  return std::shared_ptr<const LoadedConfig>(std::move(loaded));
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

ScanJobResult run_scan_job(const LoadedConfig& loaded, std::size_t schedule,
                           std::vector<QuarantineEntry> quarantine, std::int64_t now_ms,
                           const std::atomic<bool>* cancel, std::mutex& write_mutex) {
  const DaemonConfig& c = loaded.config;
  ScanJobResult r;
  r.schedule = schedule;
  r.name = c.schedules.at(schedule).name;
  r.started_ms = now_ms;
  const auto start = SteadyClock::now();
  expire_quarantine(quarantine, now_ms);
  r.quarantine = quarantine;
  auto host = collectors::Host::open(c.root);
  if (!host) {
    r.error = "root " + c.root + ": " + host.error().message;
    return r;
  }
  auto engine = Engine::create(*host);
  if (!engine) {
    r.error = engine.error().message;
    return r;
  }
  ScanOptions so;
  so.evidence_cap = c.evidence_rows;
  so.check_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(c.check_timeout);
  so.collector_budget = c.collector_budget;
  so.skip_collectors = quarantine_skip_map(quarantine, now_ms);
  so.cancel = cancel;
  const auto& packs = loaded.packs.at(schedule);
  ScanReport report = (*engine)->scan(packs, so);
  r.wall_ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
  if (report.cancelled) {
    r.cancelled = true;
    return r;
  }
  const auto budget_ms = std::chrono::duration_cast<std::chrono::milliseconds>(c.collector_budget).count();  // 0 below 1 ms (tests)
  const auto period_ms = std::chrono::duration_cast<std::chrono::milliseconds>(c.quarantine).count();
  r.newly_quarantined = quarantine_over_budget(quarantine, report.collectors, now_ms, period_ms, budget_ms);
  r.quarantine = quarantine;
  r.counts = count_verdicts(report);
  RecordOptions ro;
  ro.state_dir = c.state_dir;
  ro.scope = c.scope;
  ro.retention = c.retention;
  const ReportMeta meta{VIGIL_VERSION, host_info_object(report.host_info)};
  std::lock_guard<std::mutex> writing(write_mutex);
  auto recorded = record_evidence(report, meta, ro);
  if (!recorded) {
    r.error = recorded.error().message;
    return r;
  }
  r.sequence = recorded->scan.sequence;
  r.warnings = recorded->warnings;
  return r;
}

int run_daemon(const DaemonOptions& opts) {
  auto notifier = Notifier::from_environment();
  if (!notifier) {
    log::write(log::Level::error, "start-failed", {{"reason", notifier.error().message}});
    return 2;
  }
  auto loaded = load_config_and_policies(opts);
  if (!loaded) {
    log::write(log::Level::error, "start-failed", {{"reason", loaded.error().message}});
    return 2;
  }
  log::set_level((*loaded)->config.log_level);
  if (Status s = check_state_dir((*loaded)->config.state_dir, CacheAccess::read_write); !s.ok()) {
    log::write(log::Level::error, "start-failed", {{"reason", s.error().message}});
    return 2;
  }
  Daemon daemon(opts, std::move(*loaded), std::move(*notifier));
  return daemon.run();
}

}  // namespace vigil::agent
