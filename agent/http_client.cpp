// The libcurl client behind HttpTransport (see http_client.hpp).
#include "http_client.hpp"

// Types and constants only: the functions come from dlopen (see Curl below).
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "crypto.hpp"
#include "file_io.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace {

// Bodies larger than this are sent after the server's "100 Continue" (see
// perform); 1 KiB, libcurl's own traditional threshold: one round trip per
// batch is nothing beside a batch that is refused as a broken pipe forever.
constexpr std::size_t kExpectContinueBytes = 1024;

// libcurl is opened when the first client is made, not linked: its
// dependencies (GnuTLS, Kerberos, LDAP, SSH, RTMP...: 28 shared libraries on
// Debian 12) cost every `vigil scan` and the idle daemon 4.6 MB of RSS and
// 4 ms of start-up for a library only enroll and ship use. systemd opens its
// optional libraries the same way. The ABI is libcurl.so.4's, fixed since 2006.
struct Curl {
  CURLcode (*global_init)(long);
  const char* (*easy_strerror)(CURLcode);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  time_t (*getdate)(const char*, const time_t*);
};

template <typename F>
bool resolve(void* lib, const char* name, F& out) {
  void* sym = ::dlsym(lib, name);
  if (sym == nullptr) return false;
  out = reinterpret_cast<F>(sym);
  return true;
}

// Loads libcurl.so.4 once per process; nullptr with the reason when it cannot.
const Curl* load_curl(std::string* why) {
  static std::once_flag once;
  static Curl api{};
  static const Curl* loaded = nullptr;
  static std::string error;
  std::call_once(once, [] {
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* e = ::dlerror();
      error = std::string("libcurl.so.4 could not be loaded (") + (e != nullptr ? e : "?") +
              "); enroll and ship need Debian's libcurl4 package";
      return;
    }
    std::string missing;
    auto need = [&](const char* name, auto& out) {
      if (missing.empty() && !resolve(lib, name, out)) missing = name;
    };
    need("curl_global_init", api.global_init);
    need("curl_easy_strerror", api.easy_strerror);
    need("curl_easy_init", api.easy_init);
    need("curl_easy_cleanup", api.easy_cleanup);
    need("curl_easy_setopt", api.easy_setopt);
    need("curl_easy_perform", api.easy_perform);
    need("curl_easy_getinfo", api.easy_getinfo);
    need("curl_slist_append", api.slist_append);
    need("curl_slist_free_all", api.slist_free_all);
    need("curl_getdate", api.getdate);
    if (!missing.empty()) {
      error = "libcurl.so.4 has no " + missing + " (not the libcurl this was built for)";
      return;  // the library stays open: nothing else is lost by it
    }
    loaded = &api;
  });
  if (loaded == nullptr && why != nullptr) *why = error;
  return loaded;
}

// Only called once global_init() succeeded (every handle is made after it).
const Curl& curl() {
  return *load_curl(nullptr);
}

struct CurlEasyFree {
  void operator()(CURL* h) const noexcept { curl().easy_cleanup(h); }
};
struct CurlSlistFree {
  void operator()(curl_slist* l) const noexcept { curl().slist_free_all(l); }
};
using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyFree>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistFree>;

// curl_global_init is not thread-safe and must run once per process.
Status global_init() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::string why;
  const Curl* api = load_curl(&why);
  if (api == nullptr) return make_error(Errc::internal, why);
  std::call_once(once, [api] { rc = api->global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK)
    return make_error(Errc::internal, std::string("libcurl could not initialise: ") + api->easy_strerror(rc));
  return {};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}


// A file the client will hand to libcurl must be readable now, so the error
// names the option and the file instead of a later TLS failure.
Status check_readable(const std::string& path, const char* what) {
  auto r = read_file(path, ReadOptions{crypto::kMaxKeyFileBytes * 64, true});
  if (!r) return make_error(Errc::invalid, std::string(what) + ": " + r.error().message);
  return {};
}

}  // namespace

std::optional<std::string> HttpResponse::header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

Status check_pin(std::string_view pin) {
  for (auto part : split(pin, ';')) {
    constexpr std::string_view kPrefix = "sha256//";
    if (part.substr(0, kPrefix.size()) != kPrefix)
      return make_error(Errc::invalid, "--pin '" + std::string(part) + "': must start with sha256//");
    auto raw = crypto::base64_decode(part.substr(kPrefix.size()));
    if (!raw || raw->size() != 32)
      return make_error(Errc::invalid,
                        "--pin '" + std::string(part) + "': not the base64 of a SHA-256 (32 bytes)");
  }
  return {};
}

struct HttpClient::Impl {
  HttpClientOptions opts;
  std::string origin;
  CurlEasyPtr easy;
  char errbuf[CURL_ERROR_SIZE] = {};
  // Per request:
  HttpResponse response;
  std::size_t received = 0;
  bool over_cap = false;

  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* self) {
    auto* impl = static_cast<Impl*>(self);
    const std::size_t len = size * n;
    impl->received += len;
    if (impl->received > impl->opts.max_response_bytes) {
      impl->over_cap = true;
      return 0;  // libcurl aborts the transfer with CURLE_WRITE_ERROR
    }
    impl->response.body.append(data, len);
    return len;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self) {
    auto* impl = static_cast<Impl*>(self);
    const std::size_t len = size * n;
    impl->received += len;
    if (impl->received > impl->opts.max_response_bytes) {
      impl->over_cap = true;
      return 0;
    }
    std::string_view line(data, len);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    // A new status line (after a 100 Continue) starts a new header block.
    if (line.substr(0, 5) == "HTTP/") {
      impl->response.headers.clear();
      return len;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return len;
    impl->response.headers[lower(line.substr(0, colon))] = std::string(trim(line.substr(colon + 1)));
    return len;
  }

  Status setup() {
    easy.reset(curl().easy_init());
    if (!easy) return make_error(Errc::internal, "libcurl could not make an easy handle");
    CURL* h = easy.get();
    CURLcode rc = CURLE_OK;
    auto set = [&](CURLoption o, auto v) {
      if (rc == CURLE_OK) rc = curl().easy_setopt(h, o, v);
    };
    set(CURLOPT_ERRORBUFFER, errbuf);
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_PROTOCOLS_STR, "https");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "https");
    set(CURLOPT_FOLLOWLOCATION, 0L);
    set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    // Spelled out although they are libcurl's defaults: nothing here turns them off.
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
    if (!opts.tls.ca_file.empty()) {
      set(CURLOPT_CAINFO, opts.tls.ca_file.c_str());
      set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));
    }
    if (!opts.tls.pinned_public_key.empty()) set(CURLOPT_PINNEDPUBLICKEY, opts.tls.pinned_public_key.c_str());
    if (!opts.tls.client_cert.empty()) {
      set(CURLOPT_SSLCERT, opts.tls.client_cert.c_str());
      set(CURLOPT_SSLCERTTYPE, "PEM");
      set(CURLOPT_SSLKEY, opts.tls.client_key.c_str());
      set(CURLOPT_SSLKEYTYPE, "PEM");
    }
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts.connect_timeout.count()));
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(opts.total_timeout.count()));
    set(CURLOPT_LOW_SPEED_LIMIT, opts.low_speed_bytes);
    set(CURLOPT_LOW_SPEED_TIME, static_cast<long>(opts.low_speed_time.count()));
    set(CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl decodes
    set(CURLOPT_USERAGENT, opts.user_agent.c_str());
    set(CURLOPT_WRITEFUNCTION, &Impl::on_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(this));
    set(CURLOPT_HEADERFUNCTION, &Impl::on_header);
    set(CURLOPT_HEADERDATA, static_cast<void*>(this));
    if (rc != CURLE_OK)
      return make_error(Errc::internal, std::string("libcurl refused an option: ") + curl().easy_strerror(rc));
    return {};
  }

  // What failed, in words a person can act on.
  Error transfer_error(CURLcode rc, const std::string& url) const {
    const std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : curl().easy_strerror(rc);
    switch (rc) {
      case CURLE_PEER_FAILED_VERIFICATION:
        return make_error(Errc::invalid, url + ": certificate verify failed: " + detail);
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return make_error(Errc::invalid, url + ": the server's public key does not match the pin: " + detail);
      case CURLE_SSL_CACERT_BADFILE:
        return make_error(Errc::invalid, url + ": the CA file could not be used: " + detail);
      case CURLE_SSL_CERTPROBLEM:
        return make_error(Errc::invalid,
                          url + ": the client certificate or key could not be used: " + detail);
      case CURLE_COULDNT_RESOLVE_HOST:
        return make_error(Errc::io, "could not resolve the host of " + url + ": " + detail);
      case CURLE_COULDNT_CONNECT:
        return make_error(Errc::io, "could not connect to " + url + ": " + detail);
      case CURLE_OPERATION_TIMEDOUT:
        return make_error(Errc::timeout, url + ": timed out after " +
                                             std::to_string(opts.total_timeout.count()) +
                                             " ms (or the connection stalled): " + detail);
      case CURLE_UNSUPPORTED_PROTOCOL:
        return make_error(Errc::invalid, url + ": refused: only https is allowed: " + detail);
      case CURLE_WRITE_ERROR:
        if (over_cap)
          return make_error(Errc::too_large, url + ": the response is over " +
                                                 std::to_string(opts.max_response_bytes) + " bytes");
        break;
      case CURLE_SSL_CONNECT_ERROR:
        return make_error(Errc::io, url + ": TLS handshake failed: " + detail);
      default:
        break;
    }
    return make_error(Errc::io, url + ": " + detail);
  }

  // method "" is GET without a body and POST with one; any other is sent
  // as it is (CURLOPT_CUSTOMREQUEST), e.g. DELETE.
  Result<HttpResponse> perform(const std::string& method, const std::string& target,
                               const HttpHeaders& headers, std::optional<std::string_view> body) {
    CURL* h = easy.get();
    const std::string url = origin + target;
    response = HttpResponse{};
    received = 0;
    over_cap = false;
    errbuf[0] = '\0';
    CurlSlistPtr list;
    for (const auto& [name, value] : headers) {
      const std::string line = name + ": " + value;
      curl_slist* next = curl().slist_append(list.get(), line.c_str());
      if (next == nullptr) return make_error(Errc::internal, "libcurl could not add a header");
      (void)list.release();  // now owned by next, the same list
      list.reset(next);
    }
    if (body) {
      // A body the store refuses by its announced length (413) makes the
      // store close the connection; a client still sending then sees a
      // broken pipe instead of the 413, and would retry a batch that can
      // never pass. "Expect: 100-continue" lets the store say 413 before the
      // body is sent (vigil-store answers 100 at once; docs/store-api.md,
      // Limits). Small bodies go out with the header and need no round trip.
      const char* expect = body->size() > kExpectContinueBytes ? "Expect: 100-continue" : "Expect:";
      curl_slist* next = curl().slist_append(list.get(), expect);
      if (next == nullptr) return make_error(Errc::internal, "libcurl could not add a header");
      (void)list.release();
      list.reset(next);
    }
    CURLcode rc = curl().easy_setopt(h, CURLOPT_URL, url.c_str());
    if (rc == CURLE_OK) rc = curl().easy_setopt(h, CURLOPT_HTTPHEADER, list.get());
    if (body) {
      if (rc == CURLE_OK) rc = curl().easy_setopt(h, CURLOPT_POST, 1L);
      if (rc == CURLE_OK) rc = curl().easy_setopt(h, CURLOPT_POSTFIELDS, body->empty() ? "" : body->data());
      if (rc == CURLE_OK)
        rc = curl().easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    } else if (rc == CURLE_OK) {
      rc = curl().easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    if (rc == CURLE_OK && !method.empty()) rc = curl().easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (rc != CURLE_OK) return make_error(Errc::internal, url + ": " + curl().easy_strerror(rc));
    rc = curl().easy_perform(h);
    // The header list and the method die with this call: libcurl must not
    // keep pointing at them (the handle is reused for the next request).
    (void)curl().easy_setopt(h, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
    (void)curl().easy_setopt(h, CURLOPT_CUSTOMREQUEST, static_cast<char*>(nullptr));
    if (rc != CURLE_OK) return transfer_error(rc, url);
    long status = 0;
    (void)curl().easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    response.status = status;
    return std::move(response);
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl, std::string prefix)
    : impl_(std::move(impl)), prefix_(std::move(prefix)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::create(const HttpClientOptions& opts) {
  auto parts = split_store_url(opts.base_url);
  if (!parts) return parts.error();
  if (!opts.tls.pinned_public_key.empty()) {
    if (Status s = check_pin(opts.tls.pinned_public_key); !s) return s.error();
  }
  if (opts.tls.client_cert.empty() != opts.tls.client_key.empty())
    return make_error(Errc::invalid, "a client certificate needs its key, and a key its certificate");
  if (!opts.tls.ca_file.empty()) {
    if (Status s = check_readable(opts.tls.ca_file, "CA file"); !s) return s.error();
  }
  if (!opts.tls.client_cert.empty()) {
    if (Status s = check_readable(opts.tls.client_cert, "client certificate"); !s) return s.error();
    if (Status s = check_readable(opts.tls.client_key, "client key"); !s) return s.error();
  }
  if (opts.max_response_bytes == 0) return make_error(Errc::invalid, "the response cap must not be 0");
  if (Status s = global_init(); !s) return s.error();
  auto impl = std::make_unique<Impl>();
  impl->opts = opts;
  impl->origin = parts->first;
  if (Status s = impl->setup(); !s) return s.error();
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl), parts->second));
}

Result<HttpResponse> HttpClient::post(const std::string& target, const HttpHeaders& headers,
                                      std::string_view body) {
  return impl_->perform("", target, headers, body);
}

Result<HttpResponse> HttpClient::get(const std::string& target, const HttpHeaders& headers) {
  return impl_->perform("", target, headers, std::nullopt);
}

Result<HttpResponse> HttpClient::request(const std::string& method, const std::string& target,
                                         const HttpHeaders& headers, std::optional<std::string_view> body) {
  if (method.empty() || method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
    return make_error(Errc::invalid, "not an HTTP method: '" + method + "'");
  return impl_->perform(method, target, headers, body);
}

std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_s) {
  const std::string_view v = trim(value);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 12) return std::int64_t{999'999'999'999};  // absurdly far: the caller caps it
    auto n = parse_int(v);
    if (!n) return std::nullopt;
    return *n;
  }
  // An HTTP-date in any of the three forms RFC 9110 makes recipients accept
  // (IMF-fixdate, RFC 850, asctime); curl_getdate reads all of them.
  const std::string text(v);
  const Curl* api = load_curl(nullptr);
  if (api == nullptr) return std::nullopt;
  const time_t t = api->getdate(text.c_str(), nullptr);
  if (t == -1) return std::nullopt;
  return std::max<std::int64_t>(0, static_cast<std::int64_t>(t) - now_s);
}

}  // namespace vigil::agent
