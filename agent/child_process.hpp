// Child processes of the daemon's loop (docs/architecture.md, "The daemon"):
// `vigil job` runs each scan, drain and validation in a process of its own,
// so the long-running loop never maps the collectors, SQLite or OpenSSL.
//
// A child is started with posix_spawn (no shell, no PATH search), gets its
// request on stdin, answers on stdout and inherits stderr (its log lines go
// where the daemon's go). The loop reads the answer without blocking and
// reaps the child when its stdout closes, with its resource usage.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace vigil::agent {

struct ChildOutcome {
  std::string output;             // stdout, up to the cap
  bool output_truncated = false;  // the child wrote more: it was killed
  bool exited = false;            // exit_code is valid
  int exit_code = -1;
  int signal = 0;  // the signal that ended it (exited false)
  double cpu_ms = 0;
  long max_rss_kb = 0;
  bool timed_out = false;  // run(): killed at its timeout
  // "exit status 3", "killed by signal 9 (Killed)".
  std::string describe() const;
};

class ChildProcess : public std::enable_shared_from_this<ChildProcess> {
 public:
  using LineFn = std::function<void(std::string_view line)>;
  using DoneFn = std::function<void(ChildOutcome)>;

  // Starts program (an absolute path) with args. input is written to its
  // stdin, which is then closed; each complete line of its stdout is given
  // to on_line as it arrives; on_done runs on io's thread once stdout has
  // closed and the child is reaped. The child's environment is this one's
  // without NOTIFY_SOCKET and WATCHDOG_* (only the daemon talks to systemd).
  static Result<std::shared_ptr<ChildProcess>> start(boost::asio::io_context& io, const std::string& program,
                                                     const std::vector<std::string>& args, std::string input,
                                                     std::size_t output_cap, LineFn on_line, DoneFn on_done);

  // Runs a child to its end on a private io_context; after timeout it is
  // killed (SIGKILL) and the outcome says so.
  static Result<ChildOutcome> run(const std::string& program, const std::vector<std::string>& args,
                                  std::string input, std::size_t output_cap, std::chrono::milliseconds timeout);

  ChildProcess(boost::asio::io_context& io, pid_t pid, int stdin_fd, int stdout_fd, std::string input,
               std::size_t output_cap, LineFn on_line, DoneFn on_done);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool reaped() const noexcept { return reaped_; }
  // Sends signo unless the child has been reaped (its pid is ours until then).
  void signal(int signo) noexcept;

 private:
  void begin();
  void read_more();
  void finish();

  pid_t pid_;
  boost::asio::posix::stream_descriptor in_, out_;
  std::string input_;
  std::size_t cap_;
  LineFn on_line_;
  DoneFn on_done_;
  ChildOutcome outcome_;
  std::size_t scanned_ = 0;  // output_ up to here has been split into lines
  char buffer_[16384];
  bool reaped_ = false;
};

}  // namespace vigil::agent
