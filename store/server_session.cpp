// One TLS connection of vigil-store: handshake, then requests in turn
// (keep-alive), each read under a deadline and the size limits, decoded,
// handed to the handler and answered. Everything a connection does runs on
// its own strand, so its members need no lock.
#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>

#include "log.hpp"
#include "server_internal.hpp"

namespace vigil::store::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// How long a closing connection waits for the peer's close_notify: the
// peer must have time to read the last response before the socket goes
// (closing with unread input would reset the connection under it).
constexpr std::chrono::seconds kCloseGrace{2};
// How soon an overloaded client is told to come back.
constexpr const char* kRetryAfterSeconds = "2";

std::string peer_string(const tcp::socket& s) {
  boost::system::error_code ec;
  const auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  const std::string addr = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + addr + "]" : addr) + ":" + std::to_string(ep.port());
}

bool is_http_error(const boost::system::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

}  // namespace

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(State& state, tcp::socket socket, bool overloaded, std::uint64_t id)
      : state_(state),
        overloaded_(overloaded),
        id_(id),
        peer_(peer_string(socket)),
        stream_(std::move(socket), *state.ssl) {}

  ~Session() {
    if (overloaded_)
      --state_.overloaded;
    else
      --state_.active;
    {
      std::lock_guard lock(state_.mu);
      state_.sessions.erase(id_);
    }
    if (state_.on_session_end) state_.on_session_end();
  }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->handshake(); });
  }

  // From any thread: finish what is in hand, take nothing more.
  void request_stop() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->stopping_ = true;
      // Waiting for a handshake or for the next request: nothing in hand.
      if (self->phase_ == Phase::handshake || self->phase_ == Phase::idle) self->lowest().close();
    });
  }

 private:
  enum class Phase { handshake, idle, reading, writing, closing };

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  const LimitsConfig& limits() const { return state_.config.limits; }

  void handshake() {
    phase_ = Phase::handshake;
    lowest().expires_after(limits().handshake_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = shared_from_this()](boost::system::error_code ec) {
                              if (ec) {
                                log::write(log::Level::debug, "tls_handshake_failed",
                                           {{"peer", self->peer_}, {"error", ec.message()}});
                                return;  // the session ends and the socket closes
                              }
                              self->start_request(true);
                            });
  }

  void start_request(bool first) {
    if (stopping_ || state_.stopping.load()) return graceful_close();
    parser_.emplace();
    continue_sent_ = false;
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(limits().max_header_bytes, UINT32_MAX)));
    parser_->body_limit(limits().max_body_bytes);
    // The first request is due at once; later ones may wait idle_timeout
    // for their first byte, then have request_timeout like the first.
    if (first || buffer_.size() > 0) {
      begin_reading();
    } else {
      phase_ = Phase::idle;
      lowest().expires_after(limits().idle_timeout);
    }
    read_more();
  }

  void begin_reading() {
    phase_ = Phase::reading;
    started_at_ = Clock::now();
    lowest().expires_after(limits().request_timeout);
  }

  void read_more() {
    http::async_read_some(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(boost::system::error_code ec) {
    if (ec) return on_read_error(ec);
    if (phase_ == Phase::idle && (parser_->got_some() || buffer_.size() > 0)) begin_reading();
    if (parser_->is_done()) return handle();
    if (parser_->is_header_done() && !continue_sent_ && expects_continue()) return send_continue();
    read_more();
  }

  // curl and others send "Expect: 100-continue" before a large body and
  // wait (a second, for curl) for this go-ahead; the limits on the header
  // have passed by now, and body_limit has refused an announced length
  // that is too large.
  bool expects_continue() const {
    const auto& msg = parser_->get();
    const auto it = msg.find(http::field::expect);
    return it != msg.end() && beast::iequals(it->value(), "100-continue");
  }

  void send_continue() {
    continue_sent_ = true;
    auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
    http::async_write(stream_, *cont,
                      [self = shared_from_this(), cont](boost::system::error_code ec, std::size_t) {
                        if (ec) return;
                        self->read_more();
                      });
  }

  void on_read_error(const boost::system::error_code& ec) {
    if (ec == http::error::header_limit)
      return answer_error(error_response(413, "too_large",
                                         "the request header is over limits.max_header_bytes (" +
                                             std::to_string(limits().max_header_bytes) + ")"));
    if (ec == http::error::body_limit)
      return answer_error(error_response(413, "too_large",
                                         "the request body is over limits.max_body_bytes (" +
                                             std::to_string(limits().max_body_bytes) + ")"));
    if (is_http_error(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message)
      return answer_error(error_response(400, "bad_request", "malformed HTTP request: " + ec.message()));
    if (ec == beast::error::timeout && phase_ == Phase::reading) {
      // The stream closed the socket when the deadline passed: a client
      // that sends its request too slowly gets no answer, only the close.
      log::write(log::Level::info, "request_timeout",
                 {{"peer", peer_}, {"timeout_s", std::to_string(limits().request_timeout.count())}});
    }
    // end of stream, an idle connection timing out or closed by stop(), a TLS error: done.
  }

  void handle() {
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.peer = peer_;
    req.request_id = new_request_id();
    for (const auto& f : msg) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    req.raw_body = std::move(msg.body());
    const bool keep_alive = msg.keep_alive() && !overloaded_;

    Response res;
    if (overloaded_) {
      res = error_response(503, "overloaded", "too many connections; retry later");
      res.headers.emplace_back("Retry-After", kRetryAfterSeconds);
    } else if (auto err = decode_request(req, limits().max_decoded_body_bytes)) {
      res = std::move(*err);
    } else {
      res = call_handler(req);
    }
    write(req, std::move(res), keep_alive);
  }

  Response call_handler(const Request& req) {
    try {
      return state_.handler(req);
    } catch (const std::exception& e) {
      log::write(log::Level::error, "handler_exception",
                 {{"request_id", req.request_id}, {"path", req.path}, {"error", e.what()}});
    } catch (...) {
      log::write(log::Level::error, "handler_exception",
                 {{"request_id", req.request_id}, {"path", req.path}, {"error", "unknown exception"}});
    }
    return error_response(500, "internal", "internal error (request id " + req.request_id + ")");
  }

  // An answer to a request that could not be read: the connection closes
  // after it, since where the next request would start is unknown.
  void answer_error(Response res) {
    Request req;
    req.method = parser_ && parser_->is_header_done() ? std::string(parser_->get().method_string()) : "-";
    req.path = parser_ && parser_->is_header_done() ? std::string(parser_->get().target()) : "-";
    req.request_id = new_request_id();
    if (phase_ == Phase::idle) started_at_ = Clock::now();
    write(req, std::move(res), false);
  }

  void write(const Request& req, Response res, bool keep_alive) {
    phase_ = Phase::writing;
    // state_.stopping too: stop() may come while the handler runs, before
    // this strand sees request_stop().
    keep_alive = keep_alive && !stopping_ && !state_.stopping.load();
    auto out = std::make_shared<http::response<http::string_body>>();
    out->version(11);
    out->result(res.status);
    out->set(http::field::content_type, res.content_type);
    out->set("X-Request-Id", req.request_id);
    for (const auto& [k, v] : res.headers) out->insert(k, v);
    out->body() = std::move(res.body);
    out->keep_alive(keep_alive);
    out->prepare_payload();
    // A HEAD answer says how long the body would be, and sends none.
    if (req.method == "HEAD") out->body().clear();

    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_at_).count();
    log::write(log::Level::info, "request",
               {{"method", req.method},
                {"path", req.path.empty() ? req.target : req.path},
                {"status", std::to_string(res.status)},
                {"bytes", std::to_string(out->body().size())},
                {"ms", std::to_string(ms)},
                {"request_id", req.request_id},
                {"peer", peer_}});

    lowest().expires_after(limits().request_timeout);
    http::async_write(
        stream_, *out,
        [self = shared_from_this(), out, keep_alive](boost::system::error_code ec, std::size_t) {
          if (ec) return;  // the peer went away; nothing to tell it
          if (keep_alive) return self->start_request(false);
          self->graceful_close();
        });
  }

  void graceful_close() {
    phase_ = Phase::closing;
    lowest().expires_after(kCloseGrace);
    stream_.async_shutdown([self = shared_from_this()](boost::system::error_code) {
      boost::system::error_code ignored;
      self->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->lowest().close();
    });
  }

  State& state_;
  const bool overloaded_;
  const std::uint64_t id_;
  const std::string peer_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Phase phase_ = Phase::handshake;
  bool stopping_ = false;
  bool continue_sent_ = false;
  Clock::time_point started_at_ = Clock::now();
};

void start_session(State& state, tcp::socket socket, bool overloaded) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(state.mu);
    const std::uint64_t id = state.next_id++;
    session = std::make_shared<Session>(state, std::move(socket), overloaded, id);
    state.sessions.emplace(id, session);
  }
  session->start();
  if (state.stopping.load()) session->request_stop();
}

void stop_sessions(State& state) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(state.mu);
    for (auto& [id, weak] : state.sessions)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->request_stop();
}

}  // namespace vigil::store::detail
