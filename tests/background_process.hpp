// A child process for integration tests that runs beside the test (a TLS
// server, vigil-store, a `vigil ship` to interrupt): started with
// posix_spawn (no shell), stdin a pipe held open, stdout and stderr to
// /dev/null or to files; SIGTERM and reaped in the destructor unless it was
// waited for.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace vigil::test {

struct BackgroundOutput {
  // Files stdout and stderr are written to (created or truncated); "" is /dev/null.
  std::string stdout_file, stderr_file;
};

class BackgroundProcess {
 public:
  // argv[0] is an absolute path. Fails the test (REQUIRE) when it cannot spawn.
  explicit BackgroundProcess(const std::vector<std::string>& argv, const BackgroundOutput& output = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // True while the child has not exited (reaps it when it has).
  bool running();
  // Polls until 127.0.0.1:port accepts a connection (true), the child exits
  // or about five seconds pass (false).
  bool wait_for_port(int port);

  pid_t pid() const { return pid_; }
  // Sends sig (SIGTERM, SIGKILL, ...) unless the child was reaped already.
  void signal(int sig);
  // Waits (polling, at most about timeout) for the child to exit and reaps
  // it: its exit code, 128 + N when signal N ended it, -1 on timeout (the
  // child still runs; the destructor ends it).
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  bool reaped_ = false;
  int exit_status_ = -1;  // as wait_exit returns it, once reaped
};

// A port that was free a moment ago (bound to port 0 and closed).
int free_loopback_port();

}  // namespace vigil::test
