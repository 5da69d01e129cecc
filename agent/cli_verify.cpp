// The `vigil verify` command (see cli_verify.hpp, agent/verify.hpp).
#include "cli_verify.hpp"

#include <optional>
#include <ostream>

#include "cli.hpp"
#include "file_io.hpp"
#include "report.hpp"
#include "strings.hpp"
#include "verify.hpp"

namespace vigil::agent {

namespace {

int verify_usage(std::ostream& err, const std::string& msg) {
  err << "vigil: " << terminal_safe(msg, true) << "\nTry 'vigil verify --help'.\n";
  return kExitUsage;
}

}  // namespace

int cmd_verify(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  std::optional<std::string> key_path;
  std::string format = "text";
  std::vector<std::string> positional;
  for (std::size_t i = 2; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-h" || a == "--help") {
      out << kVerifyHelp;
      return kExitOk;
    }
    std::string name = a, value;
    bool inline_value = false;
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
        inline_value = true;
      }
      if (name != "--key" && name != "--format") return verify_usage(err, "unknown option " + name);
      if (!inline_value) {
        if (i + 1 >= argv.size()) return verify_usage(err, "option " + name + " needs a value");
        value = argv[++i];
      }
      if (name == "--key") {
        key_path = value;
      } else {
        format = value;
      }
    } else if (a == "--") {
      positional.insert(positional.end(), argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
      break;
    } else if (a.size() > 1 && a[0] == '-') {
      return verify_usage(err, "unknown option " + a);
    } else {
      positional.push_back(a);
    }
  }
  if (format != "text" && format != "json")
    return verify_usage(err, "--format must be text or json, not '" + format + "'");
  if (positional.size() != 1) return verify_usage(err, "verify takes exactly one bundle file");
  VerifyOptions opts;
  if (key_path) {
    auto key = crypto::load_public_key(*key_path);
    if (!key) {
      err << "vigil: --key: " << terminal_safe(key.error().message, true) << "\n";
      return kExitUsage;
    }
    opts.pinned_key = std::move(*key);
  }
  auto text = read_file(positional[0], ReadOptions{kMaxBundleBytes, true});
  if (!text) {
    err << "vigil: " << terminal_safe(text.error().message, true) << "\n";
    return kExitUsage;
  }
  const VerifyReport report = verify_bundle(*text, opts);
  if (format == "json") {
    out << pretty_json(verify_report_json(report, positional[0]));
  } else if (report.ok()) {
    out << verify_report_text(report, positional[0]);
  } else {
    err << verify_report_text(report, positional[0]);
  }
  return report.ok() ? kExitOk : kExitFailed;
}

}  // namespace vigil::agent
