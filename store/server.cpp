// store/server.hpp: the listening socket, the thread pool and stopping.
// Connections are in store/server_session.cpp.
#include "server.hpp"

#include <algorithm>
#include <chrono>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <thread>
#include <vector>

#include "log.hpp"
#include "server_internal.hpp"

namespace vigil::store {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// Connections over max_connections still get their 503 over TLS; this many
// at most at a time, beyond that they are closed at once (a flood must not
// turn the courtesy into the overload).
constexpr unsigned kMaxOverloadAnswers = 64;
}  // namespace

struct Server::Impl {
  detail::State state;  // before io: connections still queued in io refer to it
  asio::io_context io;
  asio::strand<asio::io_context::executor_type> strand{io.get_executor()};
  tcp::acceptor acceptor{strand};
  asio::steady_timer drain_timer{strand};
  asio::steady_timer accept_retry{strand};
  bool draining = false;  // on strand

  // Connections that a forced stop left behind die with io, after this body:
  // they must not post to a strand that is going away.
  ~Impl() { state.on_session_end = nullptr; }

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // Out of descriptors and the like: say so and try again shortly
        // (at once would spin while the condition lasts).
        log::write(log::Level::warning, "accept_failed", {{"error", ec.message()}});
        accept_retry.expires_after(std::chrono::milliseconds(100));
        accept_retry.async_wait([this](boost::system::error_code wec) {
          if (!wec && acceptor.is_open()) accept();
        });
        return;
      }
      if (state.active.load() < state.config.limits.max_connections) {
        ++state.active;
        detail::start_session(state, std::move(socket), false);
      } else if (state.overloaded.load() < kMaxOverloadAnswers) {
        ++state.overloaded;
        warn_overloaded();
        detail::start_session(state, std::move(socket), true);
      } else {
        warn_overloaded();
        boost::system::error_code ignored;
        socket.close(ignored);
      }
      accept();
    });
  }

  // On strand. An overload comes as a flood: one line a second at most,
  // with how many were not logged.
  std::chrono::steady_clock::time_point last_overload_warning{};
  unsigned overloads_unlogged = 0;
  void warn_overloaded() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_overload_warning < std::chrono::seconds(1)) {
      ++overloads_unlogged;
      return;
    }
    log::write(log::Level::warning, "overloaded",
               {{"connections", std::to_string(state.active.load())},
                {"max_connections", std::to_string(state.config.limits.max_connections)},
                {"not_logged", std::to_string(overloads_unlogged)}});
    last_overload_warning = now;
    overloads_unlogged = 0;
  }

  // On strand: the last connection is gone while stopping.
  void maybe_finish_drain() {
    if (draining && state.active.load() == 0 && state.overloaded.load() == 0) drain_timer.cancel();
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::create(const StoreConfig& config, Handler handler) {
  auto ssl = detail::make_ssl_context(config.tls);
  if (!ssl) return ssl.error();
  auto impl = std::make_unique<Impl>();
  impl->state.config = config;
  impl->state.handler = std::move(handler);
  impl->state.ssl = std::move(*ssl);

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(config.listen_address, ec);
  if (ec) return make_error(Errc::invalid, "listen: '" + config.listen_address + "': " + ec.message());
  const tcp::endpoint ep(address, config.listen_port);
  const std::string where = "listen " + config.listen_address + ":" + std::to_string(config.listen_port);
  auto& acc = impl->acceptor;
  if (acc.open(ep.protocol(), ec); ec) return make_error(Errc::io, where + ": " + ec.message());
  if (acc.set_option(asio::socket_base::reuse_address(true), ec); ec)
    return make_error(Errc::io, where + ": " + ec.message());
  if (acc.bind(ep, ec); ec) return make_error(Errc::io, where + ": " + ec.message());
  if (acc.listen(asio::socket_base::max_listen_connections, ec); ec)
    return make_error(Errc::io, where + ": " + ec.message());

  Impl* raw = impl.get();
  impl->state.on_session_end = [raw] { asio::post(raw->strand, [raw] { raw->maybe_finish_drain(); }); };
  return std::make_unique<Server>(std::move(impl));
}

std::uint16_t Server::port() const {
  boost::system::error_code ec;
  const auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

boost::asio::io_context& Server::io_context() {
  return impl_->io;
}

void Server::run() {
  asio::post(impl_->strand, [impl = impl_.get()] { impl->accept(); });
  const unsigned n = std::max(1u, impl_->state.config.limits.threads);
  std::vector<std::thread> pool;
  pool.reserve(n - 1);
  for (unsigned i = 1; i < n; ++i) pool.emplace_back([this] { impl_->io.run(); });
  impl_->io.run();
  for (auto& t : pool) t.join();
}

void Server::stop() {
  // At once, not on the strand: a response being written from now on says
  // Connection: close.
  impl_->state.stopping = true;
  asio::post(impl_->strand, [impl = impl_.get()] {
    if (impl->draining) return;
    impl->draining = true;
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_retry.cancel();
    detail::stop_sessions(impl->state);
    // Requests in flight get as long as one request may take; after that
    // whatever is left is cut off so that run() returns.
    impl->drain_timer.expires_after(impl->state.config.limits.request_timeout + std::chrono::seconds(2));
    impl->drain_timer.async_wait([impl](boost::system::error_code ec) {
      if (ec == asio::error::operation_aborted) return;  // every connection finished
      log::write(log::Level::warning, "stop_forced",
                 {{"connections", std::to_string(impl->state.active.load())}});
      impl->io.stop();
    });
    impl->maybe_finish_drain();
  });
}

}  // namespace vigil::store
