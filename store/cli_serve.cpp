// store/cli_serve.hpp.
#include "cli_serve.hpp"

#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <optional>

#include "api.hpp"
#include "file_io.hpp"
#include "log.hpp"
#include "server.hpp"


namespace vigil::store {
namespace {

constexpr const char* kServeUsage =
    "usage: vigil-store serve [--config FILE] [--port-file FILE]\n"
    "  --config FILE     the configuration (default /etc/vigil/store.yaml)\n"
    "  --port-file FILE  after binding, write the port there (for listen: ...:0)\n";

}  // namespace

int run_serve(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string config_path = kDefaultConfigPath;
  std::string port_file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--help" || a == "-h") {
      out << kServeUsage;
      return 0;
    }
    std::optional<std::string> value;  // --opt=VALUE, as vigil's options take it
    if (const auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a.resize(eq);
    }
    if (a == "--config" || a == "--port-file") {
      if (!value && i + 1 < args.size()) value = args[++i];
      if (!value || value->empty()) {
        err << "vigil-store serve: " << a << " needs a value\n" << kServeUsage;
        return 2;
      }
      (a == "--config" ? config_path : port_file) = *value;
      continue;
    }
    err << "vigil-store serve: unknown argument '" << args[i] << "'\n" << kServeUsage;
    return 2;
  }

  auto config = load_store_config(config_path);
  if (!config) {
    err << "vigil-store serve: " << config.error().message << "\n";
    return 1;
  }
  log::Options lo;
  lo.program = "vigil-store";
  lo.min_level = config->log_level;
  log::init(lo);

  auto api = Api::open(*config);
  if (!api) {
    err << "vigil-store serve: " << api.error().message << "\n";
    return 1;
  }
  // Called from limits.threads pool threads at once: Api::handle must be
  // safe to call concurrently.
  Handler handler = [a = api->get()](const Request& r) { return a->handle(r); };

  auto server = Server::create(*config, std::move(handler));
  if (!server) {
    err << "vigil-store serve: " << server.error().message << "\n";
    return 1;
  }
  Server& s = **server;
  if (!port_file.empty()) {
    if (Status st = write_file_atomic(port_file, std::to_string(s.port()) + "\n", 0644); !st.ok()) {
      err << "vigil-store serve: --port-file: " << st.error().message << "\n";
      return 1;
    }
  }

  boost::asio::signal_set signals(s.io_context(), SIGINT, SIGTERM);
  signals.async_wait([&s](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::write(log::Level::info, "stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    s.stop();
  });
  log::write(log::Level::info, "listening",
             {{"address", config->listen_address},
              {"port", std::to_string(s.port())},
              {"threads", std::to_string(config->limits.threads)},
              {"config", config_path}});
  s.run();
  log::write(log::Level::info, "stopped");
  return 0;
}

}  // namespace vigil::store
