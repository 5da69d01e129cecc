// vigild: the daemon's loop (daemon.hpp). `vigil run` execs it with the
// path of the `vigil` that runs its jobs; it is not meant to be started by
// hand (docs/cli.md, "vigil run").
//
//   vigild --vigil /usr/bin/vigil [--config FILE]
#include <iostream>
#include <string>
#include <vector>

#include "daemon.hpp"
#include "log.hpp"

int main(int argc, char** argv) {
  using namespace vigil::agent;
  const std::vector<std::string> args(argv, argv + argc);
  DaemonOptions opts;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if ((args[i] == "--vigil" || args[i] == "--config") && i + 1 < args.size() && !args[i + 1].empty()) {
      if (args[i] == "--vigil") {
        opts.vigil_program = args[++i];
      } else {
        opts.config_path = args[++i];
        opts.config_given = true;
      }
    } else {
      std::cerr << "vigild: unexpected argument '" << args[i] << "'\n"
                << "vigild is started by 'vigil run' (see vigil run --help)\n";
      return 2;
    }
  }
  if (opts.vigil_program.empty() || opts.vigil_program.front() != '/') {
    std::cerr << "vigild: --vigil needs the absolute path of vigil; start the daemon with 'vigil run'\n";
    return 2;
  }
  vigil::log::Options lo;
  lo.program = "vigil";
  vigil::log::init(lo);
  return run_daemon(opts);
}
