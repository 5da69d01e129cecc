// The `vigil verify` command (see cli_verify.hpp, agent/verify.hpp).
#include "cli_verify.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <ostream>

#include "cli.hpp"
#include "cli_args.hpp"
#include "file_io.hpp"
#include "report.hpp"
#include "strings.hpp"
#include "verify.hpp"

namespace vigil::agent {

namespace {

int verify_usage(std::ostream& err, const std::string& msg) {
  return cli_usage_error(err, msg, "verify ");
}

// A bundle set (vigil-store's export of several hosts): every bundle verified
// on its own with its own keys; the command succeeds when all do.
int verify_set(const std::vector<std::string>& bundles, const std::string& name, bool json_out,
               std::ostream& out, std::ostream& err) {
  bool all_ok = true;
  boost::json::array reports;
  for (std::size_t i = 0; i < bundles.size(); ++i) {
    const std::string label = name + " bundle #" + std::to_string(i + 1);
    const VerifyReport report = verify_bundle(bundles[i]);
    all_ok = all_ok && report.ok();
    if (json_out)
      reports.push_back(verify_report_json(report, label));
    else
      (report.ok() ? out : err) << verify_report_text(report, label);
  }
  if (json_out)
    out << pretty_json(boost::json::object{
        {"schema", "vigil.verify-set-result.v1"}, {"ok", all_ok}, {"bundles", std::move(reports)}});
  else if (bundles.empty())
    out << name << ": a bundle set with no bundles\n";
  return all_ok ? kExitOk : kExitFailed;
}

}  // namespace

Result<BundleInput> read_bundle_input(const std::optional<std::string>& key_path,
                                      const std::string& bundle_path) {
  BundleInput in;
  if (key_path) {
    auto key = crypto::load_public_key(*key_path);
    if (!key) return make_error(key.error().code, "--key: " + key.error().message);
    in.pinned_key = std::move(*key);
  }
  auto text = read_file(bundle_path, ReadOptions{kMaxBundleBytes, true});
  if (!text) return std::move(text).error();
  in.text = std::move(*text);
  return in;
}

int cmd_verify(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parse_cli_args(argv, 2, {"key", "format"});
  if (!args) return verify_usage(err, args.error().message);
  if (args->help) {
    out << kVerifyHelp;
    return kExitOk;
  }
  const std::optional<std::string> key_path = args->get("key");
  const std::string format = args->get("format").value_or("text");
  const std::vector<std::string>& positional = args->positional;
  if (format != "text" && format != "json")
    return verify_usage(err, "--format must be text or json, not '" + format + "'");
  if (positional.size() != 1) return verify_usage(err, "verify takes exactly one bundle file");
  auto input = read_bundle_input(key_path, positional[0]);
  if (!input) {
    err << "vigil: " << terminal_safe(input.error().message, true) << "\n";
    return kExitUsage;
  }
  auto set = split_bundle_set(input->text);
  if (!set) {
    err << "vigil: " << positional[0] << ": " << terminal_safe(set.error().message, true) << "\n";
    return kExitFailed;
  }
  if (*set) {
    if (input->pinned_key)
      return verify_usage(err,
                          "--key names one host's key; a bundle set holds one bundle per host, each with "
                          "its own key (verify them one by one to pin keys)");
    return verify_set(**set, positional[0], format == "json", out, err);
  }
  VerifyOptions opts;
  opts.pinned_key = std::move(input->pinned_key);
  const VerifyReport report = verify_bundle(input->text, opts);
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
