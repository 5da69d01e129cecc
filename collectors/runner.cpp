// The one audited program runner (see runner.hpp): posix_spawn without a
// shell, a fixed environment, capped output and a hard deadline.
#include "runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "unique_fd.hpp"

namespace vigil::collectors {

namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int err) {
  return std::strerror(err);
}

// posix_spawn's attribute and file-action objects own memory until destroyed.
class SpawnAttr {
 public:
  SpawnAttr() { ok_ = ::posix_spawnattr_init(&attr_) == 0; }
  ~SpawnAttr() {
    if (ok_) ::posix_spawnattr_destroy(&attr_);
  }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  bool ok() const noexcept { return ok_; }
  posix_spawnattr_t* get() noexcept { return &attr_; }

 private:
  posix_spawnattr_t attr_{};
  bool ok_ = false;
};

class SpawnActions {
 public:
  SpawnActions() { ok_ = ::posix_spawn_file_actions_init(&actions_) == 0; }
  ~SpawnActions() {
    if (ok_) ::posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  bool ok() const noexcept { return ok_; }
  posix_spawn_file_actions_t* get() noexcept { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
  bool ok_ = false;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> make_pipe() {
  std::array<int, 2> fds{-1, -1};
  // O_CLOEXEC on both ends: the child only gets the write end through
  // dup2 onto 1/2 (which clears the flag), never the originals.
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) return make_error(Errc::io, "pipe2: " + errno_text(errno));
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
  // Only our end is non-blocking; the child must see an ordinary blocking pipe.
  const int flags = ::fcntl(p.read.get(), F_GETFL);
  if (flags < 0 || ::fcntl(p.read.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return make_error(Errc::io, "fcntl: " + errno_text(errno));
  }
  return p;
}

// Appends what fits under the cap and drops the rest, so a chatty program can
// neither block on a full pipe nor make us hold unbounded output.
void keep_capped(std::string& sink, bool& truncated, const char* data, std::size_t n, std::size_t cap) {
  const std::size_t room = sink.size() < cap ? cap - sink.size() : 0;
  const std::size_t take = n < room ? n : room;
  sink.append(data, take);
  if (take < n) truncated = true;
}

int waitpid_retry(pid_t pid, int* status, int flags) {
  for (;;) {
    const pid_t r = ::waitpid(pid, status, flags);
    if (r >= 0 || errno != EINTR) return static_cast<int>(r);
  }
}

void sleep_ms(long ms) {
  struct timespec ts {};
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  // EINTR only shortens one nap of a polling loop; the loop re-checks the deadline.
  ::nanosleep(&ts, nullptr);
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 60000 ? 60000 : static_cast<int>(left);
}

// The child leads its own process group, so this also takes down anything it
// started; the child itself stays unreaped until here, so its pid (and group
// id) cannot have been reused.
void kill_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status = 0;
  (void)waitpid_retry(pid, &status, 0);
}

Result<pid_t> spawn(const std::string& path, const std::vector<std::string>& args, int out_fd, int err_fd) {
  SpawnActions actions;
  SpawnAttr attr;
  if (!actions.ok() || !attr.ok()) return make_error(Errc::io, path + ": cannot set up posix_spawn");

  int rc = ::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(actions.get(), out_fd, STDOUT_FILENO);
  if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(actions.get(), err_fd, STDERR_FILENO);

  // Ignored signals survive exec (the agent ignores SIGPIPE) and so does the
  // signal mask: give the program the defaults it expects.
  sigset_t defaults;
  sigset_t mask;
  ::sigfillset(&defaults);
  ::sigdelset(&defaults, SIGKILL);
  ::sigdelset(&defaults, SIGSTOP);
  ::sigemptyset(&mask);
  if (rc == 0) rc = ::posix_spawnattr_setsigdefault(attr.get(), &defaults);
  if (rc == 0) rc = ::posix_spawnattr_setsigmask(attr.get(), &mask);
  if (rc == 0) rc = ::posix_spawnattr_setpgroup(attr.get(), 0);
  if (rc == 0) {
    const short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP;
    rc = ::posix_spawnattr_setflags(attr.get(), flags);
  }
  if (rc != 0) return make_error(Errc::io, path + ": cannot set up posix_spawn: " + errno_text(rc));

  // posix_spawn wants char* const[]; these copies give writable storage
  // without casting away const from the caller's strings.
  std::vector<std::string> argv_store;
  argv_store.reserve(args.size() + 1);
  argv_store.push_back(path);
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_store.size() + 1);
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::string env_locale = "LC_ALL=C";
  std::string env_path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  std::array<char*, 3> envp{env_locale.data(), env_path.data(), nullptr};

  pid_t pid = -1;
  rc = ::posix_spawn(&pid, path.c_str(), actions.get(), attr.get(), argv.data(), envp.data());
  if (rc == ENOENT) return make_error(Errc::not_found, path + ": no such program");
  if (rc != 0) return make_error(Errc::io, path + ": cannot run: " + errno_text(rc));
  return pid;
}

}  // namespace

Result<RunResult> run_program(const std::string& path, const std::vector<std::string>& args,
                              const RunOptions& opts) {
  if (path.empty() || path.front() != '/') {
    return make_error(Errc::invalid, "program path must be absolute: '" + path + "'");
  }
  if (path.find('\0') != std::string::npos)
    return make_error(Errc::invalid, "program path contains a NUL byte");
  for (const auto& a : args) {
    if (a.find('\0') != std::string::npos)
      return make_error(Errc::invalid, path + ": argument contains a NUL byte");
  }

  // Clamped so that a "forever" timeout cannot overflow the clock arithmetic.
  const auto timeout = std::clamp(opts.timeout, std::chrono::milliseconds(0),
                                  std::chrono::milliseconds(std::chrono::hours(24)));
  const auto deadline = Clock::now() + timeout;
  auto out_pipe = make_pipe();
  if (!out_pipe) return std::move(out_pipe).error();
  auto err_pipe = make_pipe();
  if (!err_pipe) return std::move(err_pipe).error();

  auto pid = spawn(path, args, out_pipe->write.get(), err_pipe->write.get());
  if (!pid) return std::move(pid).error();
  // Our copies of the write ends must go, or the reads below never see EOF.
  out_pipe->write.reset();
  err_pipe->write.reset();

  RunResult result;
  std::array<char, 65536> buf{};
  struct Stream {
    UniqueFd* fd;
    std::string* sink;
    bool* truncated;
  };
  std::array<Stream, 2> streams{Stream{&out_pipe->read, &result.out, &result.out_truncated},
                                Stream{&err_pipe->read, &result.err, &result.err_truncated}};

  bool timed_out = false;
  for (;;) {
    std::array<struct pollfd, 2> pfds{};
    nfds_t n = 0;
    std::array<Stream*, 2> polled{};
    for (auto& s : streams) {
      if (!s.fd->valid()) continue;
      pfds[n] = pollfd{s.fd->get(), POLLIN, 0};
      polled[n] = &s;
      ++n;
    }
    if (n == 0) break;
    const int wait = remaining_ms(deadline);
    if (wait == 0) {
      timed_out = true;
      break;
    }
    const int ready = ::poll(pfds.data(), n, wait);
    if (ready < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      kill_and_reap(*pid);
      return make_error(Errc::io, path + ": poll: " + errno_text(err));
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (pfds[i].revents == 0) continue;
      Stream& s = *polled[i];
      const ssize_t got = ::read(s.fd->get(), buf.data(), buf.size());
      if (got > 0) {
        keep_capped(*s.sink, *s.truncated, buf.data(), static_cast<std::size_t>(got), opts.max_output);
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        s.fd->reset();  // EOF (or a broken pipe we cannot read further)
      }
    }
  }

  // Both streams are closed, but a program may close them and keep running:
  // wait for its exit under the same deadline.
  int status = 0;
  long nap = 1;
  while (!timed_out) {
    const int r = waitpid_retry(*pid, &status, WNOHANG);
    if (r == *pid) break;
    if (r < 0) return make_error(Errc::io, path + ": waitpid: " + errno_text(errno));
    const int left = remaining_ms(deadline);
    if (left == 0) {
      timed_out = true;
      break;
    }
    sleep_ms(nap < left ? nap : left);
    nap = nap < 50 ? nap * 2 : 50;
  }
  if (timed_out) {
    kill_and_reap(*pid);
    return make_error(Errc::timeout,
                      path + ": killed after the " + std::to_string(opts.timeout.count()) + " ms deadline");
  }

  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace vigil::collectors
