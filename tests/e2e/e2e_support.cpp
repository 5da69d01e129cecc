// Helpers of the end-to-end tests (e2e_support.hpp).
#include "e2e_support.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runner.hpp"

namespace vigil::e2e {

namespace fs = std::filesystem;
namespace json = boost::json;
using collectors::run_program;
using collectors::RunOptions;
using test::fixture_host;
using test::TempDir;
using namespace std::chrono_literals;

std::string Scan::verdict(const std::string& id) const {
  auto it = by_check.find(id);
  if (it == by_check.end()) return "<missing>";
  return std::string(it->second.at("verdict").as_string());
}

std::string Scan::message(const std::string& id) const {
  auto it = by_check.find(id);
  if (it == by_check.end()) return "<missing>";
  return std::string(it->second.at("message").as_string());
}

const json::array& Scan::rows(const std::string& id) const {
  return by_check.at(id).at("evidence").at("rows").as_array();
}

Run run_vigil_process(const std::vector<std::string>& args) {
  RunOptions opts;
  opts.timeout = std::chrono::milliseconds(60000);
  opts.max_output = 64u * 1024u * 1024u;
  auto r = run_program(VIGIL_BINARY, args, opts);
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return {r->exit_code, std::move(r->out), std::move(r->err)};
}

Scan run_vigil(const std::vector<std::string>& args) {
  Run r = run_vigil_process(args);
  Scan s;
  s.exit_code = r.exit_code;
  s.err = r.err;
  json::error_code ec;
  s.report = json::parse(r.out, ec);
  INFO("stdout: " << r.out.substr(0, 2000) << "\nstderr: " << r.err);
  REQUIRE_FALSE(ec);  // the output is always valid JSON
  for (const auto& res : s.report.at("results").as_array()) {
    s.by_check[std::string(res.at("check").as_string())] = res.as_object();
  }
  return s;
}

Scan scan_root(const std::string& root, std::vector<std::string> extra) {
  std::vector<std::string> args{"scan", "--root", root, "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_vigil(args);
}

// A copy of a fixture host with the modes a real Debian install has.
void copy_fixture(const std::string& name, const TempDir& dir) {
  fs::copy(fixture_host(name), dir.path(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  for (const char* f : {"/etc/passwd", "/etc/group"}) ::chmod((dir.path() + f).c_str(), 0644);
  for (const char* f : {"/etc/shadow", "/etc/gshadow"}) ::chmod((dir.path() + f).c_str(), 0640);
  auto chmod_all = [&](const std::string& rel_dir, std::string_view prefix, unsigned mode) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir.path() + rel_dir, ec)) {
      if (e.path().filename().string().rfind(prefix, 0) == 0) ::chmod(e.path().c_str(), mode);
    }
  };
  chmod_all("/etc/ssh", "ssh_host_", 0600);
  chmod_all("/etc/sudoers.d", "", 0440);
  ::chmod((dir.path() + "/etc/sudoers").c_str(), 0440);
  // The checkout's umask must not decide the cron and sudoers.d verdicts.
  for (const char* d : {"/etc/sudoers.d", "/etc/cron.d", "/etc/cron.daily"})
    ::chmod((dir.path() + d).c_str(), 0755);
  ::chmod((dir.path() + "/etc/crontab").c_str(), 0644);
  chmod_all("/etc/cron.d", "", 0644);
  chmod_all("/etc/cron.daily", "", 0755);
}

// Sets the modification time of every downloaded APT list: apt_lists reports
// it as the time of the last update, and git does not keep it.
void set_lists_age(const TempDir& dir, std::chrono::seconds age) {
  const auto when = std::chrono::system_clock::now() - age;
  const timespec ts{static_cast<time_t>(std::chrono::system_clock::to_time_t(when)), 0};
  const timespec times[2] = {ts, ts};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir.path() + "/var/lib/apt/lists", ec)) {
    REQUIRE(::utimensat(AT_FDCWD, e.path().c_str(), times, 0) == 0);
  }
  REQUIRE(::utimensat(AT_FDCWD, (dir.path() + "/var/lib/apt/lists").c_str(), times, 0) == 0);
}

// Today in days since 1970-01-01, as /etc/shadow counts.
std::int64_t shadow_today() {
  return std::chrono::duration_cast<std::chrono::hours>(std::chrono::system_clock::now().time_since_epoch())
             .count() /
         24;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Rewrites the Date and Valid-Until of a Release file to age ago and a week after
// (a repository re-signs its Release at least that often).
void refresh_release(const TempDir& dir, const std::string& rel, std::chrono::seconds age) {
  const auto rfc1123 = [](std::chrono::system_clock::time_point t) {
    const time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S UTC", &tm);
    return std::string(buf);
  };
  const auto signed_at = std::chrono::system_clock::now() - age;
  std::istringstream in(read_text(dir.path() + rel));
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind("Date: ", 0) == 0) line = "Date: " + rfc1123(signed_at);
    if (line.rfind("Valid-Until: ", 0) == 0) line = "Valid-Until: " + rfc1123(signed_at + 7 * 24h);
    out += line + "\n";
  }
  dir.write(rel, out);
}

void edit_file(const TempDir& dir, const std::string& rel, const std::string& from, const std::string& to,
               unsigned mode) {
  std::string text = read_text(dir.path() + rel);
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  dir.write(rel, text, mode);
}

const json::object* row_where(const json::array& rows, const char* key, const char* value) {
  for (const auto& r : rows) {
    const auto& o = r.as_object();
    if (o.contains(key) && o.at(key).is_string() && o.at(key).as_string() == value) return &o;
  }
  return nullptr;
}

extern const bool kRoot = ::geteuid() == 0;

void set_clamav_build_time(const TempDir& dir, const std::string& rel, std::chrono::seconds age) {
  std::string db = read_text(dir.path() + rel);
  // "ClamAV-VDB:time:version:sigs:flevel:md5:dsig:builder:epoch", space-padded to 512 bytes.
  const auto colon = db.rfind(':', 511);
  REQUIRE(colon != std::string::npos);
  const auto header_end = db.find(' ', colon);
  REQUIRE(header_end != std::string::npos);
  const auto when = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - age);
  const std::string epoch = std::to_string(static_cast<long long>(when));
  REQUIRE(epoch.size() == header_end - colon - 1);  // same width: the header keeps its length
  db.replace(colon + 1, epoch.size(), epoch);
  dir.write(rel, db);
}

void prepare_hardened(const TempDir& dir) {
  copy_fixture("debian12-hardened", dir);
  refresh_release(dir,
                  "/var/lib/apt/lists/security.debian.org_debian-security_dists_bookworm-security_InRelease",
                  1 * kDays);
  set_lists_age(dir, 1 * kDays);
  dir.mkdir("/run");  // a running system has /run; no reboot-required file in it
  // The administrator changed the password ten days ago (aging is relative to today).
  edit_file(dir, "/etc/shadow", "0m5A:19700:0:99999:7:::",
            "0m5A:" + std::to_string(shadow_today() - 10) + ":1:365:14:30::", 0640);
  set_clamav_build_time(dir, "/var/lib/clamav/daily.cld", 1 * kDays);
  // Log files 0640 and directories 0750 (the journal's 2755), wtmp 0664 as Debian makes it.
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir.path() + "/var/log", ec)) {
    ::chmod(e.path().c_str(), e.is_directory() ? 0750 : 0640);
  }
  ::chmod((dir.path() + "/var/log/journal").c_str(), 02755);
  ::chmod((dir.path() + "/var/log/wtmp").c_str(), 0664);
}

}  // namespace vigil::e2e
