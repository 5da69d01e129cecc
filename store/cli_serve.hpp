// `vigil-store serve`: load the configuration, open the store API, serve
// HTTPS until SIGTERM or SIGINT (docs/cli.md).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace vigil::store {

// args are what follows "serve". Exit codes: 0 after a clean stop, 1 when
// the server cannot start (config, TLS files, bind, database), 2 for usage.
int run_serve(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace vigil::store
