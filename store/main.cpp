// vigil-store: the evidence store's command line. All logic lives in the
// vigil_store library; `token` and `host` are the admin commands
// (store/cli_admin.hpp), the rest is here.
#include <iostream>
#include <string>
#include <vector>

#include "cli_serve.hpp"

#include "cli_admin.hpp"

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
