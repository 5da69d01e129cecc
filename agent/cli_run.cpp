// `vigil run` (see cli_run.hpp).
#include "cli_run.hpp"

#include <ostream>

#include "cli.hpp"
#include "cli_args.hpp"
#include "daemon.hpp"
#include "log.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace {

constexpr const char* kRunHelp = R"(Usage: vigil run [--config FILE] [--check-config]

Runs the agent as a daemon (what vigil.service starts): scans the host on
each schedule of the configuration, records every scan as signed evidence
in the state directory, and ships the outbox to the store this host is
enrolled with. Logs go to stderr, with journald priority prefixes under
systemd. Tells systemd READY, STATUS and WATCHDOG when NOTIFY_SOCKET is set.

Signals: SIGHUP reloads the configuration and the policies (a bad reload
keeps the running ones and logs why); SIGTERM or SIGINT finishes the write
in progress and exits 0.

Options:
  --config FILE    the configuration (default /etc/vigil/vigil.yaml; when
                   that file does not exist the built-in defaults run);
                   docs/configuration.md lists every key
  --check-config   read the configuration and the policies, print the
                   schedules and exit: 0 valid, 2 not
  -h, --help       show this help

Exit codes: 0 stopped by a signal, or --check-config found no problem;
2 the configuration or a policy is invalid.
)";

}  // namespace

int cmd_run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parse_cli_args(argv, 2, {"config"}, {"check-config"});
  if (!args) return cli_usage_error(err, args.error().message, "run ");
  if (args->help) {
    out << kRunHelp;
    return kExitOk;
  }
  if (!args->positional.empty())
    return cli_usage_error(err, "unexpected argument '" + args->positional[0] + "'", "run ");
  DaemonOptions opts;
  if (auto c = args->get("config")) {
    if (c->empty()) return cli_usage_error(err, "--config needs a file name", "run ");
    opts.config_path = *c;
    opts.config_given = true;
  }
  if (args->has("check-config")) {
    auto loaded = load_config_and_policies(opts);
    if (!loaded) {
      err << "vigil run: " << terminal_safe(loaded.error().message, true) << "\n";
      return kExitUsage;
    }
    const DaemonConfig& c = (*loaded)->config;
    out << "Configuration: " << terminal_safe(c.source.empty() ? "(built-in defaults)" : c.source) << "\n"
        << "Root: " << terminal_safe(c.root) << "; state directory: " << terminal_safe(c.state_dir) << "\n";
    for (std::size_t i = 0; i < c.schedules.size(); ++i) {
      const auto& s = c.schedules[i];
      std::size_t checks = 0;
      for (const auto& p : (*loaded)->packs[i]) checks += p.checks.size();
      out << "Schedule " << terminal_safe(s.name) << ": every " << s.interval.count() << " s + up to "
          << s.splay.count() << " s splay; " << (*loaded)->packs[i].size() << " pack(s), " << checks
          << " checks: " << terminal_safe(join(s.policies, ", ")) << "\n";
    }
    out << "Shipping: " << (c.store.ship ? "to the enrolled store every " + std::to_string(c.store.interval.count()) + " s and after each scan" : std::string("off")) << "\n";
    return kExitOk;
  }
  log::Options lo;
  lo.program = "vigil";
  log::init(lo);
  return run_daemon(opts);
}

}  // namespace vigil::agent
