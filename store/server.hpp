// vigil-store's HTTPS server: Boost.Beast over Boost.Asio SSL, one
// io_context run by limits.threads threads. It owns everything between the
// socket and store::Handler: TLS, deadlines, size limits, gzip bodies, the
// connection cap, request ids and the per-request log line
// (docs/architecture.md, "vigil-store server"; docs/store-api.md, "Limits").
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>

#include "config.hpp"
#include "http.hpp"
#include "result.hpp"

namespace vigil::store {

class Server {
 public:
  struct Impl;

  // Loads the TLS files and binds the listening socket (so port() is known
  // before run()). Errc::invalid for a TLS file that does not load (the
  // message names it), Errc::io when the address cannot be bound.
  static Result<std::unique_ptr<Server>> create(const StoreConfig& config, Handler handler);

  // Through create(); Impl is private to server.cpp.
  explicit Server(std::unique_ptr<Impl> impl);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the one chosen when listen_port was 0).
  std::uint16_t port() const;

  // Serves until stop(): runs the io_context on limits.threads threads (the
  // calling thread is one of them) and returns when they are done.
  void run();

  // From any thread, once or more: closes the listening socket, closes idle
  // connections, lets requests in flight finish (bounded by
  // limits.request_timeout, after which the rest are cut off), and makes
  // run() return.
  void stop();

  // For a signal_set or timers of the caller that must run on the same loop.
  boost::asio::io_context& io_context();

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::store
