// A child process for integration tests that runs beside the test (a TLS
// server): started with posix_spawn (no shell), stdin a pipe held open,
// stdout and stderr to /dev/null; SIGTERM and reaped in the destructor.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace vigil::test {

class BackgroundProcess {
 public:
  // argv[0] is an absolute path. Fails the test (REQUIRE) when it cannot spawn.
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // True while the child has not exited (reaps it when it has).
  bool running();
  // Polls until 127.0.0.1:port accepts a connection (true), the child exits
  // or about five seconds pass (false).
  bool wait_for_port(int port);

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  bool reaped_ = false;
};

// A port that was free a moment ago (bound to port 0 and closed).
int free_loopback_port();

}  // namespace vigil::test
