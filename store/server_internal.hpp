// Pieces of store/server shared by its source files: the TLS context, the
// decoding of a parsed request, and the state every connection reads.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config.hpp"
#include "http.hpp"
#include "result.hpp"

namespace vigil::store::detail {

// The TLS server context for the config: TLS 1.2+ (or 1.3 only), ECDHE
// suites only, server preference, no compression or renegotiation; the
// certificate chain and key read with a size cap; with a client CA, peers
// must present a certificate from it. Errc::invalid names the file.
Result<std::shared_ptr<boost::asio::ssl::context>> make_ssl_context(const TlsConfig& tls);

// Fills request.path and request.query from request.target, and
// request.body from request.raw_body per its Content-Encoding (gzip is
// inflated up to max_decoded bytes). The error response when it cannot:
// 400 (bad target, corrupt gzip), 413 (over max_decoded), 415 (another encoding).
std::optional<Response> decode_request(Request& request, std::size_t max_decoded);

// 128 random bits in hex.
std::string new_request_id();

class Session;

// What the server and its connections share. Lives in Server::Impl, which
// outlives every connection (run() returns only when they are gone).
struct State {
  StoreConfig config;
  Handler handler;
  std::shared_ptr<boost::asio::ssl::context> ssl;
  std::atomic<unsigned> active{0};      // connections served
  std::atomic<unsigned> overloaded{0};  // connections being answered 503
  std::atomic<bool> stopping{false};

  std::mutex mu;  // guards sessions
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;
  std::uint64_t next_id = 0;

  // Called (from any thread) when a connection ends.
  std::function<void()> on_session_end;
};

// Starts serving an accepted connection; overloaded connections get one
// 503 answer and are closed.
void start_session(State& state, boost::asio::ip::tcp::socket socket, bool overloaded);

// Asks every live connection to finish: idle ones close now, busy ones
// after the response they are working on.
void stop_sessions(State& state);

}  // namespace vigil::store::detail
