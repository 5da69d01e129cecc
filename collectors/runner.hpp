// The one audited way to run a program, for the rare fact no file holds.
//
// No shell: an absolute program path and a fixed argv, run with posix_spawn,
// an empty environment (plus LC_ALL=C), stdin from /dev/null, a deadline after
// which the child is killed (SIGKILL, then reaped), and stdout/stderr capped:
// output past the cap is drained and discarded, and the result says so.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "result.hpp"

namespace vigil::collectors {

struct RunOptions {
  std::chrono::milliseconds timeout{5000};
  std::size_t max_output = 1024u * 1024u;  // per stream
};

struct RunResult {
  int exit_code = -1;  // exit status when the program exited normally
  int signal = 0;      // terminating signal, 0 if it exited
  std::string out;     // stdout, at most max_output bytes
  std::string err;     // stderr, at most max_output bytes
  bool out_truncated = false;
  bool err_truncated = false;
};

// Errc::invalid for a relative path or empty argv, Errc::not_found when the
// program does not exist, Errc::timeout when the deadline passed (the child
// was killed), Errc::io when it could not be started.
Result<RunResult> run_program(const std::string& path, const std::vector<std::string>& args,
                              const RunOptions& opts = {});

}  // namespace vigil::collectors
