// bench/store_bench_support.hpp.
#include "store_bench_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "file_io.hpp"
#include "runner.hpp"
#include "strings.hpp"

namespace vigil::bench {

namespace {

// /proc files report size 0, so read them with a cap of our own.
std::string read_capped(const std::string& path, std::size_t cap = 64 * 1024) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return out;
  char buf[4096];
  while (out.size() < cap) {
    const std::size_t n = std::fread(buf, 1, std::min(sizeof buf, cap - out.size()), f);
    if (n == 0) break;
    out.append(buf, n);
  }
  std::fclose(f);
  return out;
}

Status openssl(const std::vector<std::string>& args) {
  collectors::RunOptions opts;
  opts.timeout = std::chrono::milliseconds(60000);
  auto r = collectors::run_program("/usr/bin/openssl", args, opts);
  if (!r) return r.error();
  if (r->exit_code != 0)
    return make_error(Errc::io, "openssl " + args[0] + " exited " + std::to_string(r->exit_code) + ": " + r->err);
  return {};
}

}  // namespace

Result<TempDir> TempDir::create(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return make_error(Errc::io, "mkdtemp " + templ + " failed");
  return TempDir(std::string(buf.data()));
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Status write_text(const std::string& path, const std::string& text) {
  return write_file_atomic(path, text, 0600);
}

Result<Pki> make_pki(const std::string& dir) {
  Pki p;
  p.ca_cert = dir + "/ca.pem";
  const std::string ca_key = dir + "/ca.key", csr = dir + "/server.csr", ext = dir + "/server.ext";
  p.server_cert = dir + "/server.pem";
  p.server_key = dir + "/server.key";
  if (auto s = openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", ca_key, "-out", p.ca_cert, "-days", "1", "-subj", "/CN=Vigil Bench CA",
                        "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                        "keyUsage=critical,keyCertSign,cRLSign"});
      !s)
    return s.error();
  if (auto s = write_text(ext,
                          "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
                          "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
      !s)
    return s.error();
  if (auto s = openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", p.server_key, "-out", csr, "-subj", "/CN=vigil-store"});
      !s)
    return s.error();
  if (auto s = openssl({"x509", "-req", "-in", csr, "-CA", p.ca_cert, "-CAkey", ca_key, "-CAcreateserial",
                        "-out", p.server_cert, "-days", "1", "-extfile", ext});
      !s)
    return s.error();
  return p;
}

Result<StoreProcess> StoreProcess::start(const std::string& binary, const std::string& config,
                                         const std::string& dir) {
  const std::string port_file = dir + "/port", log = dir + "/store.log";
  std::vector<std::string> argv{binary, "serve", "--config", config, "--port-file", port_file};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::string lc = "LC_ALL=C";
  char* envp[] = {lc.data(), nullptr};

  posix_spawn_file_actions_t fa;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), envp);
  ::posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return make_error(Errc::io, "cannot start " + binary + ": " + std::to_string(rc));
  StoreProcess p(pid, log);

  // The server writes the port file (atomically) once it has bound.
  for (int i = 0; i < 300; ++i) {
    auto text = read_file(port_file, ReadOptions{64, true});
    if (text && !text->empty()) {
      const long port = std::strtol(text->c_str(), nullptr, 10);
      if (port <= 0 || port > 65535) return make_error(Errc::parse, port_file + ": not a port: " + *text);
      p.port_ = static_cast<std::uint16_t>(port);
      return p;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      p.pid_ = -1;
      return make_error(Errc::io, binary + " serve exited before it listened: " + p.log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return make_error(Errc::timeout, binary + " serve wrote no port file in 30 s: " + p.log_tail());
}

StoreProcess::~StoreProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

Result<ProcStats> StoreProcess::stats() const {
  const std::string base = "/proc/" + std::to_string(pid_);
  const std::string stat = read_capped(base + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return make_error(Errc::parse, base + "/stat: no ')'");
  std::istringstream in(stat.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  // Fields from 3 (state) on: utime is field 14, stime 15.
  if (fields.size() < 13) return make_error(Errc::parse, base + "/stat: too few fields");
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  ProcStats s;
  s.cpu_seconds = (std::strtod(fields[11].c_str(), nullptr) + std::strtod(fields[12].c_str(), nullptr)) / tick;
  const std::string status = read_capped(base + "/status");  // outlives the views
  for (auto line : split_lines(status)) {
    if (line.rfind("VmHWM:", 0) == 0) s.peak_rss_kib = std::strtoll(std::string(line.substr(6)).c_str(), nullptr, 10);
  }
  return s;
}

Result<int> StoreProcess::stop() {
  if (pid_ <= 0) return make_error(Errc::invalid, "the store is not running");
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 300; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return make_error(Errc::timeout, "the store did not exit within 30 s of SIGTERM");
}

std::string StoreProcess::log_tail() const {
  std::string text = read_capped(log_, 1u << 20);
  if (text.size() > 2000) text = "..." + text.substr(text.size() - 2000);
  return text;
}

Machine describe_machine() {
  Machine m;
  m.cores = std::thread::hardware_concurrency();
  const std::string cpuinfo = read_capped("/proc/cpuinfo", 1u << 20);  // outlives the views
  for (auto line : split_lines(cpuinfo)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) m.cpu_model = std::string(trim(line.substr(colon + 1)));
      break;
    }
  }
  std::istringstream la(read_capped("/proc/loadavg"));
  std::string a, b, c;
  la >> a >> b >> c;
  m.load_average = a + " " + b + " " + c;
  struct utsname u {};
  if (::uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release;
  return m;
}

std::optional<OpensslSpeed> parse_openssl_speed_line(const std::string& line) {
  if (line.find("(Ed25519)") == std::string::npos) return std::nullopt;
  std::istringstream in(line);
  std::vector<double> numbers;
  for (std::string tok; in >> tok;) {
    char* end = nullptr;
    const double v = std::strtod(tok.c_str(), &end);
    // The per-operation times end in 's'; the rates are bare numbers.
    if (end != tok.c_str() && *end == '\0' && std::isfinite(v)) numbers.push_back(v);
  }
  // "253 bits EdDSA (Ed25519) 0.0000s 0.0001s 26973.0 9689.0": 253, then the two rates.
  if (numbers.size() < 3) return std::nullopt;
  OpensslSpeed s;
  s.sign_per_s = numbers[numbers.size() - 2];
  s.verify_per_s = numbers.back();
  s.line = std::string(trim(line));
  if (s.sign_per_s <= 0 || s.verify_per_s <= 0) return std::nullopt;
  return s;
}

Result<OpensslSpeed> openssl_speed_ed25519(int seconds) {
  collectors::RunOptions opts;
  opts.timeout = std::chrono::milliseconds(60000 + 4000 * seconds);
  auto r = collectors::run_program("/usr/bin/openssl", {"speed", "-seconds", std::to_string(seconds), "ed25519"},
                                   opts);
  if (!r) return r.error();
  if (r->exit_code != 0)
    return make_error(Errc::io, "openssl speed exited " + std::to_string(r->exit_code) + ": " + r->err);
  for (auto line : split_lines(r->out)) {
    if (auto s = parse_openssl_speed_line(std::string(line))) return *s;
  }
  return make_error(Errc::parse, "openssl speed printed no Ed25519 line:\n" + r->out);
}

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  const auto i = static_cast<std::size_t>(std::max(1.0, rank)) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace vigil::bench
