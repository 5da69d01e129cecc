// What vigil_store_bench needs around the store it drives: a temporary
// directory, certificates made with /usr/bin/openssl, the `vigil-store
// serve` child process (its port, CPU time and peak RSS from /proc), facts
// about the machine, and `openssl speed ed25519` as the reference rate.
// No shell anywhere: programs run through collectors::run_program or
// posix_spawn with a fixed argv.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "result.hpp"

namespace vigil::bench {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when this goes away.
class TempDir {
 public:
  static Result<TempDir> create(const std::string& prefix);
  TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const noexcept { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

Status write_text(const std::string& path, const std::string& text);

struct Pki {
  std::string ca_cert;
  std::string server_cert, server_key;  // SAN IP:127.0.0.1, DNS:localhost
};
// A CA and a server certificate from it in dir (EC P-256, 1 day).
Result<Pki> make_pki(const std::string& dir);

struct ProcStats {
  double cpu_seconds = 0;  // user + system, of the whole process
  std::int64_t peak_rss_kib = 0;  // VmHWM
};

// `vigil-store serve --config CONFIG --port-file DIR/port` with stdout and
// stderr to DIR/store.log; killed (SIGKILL) and reaped if still running
// when this goes away.
class StoreProcess {
 public:
  static Result<StoreProcess> start(const std::string& binary, const std::string& config,
                                    const std::string& dir);
  StoreProcess(StoreProcess&& o) noexcept : pid_(o.pid_), port_(o.port_), log_(std::move(o.log_)) { o.pid_ = -1; }
  StoreProcess& operator=(StoreProcess&&) = delete;
  StoreProcess(const StoreProcess&) = delete;
  ~StoreProcess();

  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }
  Result<ProcStats> stats() const;
  // SIGTERM and wait (at most about 30 s); the exit status, Errc::timeout
  // when it did not exit (it is then killed).
  Result<int> stop();
  // The last lines of its log, for error messages.
  std::string log_tail() const;

 private:
  StoreProcess(pid_t pid, std::string log) : pid_(pid), log_(std::move(log)) {}
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_;
};

struct Machine {
  unsigned cores = 0;
  std::string cpu_model;
  std::string load_average;  // the three figures of /proc/loadavg
  std::string kernel;
};
Machine describe_machine();

struct OpensslSpeed {
  double sign_per_s = 0, verify_per_s = 0;
  std::string line;  // as printed
};
// Runs `/usr/bin/openssl speed -seconds SECONDS ed25519` and reads its
// Ed25519 line; Errc::parse when there is none.
Result<OpensslSpeed> openssl_speed_ed25519(int seconds);
// The last two numbers of a `openssl speed` result line for Ed25519 (public
// for the parse's own sake; nullopt when the line is not one).
std::optional<OpensslSpeed> parse_openssl_speed_line(const std::string& line);

// The q-quantile (0..1) of sorted values, nearest rank.
double quantile(const std::vector<double>& sorted, double q);

}  // namespace vigil::bench
