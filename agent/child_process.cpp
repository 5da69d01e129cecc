// agent/child_process.hpp: the daemon's `vigil job` children.
#include "child_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>

extern char** environ;

namespace vigil::agent {

namespace asio = boost::asio;

namespace {

bool inherited(const char* entry) {
  for (const char* name : {"NOTIFY_SOCKET=", "WATCHDOG_PID=", "WATCHDOG_USEC="})
    if (std::strncmp(entry, name, std::strlen(name)) == 0) return false;
  return true;
}

void close_pair(int fds[2]) {
  for (int i = 0; i < 2; ++i)
    if (fds[i] >= 0) ::close(fds[i]);
}

}  // namespace

std::string ChildOutcome::describe() const {
  if (exited) return "exit status " + std::to_string(exit_code);
  const char* name = ::strsignal(signal);
  return "killed by signal " + std::to_string(signal) + (name != nullptr ? std::string(" (") + name + ")" : "");
}

Result<std::shared_ptr<ChildProcess>> ChildProcess::start(asio::io_context& io, const std::string& program,
                                                          const std::vector<std::string>& args, std::string input,
                                                          std::size_t output_cap, LineFn on_line, DoneFn on_done) {
  if (program.empty() || program.front() != '/')
    return make_error(Errc::invalid, "child program '" + program + "' is not an absolute path");
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0) return make_error(Errc::io, std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    const int e = errno;
    close_pair(in);
    return make_error(Errc::io, std::string("pipe: ") + std::strerror(e));
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  // dup2 onto 0 and 1 clears close-on-exec there; every other descriptor of
  // the daemon is close-on-exec and stays behind.
  ::posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  // The daemon ignores SIGPIPE (a child that died before reading its
  // request); an ignored signal would survive exec, so the child gets the
  // default back, and an empty signal mask.
  sigset_t defaults, mask;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&mask);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);
  ::posix_spawnattr_setsigmask(&attr, &mask);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> argv_text;
  argv_text.push_back(program);
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (inherited(*e)) envp.push_back(*e);
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    return make_error(Errc::io, "cannot start " + program + ": " + std::strerror(rc));
  }
  auto child = std::make_shared<ChildProcess>(io, pid, in[1], out[0], std::move(input), output_cap,
                                              std::move(on_line), std::move(on_done));
  child->begin();
  return child;
}

ChildProcess::ChildProcess(asio::io_context& io, pid_t pid, int stdin_fd, int stdout_fd, std::string input,
                           std::size_t output_cap, LineFn on_line, DoneFn on_done)
    : pid_(pid),
      in_(io, stdin_fd),
      out_(io, stdout_fd),
      input_(std::move(input)),
      cap_(output_cap),
      on_line_(std::move(on_line)),
      on_done_(std::move(on_done)) {}

ChildProcess::~ChildProcess() {
  // Destroyed unreaped only when the daemon leaves without waiting: the
  // child is not left running on its own.
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void ChildProcess::signal(int signo) noexcept {
  if (!reaped_) ::kill(pid_, signo);
}

void ChildProcess::begin() {
  auto self = shared_from_this();
  asio::async_write(in_, asio::buffer(input_), [self](const boost::system::error_code&, std::size_t) {
    // A child that exits without reading all of it (EPIPE) says why on
    // stdout or by its exit status; either way its stdin is done.
    boost::system::error_code ignored;
    self->in_.close(ignored);
    std::string().swap(self->input_);
  });
  read_more();
}

void ChildProcess::read_more() {
  auto self = shared_from_this();
  out_.async_read_some(asio::buffer(buffer_), [self](const boost::system::error_code& ec, std::size_t n) {
    if (n > 0) {
      std::string& text = self->outcome_.output;
      const std::size_t room = self->cap_ > text.size() ? self->cap_ - text.size() : 0;
      text.append(self->buffer_, std::min(n, room));
      if (n > room) {
        // More than any answer can be: the child is not what it should be.
        self->outcome_.output_truncated = true;
        ::kill(self->pid_, SIGKILL);
      }
      for (std::size_t nl; (nl = text.find('\n', self->scanned_)) != std::string::npos;) {
        if (self->on_line_) self->on_line_(std::string_view(text).substr(self->scanned_, nl - self->scanned_));
        self->scanned_ = nl + 1;
      }
    }
    if (ec) return self->finish();  // end of file: the child has closed stdout
    self->read_more();
  });
}

void ChildProcess::finish() {
  boost::system::error_code ignored;
  out_.close(ignored);
  // Its stdout closed, the child is exiting: this wait is short.
  int status = 0;
  struct rusage usage {};
  pid_t got = -1;
  do {
    got = ::wait4(pid_, &status, 0, &usage);
  } while (got < 0 && errno == EINTR);
  reaped_ = true;
  if (got == pid_) {
    if (WIFEXITED(status)) {
      outcome_.exited = true;
      outcome_.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      outcome_.signal = WTERMSIG(status);
    }
    outcome_.cpu_ms = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                      static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
    outcome_.max_rss_kb = usage.ru_maxrss;
  }
  if (on_done_) {
    DoneFn done = std::move(on_done_);
    done(std::move(outcome_));
  }
}

Result<ChildOutcome> ChildProcess::run(const std::string& program, const std::vector<std::string>& args,
                                       std::string input, std::size_t output_cap, std::chrono::milliseconds timeout) {
  asio::io_context io{1};
  std::optional<ChildOutcome> got;
  auto child = start(io, program, args, std::move(input), output_cap, nullptr,
                     [&got](ChildOutcome o) { got = std::move(o); });
  if (!child) return child.error();
  io.run_for(timeout);
  if (!got) {
    (*child)->signal(SIGKILL);
    io.restart();
    io.run();
    if (got) got->timed_out = true;
  }
  if (!got) return make_error(Errc::internal, program + ": no outcome");
  return std::move(*got);
}

}  // namespace vigil::agent
