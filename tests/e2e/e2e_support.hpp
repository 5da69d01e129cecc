// Helpers of the end-to-end tests: run the built `vigil` binary on a fixture
// host copied to a temporary directory, and read its JSON report.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace vigil::e2e {

struct Scan {
  int exit_code = -1;
  boost::json::value report;
  std::string err;
  std::map<std::string, boost::json::object> by_check;

  std::string verdict(const std::string& id) const;
  std::string message(const std::string& id) const;
  const boost::json::array& rows(const std::string& id) const;
};

// What a run of the vigil binary printed and its exit code.
struct Run {
  int exit_code = -1;
  std::string out, err;
};
// Runs vigil with args (a minute at most, 64 MiB of output).
Run run_vigil_process(const std::vector<std::string>& args);

// Runs vigil with args; the output must be a JSON report.
Scan run_vigil(const std::vector<std::string>& args);
// vigil scan --root ROOT --format json, then extra.
Scan scan_root(const std::string& root, std::vector<std::string> extra = {});

// A copy of a fixture host with the modes a real Debian install has.
void copy_fixture(const std::string& name, const test::TempDir& dir);
// Sets the modification time of every downloaded APT list to age ago.
void set_lists_age(const test::TempDir& dir, std::chrono::seconds age);
// Today in days since 1970-01-01, as /etc/shadow counts.
std::int64_t shadow_today();
std::string read_text(const std::string& path);
// Rewrites the Date and Valid-Until of a Release file to age ago and a week after.
void refresh_release(const test::TempDir& dir, const std::string& rel, std::chrono::seconds age);
// Replaces the first `from` in a file of dir with `to` and sets its mode.
void edit_file(const test::TempDir& dir, const std::string& rel, const std::string& from,
               const std::string& to, unsigned mode);
// A copy of debian12-hardened as it is on the day of the test: package lists
// a day old, the admin's password changed ten days ago, ClamAV's daily
// database built yesterday, /var/log with the modes the host keeps, /run.
void prepare_hardened(const test::TempDir& dir);
// Rewrites the build time (the header's last field) of a ClamAV database.
void set_clamav_build_time(const test::TempDir& dir, const std::string& rel, std::chrono::seconds age);

// The first row whose key is the string value, or nullptr.
const boost::json::object* row_where(const boost::json::array& rows, const char* key, const char* value);

inline constexpr std::chrono::hours kDays{24};
extern const bool kRoot;  // the tests run as root (file owners can be set)

}  // namespace vigil::e2e
