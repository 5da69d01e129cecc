// run_admin with the real configuration loader. A file of its own so that
// programs and tests that pass their own loader do not need store/config.cpp.
#include "cli_admin.hpp"

namespace vigil::store {

int run_admin(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return run_admin(args, out, err, [](const std::string& path) { return load_store_config(path); });
}

}  // namespace vigil::store
