// The systemd notification protocol (sd_notify(3)), without libsystemd: one
// datagram per message to the AF_UNIX socket named by NOTIFY_SOCKET (a path,
// or '@' for the abstract namespace). With no NOTIFY_SOCKET (not run by
// systemd, or Type= is not notify) every send is a no-op that succeeds.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "result.hpp"
#include "unique_fd.hpp"

namespace vigil::agent {

class Notifier {
 public:
  Notifier() = default;  // disabled

  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (the watchdog is
  // ours only when WATCHDOG_PID is unset or our pid). Errc::invalid for a
  // malformed value, naming it. The variables are then unset, so programs
  // the agent runs never talk to systemd in its name.
  static Result<Notifier> from_environment();

  bool enabled() const noexcept { return fd_.valid(); }
  const std::string& socket_name() const noexcept { return name_; }

  // Sends "KEY=VALUE\n..." as one datagram (READY=1, STATUS=..., WATCHDOG=1,
  // RELOADING=1, STOPPING=1), without blocking: Errc::timeout when the
  // receiver's queue is full (the message is dropped), Errc::io otherwise.
  Status send(std::string_view message) const;

  // How often to send WATCHDOG=1: half of WATCHDOG_USEC, as sd_watchdog_enabled(3)
  // advises (at least 50 ms); nullopt when systemd does not watch this process.
  std::optional<std::chrono::microseconds> watchdog_period() const noexcept { return watchdog_period_; }

 private:
  UniqueFd fd_;
  sockaddr_un addr_{};
  socklen_t addr_len_ = 0;
  std::string name_;
  std::optional<std::chrono::microseconds> watchdog_period_;
};

// STATUS= text cannot hold a newline (it would start another assignment).
std::string notify_status(std::string_view text);

}  // namespace vigil::agent
