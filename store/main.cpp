// vigil-store: the evidence store's command line. All logic lives in the
// vigil_store library; `token` and `host` are the admin commands
// (store/cli_admin.hpp), the rest is here.
#include <sqlite3.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli_admin.hpp"
#include "cli_serve.hpp"

namespace {

constexpr const char* kUsage =
    "usage: vigil-store COMMAND [OPTIONS]\n"
    "  serve [--config FILE] [--port-file FILE]  serve the HTTPS API\n"
    "  token ...                                 enrollment and access tokens\n"
    "  host ...                                  enrolled hosts\n"
    "  --help, --version\n"
    "See docs/cli.md and docs/store-api.md.\n";

}  // namespace

int main(int argc, char** argv) {
  // No SQLite memory statistics in this process: with them every SQLite
  // allocation and free takes one process-wide mutex, which the pool
  // threads contend for during ingest (about 4 % of its throughput). The
  // store sets no heap limit, the one thing that needs them; the agent's
  // engine does, so the agent keeps them. Before anything opens a database.
  if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK) {
    std::cerr << "vigil-store: cannot configure SQLite\n";
    return 1;
  }
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string& cmd = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "vigil-store " << VIGIL_VERSION << "\n";
    return 0;
  }
  if (cmd == "serve") return vigil::store::run_serve(rest, std::cout, std::cerr);
  if (cmd == "token" || cmd == "host") {
    return vigil::store::run_admin(args, std::cout, std::cerr);
  }
  std::cerr << "vigil-store: unknown command '" << cmd << "'\n" << kUsage;
  return 2;
}
