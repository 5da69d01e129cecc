// agent/sd_notify.hpp: sd_notify over NOTIFY_SOCKET.
#include "sd_notify.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace vigil::agent {
namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

Result<std::uint64_t> parse_u64(const std::string& s, const char* name) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size())
    return make_error(Errc::invalid, std::string(name) + "='" + s + "' is not a whole number");
  return v;
}

}  // namespace

Result<Notifier> Notifier::from_environment() {
  Notifier n;
  const auto socket = env("NOTIFY_SOCKET");
  const auto usec = env("WATCHDOG_USEC");
  const auto pid = env("WATCHDOG_PID");
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  if (usec) {
    auto us = parse_u64(*usec, "WATCHDOG_USEC");
    if (!us) return us.error();
    bool ours = true;
    if (pid) {
      auto p = parse_u64(*pid, "WATCHDOG_PID");
      if (!p) return p.error();
      ours = *p == static_cast<std::uint64_t>(::getpid());
    }
    // Half the timeout, as sd_watchdog_enabled(3) advises, and never a busy loop.
    constexpr std::uint64_t kMinPeriodUs = 50'000;
    if (ours && *us > 0)
      n.watchdog_period_ = std::chrono::microseconds(static_cast<std::int64_t>(std::max(*us / 2, kMinPeriodUs)));
  }
  if (!socket || socket->empty()) return n;
  const std::string& s = *socket;
  if (s.front() != '/' && s.front() != '@')
    return make_error(Errc::invalid, "NOTIFY_SOCKET='" + s + "' is neither an absolute path nor '@' (abstract)");
  if (s.size() >= sizeof(n.addr_.sun_path))
    return make_error(Errc::invalid, "NOTIFY_SOCKET is longer than a socket address can be");
  n.addr_.sun_family = AF_UNIX;
  std::memcpy(n.addr_.sun_path, s.data(), s.size());
  if (s.front() == '@') n.addr_.sun_path[0] = '\0';
  // An abstract name is exactly its bytes; a path is NUL-terminated.
  n.addr_len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + s.size() + (s.front() == '/' ? 1 : 0));
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(Errc::io, std::string("NOTIFY_SOCKET: socket: ") + std::strerror(errno));
  n.fd_.reset(fd);
  n.name_ = s;
  return n;
}

Status Notifier::send(std::string_view message) const {
  if (!fd_.valid()) return {};
  // Never block the loop on a reader that is behind (a full datagram queue
  // blocks a sender): the message is dropped and the caller says so.
  const ssize_t sent = ::sendto(fd_.get(), message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                                reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
  if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return make_error(Errc::timeout, "NOTIFY_SOCKET " + name_ + ": the receiver is not reading; message dropped");
  if (sent < 0) return make_error(Errc::io, "NOTIFY_SOCKET " + name_ + ": " + std::strerror(errno));
  if (static_cast<std::size_t>(sent) != message.size())
    return make_error(Errc::io, "NOTIFY_SOCKET " + name_ + ": short send");
  return {};
}

std::string notify_status(std::string_view text) {
  std::string out = "STATUS=";
  for (char c : text) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  return out;
}

}  // namespace vigil::agent
