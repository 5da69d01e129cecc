// `vigil run` (see cli_run.hpp).
#include "cli_run.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>

#include "cli.hpp"
#include "cli_args.hpp"
#include "daemon_jobs.hpp"
#include "file_io.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace {

constexpr const char* kRunHelp = R"(Usage: vigil run [--config FILE] [--check-config]

Runs the agent as a daemon (what vigil.service starts): scans the host on
each schedule of the configuration, records every scan as signed evidence
in the state directory, and ships the outbox to the store this host is
enrolled with. Logs go to stderr, with journald priority prefixes under
systemd. Tells systemd READY, STATUS and WATCHDOG when NOTIFY_SOCKET is set.
The process that stays is vigild, a small loop; each scan and drain is a
short-lived vigil process it starts.

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

// The loop's program: next to this vigil (a build tree), else where the
// package puts it, ../libexec/vigil/vigild from this vigil's directory
// (/usr/bin/vigil: /usr/libexec/vigil/vigild).
std::string find_vigild(const std::string& self) {
  const std::string bin = parent_directory(self);
  const std::string sibling = bin + "/vigild";
  if (::access(sibling.c_str(), X_OK) == 0) return sibling;
  return parent_directory(bin) + "/libexec/vigil/vigild";
}

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
  // The loop runs as vigild, a small program of its own that starts this
  // vigil for each scan and drain (docs/architecture.md, "The daemon"):
  // exec keeps the pid, so systemd's main process is the loop.
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    err << "vigil run: cannot find this program's path (/proc/self/exe): " << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  const std::string vigil_program(self, static_cast<std::size_t>(n));
  const std::string vigild = find_vigild(vigil_program);
  std::vector<std::string> loop_args{vigild, "--vigil", vigil_program};
  if (opts.config_given) {
    loop_args.push_back("--config");
    loop_args.push_back(opts.config_path);
  }
  std::vector<char*> argv_c;
  for (auto& a : loop_args) argv_c.push_back(a.data());
  argv_c.push_back(nullptr);
  out.flush();
  err.flush();
  ::execv(vigild.c_str(), argv_c.data());
  err << "vigil run: cannot start the daemon's loop " << terminal_safe(vigild) << ": " << std::strerror(errno)
      << "\n";
  return kExitUsage;
}

}  // namespace vigil::agent
