// `vigil enroll` and `vigil ship` (see cli_store.hpp, docs/cli.md).
#include "cli_store.hpp"

#include <sys/stat.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <ostream>

#include "attest.hpp"
#include "cache.hpp"
#include "cli.hpp"
#include "cli_args.hpp"
#include "crypto.hpp"
#include "engine.hpp"
#include "enrollment.hpp"
#include "file_io.hpp"
#include "http_client.hpp"
#include "report.hpp"
#include "shipper.hpp"
#include "strings.hpp"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

namespace vigil::agent {

namespace json = boost::json;

namespace {

constexpr const char* kEnrollHelp = R"(Usage: vigil enroll --store URL --token TOKEN [options]

Enrolls this host with vigil-store: makes (or loads) the host key in the
state directory, proves to the store that it holds it, and writes
STATE_DIR/enrollment.json, which `vigil ship` reads. Enrolling again with the
same key is harmless (the store answers that the host is already enrolled).

Options:
  --store URL          the store, https://HOST[:PORT] (http is refused)
  --token TOKEN        an enrollment token from the store's admin
                       (vigil-store token create)
  --token-file FILE    read the token from FILE instead (keeps it out of the
                       process list)
  --ca FILE            trust only this CA for the store's certificate (else
                       the system's CA store)
  --pin sha256//B64    also require the store's public key to be this one
                       (SHA-256 of its SPKI, base64; several joined by ';')
  --client-cert FILE   client certificate (PEM), for stores that require mTLS
  --client-key FILE    its key (PEM)
  --state-dir DIR      the agent's state directory (default /var/lib/vigil)
  --root DIR           enroll the host under DIR (the identity its scans
                       with `vigil scan --root DIR --state-dir` carry;
                       default /)
  --timeout SECONDS    give up on the request after this long (default 60)
  -h, --help           show this help

The TLS options are kept in enrollment.json and used by `vigil ship`.
Exit codes: 0 enrolled, 2 usage or local problem, 3 the store could not be
reached (connection, timeout), 4 the store refused the enrollment or its
certificate was not accepted (the message says which).
)";

constexpr const char* kShipHelp = R"(Usage: vigil ship [options]

Sends the signed envelopes waiting in the evidence cache's outbox to the
store this host is enrolled with (vigil enroll), oldest first, in batches,
until the outbox is empty or the store cannot take more. Envelopes the store
acknowledges are marked shipped; envelopes it rejects are set aside with its
reason (vigil status lists them) and shipping goes on with the next.

Options:
  --state-dir DIR      the agent's state directory (default /var/lib/vigil)
  --batch-count N      envelopes per request, 1 to 1000 (default 100)
  --batch-bytes N      envelope bytes per request (default 8388608); a larger
                       envelope is sent alone
  --timeout SECONDS    give up on one request after this long (default 120)
  --format FORMAT      text (default) or json
  -h, --help           show this help

Exit codes: 0 the outbox is empty and the store acknowledged everything sent,
1 the outbox is empty but the store rejected some envelopes (set aside),
2 usage or local problem (not enrolled, the cache cannot be opened),
3 the store could not be reached or asked to retry later (the delay is
printed), 4 the store refused the request or answered outside the protocol.
)";

std::string count(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

int fail(std::ostream& err, const std::string& msg, int code) {
  err << "vigil: " << terminal_safe(msg, true) << "\n";
  return code;
}

Result<std::int64_t> timeout_seconds(const CliArgs& a, std::int64_t def) {
  auto v = a.get("timeout");
  if (!v) return def;
  auto n = parse_int(*v);
  if (!n || *n < 1 || *n > 3600)
    return make_error(Errc::invalid,
                      "--timeout must be a number of seconds from 1 to 3600, not '" + *v + "'");
  return *n;
}

std::string absolute_path(const std::string& p) {
  if (p.empty()) return p;
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  return ec ? p : abs.lexically_normal().string();
}

// The system_info row of the host under root ("/": this host), as `vigil
// scan` puts it in ReportMeta.
Result<json::object> live_host_facts(const std::string& root) {
  auto host = collectors::Host::open(root);
  if (!host) return host.error();
  auto engine = Engine::create(*host);
  if (!engine) return engine.error();
  auto res = (*engine)->query("SELECT * FROM system_info");
  if (!res) return res.error();
  json::object o;
  const auto& e = res->rows;
  if (e.rows.empty()) return o;
  for (std::size_t i = 0; i < e.columns.size() && i < e.rows[0].size(); ++i)
    o[sanitize_utf8(e.columns[i])] = value_to_json(e.rows[0][i]);
  return o;
}

json::object enroll_facts(const json::object& host) {
  json::object f;
  for (const auto& [key, from] : {std::pair{"hostname", "hostname"}, std::pair{"os", "os_name"},
                                  std::pair{"machine_id", "machine_id"}}) {
    if (const auto* v = host.if_contains(from); v != nullptr && v->is_string()) f[key] = v->get_string();
  }
  f["agent_version"] = VIGIL_VERSION;
  return f;
}

}  // namespace

int cmd_enroll(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parse_cli_args(argv, 2,
                             {"store", "token", "token-file", "ca", "pin", "client-cert", "client-key",
                              "state-dir", "root", "timeout"});
  if (!args) return cli_usage_error(err, args.error().message, "enroll ");
  if (args->help) {
    out << kEnrollHelp;
    return kExitOk;
  }
  if (!args->positional.empty())
    return cli_usage_error(err, "unexpected argument '" + args->positional[0] + "'", "enroll ");
  auto store = args->get("store");
  if (!store) return cli_usage_error(err, "--store URL is required", "enroll ");
  std::string token;
  if (auto t = args->get("token")) {
    if (args->has("token-file"))
      return cli_usage_error(err, "give --token or --token-file, not both", "enroll ");
    token = *t;
  } else if (auto tf = args->get("token-file")) {
    auto text = vigil::read_file(*tf, vigil::ReadOptions{4096, true});
    if (!text) return cli_usage_error(err, "--token-file: " + text.error().message, "enroll ");
    token = std::string(trim(*text));
  } else {
    return cli_usage_error(err, "--token TOKEN (or --token-file FILE) is required", "enroll ");
  }
  if (token.empty()) return cli_usage_error(err, "the enrollment token is empty", "enroll ");
  auto timeout = timeout_seconds(*args, 60);
  if (!timeout) return cli_usage_error(err, timeout.error().message, "enroll ");
  const std::string state_dir = args->get("state-dir").value_or(kDefaultStateDir);

  HttpClientOptions ho;
  ho.base_url = *store;
  ho.tls.ca_file = absolute_path(args->get("ca").value_or(""));
  ho.tls.pinned_public_key = args->get("pin").value_or("");
  ho.tls.client_cert = absolute_path(args->get("client-cert").value_or(""));
  ho.tls.client_key = absolute_path(args->get("client-key").value_or(""));
  ho.total_timeout = std::chrono::seconds(*timeout);
  auto client = HttpClient::create(ho);
  if (!client) return cli_usage_error(err, client.error().message, "enroll ");

  // The cache makes the state directory (0700) the key goes in, as a scan does.
  CacheOptions co;
  co.state_dir = state_dir;
  auto cache = Cache::open(co);
  if (!cache) return fail(err, cache.error().message, kExitUsage);
  auto key = crypto::load_or_create_host_key(state_dir);
  if (!key) return fail(err, key.error().message, kExitUsage);
  // A state directory that records scans of another root (`vigil scan
  // --root R --state-dir D`) holds statements about R's host: enrolling it
  // as this host would make the store reject every one of them.
  auto facts = live_host_facts(absolute_path(args->get("root").value_or("/")));
  if (!facts) return fail(err, "could not describe this host: " + facts.error().message, kExitUsage);

  EnrollRequest req;
  req.token = std::move(token);
  req.host = host_identity(ReportMeta{VIGIL_VERSION, *facts});
  req.facts = enroll_facts(*facts);
  auto enrolled = enroll_host(**client, *key, req);
  if (!enrolled) {
    const bool unreachable = enrolled.error().code == Errc::io || enrolled.error().code == Errc::timeout;
    return fail(err, "enrollment with " + *store + " failed: " + enrolled.error().message,
                unreachable ? kExitShipRetry : kExitShipRefused);
  }
  enrolled->store = *store;
  enrolled->tls = ho.tls;
  if (Status s = save_enrollment(state_dir, *enrolled); !s)
    return fail(err, "enrolled, but " + s.error().message, kExitUsage);
  out << "Enrolled with " << terminal_safe(*store) << ": host id " << terminal_safe(enrolled->host_id)
      << ", host " << terminal_safe(enrolled->host) << ", key " << enrolled->key_id << "\nWrote "
      << terminal_safe(state_dir) << "/" << kEnrollmentFile << "\n";
  return kExitOk;
}

int cmd_ship(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = parse_cli_args(argv, 2, {"state-dir", "batch-count", "batch-bytes", "timeout", "format"});
  if (!args) return cli_usage_error(err, args.error().message, "ship ");
  if (args->help) {
    out << kShipHelp;
    return kExitOk;
  }
  if (!args->positional.empty())
    return cli_usage_error(err, "unexpected argument '" + args->positional[0] + "'", "ship ");
  const std::string format = args->get("format").value_or("text");
  if (format != "text" && format != "json")
    return cli_usage_error(err, "--format must be text or json, not '" + format + "'", "ship ");
  ShipperOptions so;
  if (auto v = args->get("batch-count")) {
    auto n = parse_int(*v);
    if (!n || *n < 1 || *n > 1000)
      return cli_usage_error(err, "--batch-count must be a number from 1 to 1000, not '" + *v + "'", "ship ");
    so.batch_count = static_cast<std::size_t>(*n);
  }
  if (auto v = args->get("batch-bytes")) {
    auto n = parse_int(*v);
    if (!n || *n < 1024 || *n > 1024LL * 1024 * 1024)
      return cli_usage_error(err, "--batch-bytes must be a number from 1024 to 1073741824, not '" + *v + "'",
                             "ship ");
    so.batch_bytes = static_cast<std::size_t>(*n);
  }
  auto timeout = timeout_seconds(*args, 120);
  if (!timeout) return cli_usage_error(err, timeout.error().message, "ship ");
  const std::string state_dir = args->get("state-dir").value_or(kDefaultStateDir);

  auto enrollment = load_enrollment(state_dir);
  if (!enrollment) {
    if (enrollment.error().code == Errc::not_found)
      return fail(err,
                  "this host is not enrolled with a store (no " + state_dir + "/" + kEnrollmentFile +
                      "); run `vigil enroll --store URL --token TOKEN` first",
                  kExitUsage);
    return fail(err, enrollment.error().message, kExitUsage);
  }
  HttpClientOptions ho;
  ho.base_url = enrollment->store;
  ho.tls = enrollment->tls;
  ho.total_timeout = std::chrono::seconds(*timeout);
  auto client = HttpClient::create(ho);
  if (!client)
    return fail(err, state_dir + "/" + kEnrollmentFile + ": " + client.error().message, kExitUsage);
  CacheOptions co;
  co.state_dir = state_dir;
  auto cache = Cache::open(co);
  if (!cache) return fail(err, cache.error().message, kExitUsage);
  auto key = crypto::load_private_key(state_dir + "/" + crypto::kHostKeyFile);
  if (!key) return fail(err, key.error().message, kExitUsage);
  if (key->key_id() != enrollment->key_id)
    return fail(err,
                "the host key in " + state_dir + " (" + key->key_id() + ") is not the enrolled key (" +
                    enrollment->key_id + "); enroll again",
                kExitUsage);
  so.host_id = enrollment->host_id;
  Shipper shipper(*cache, *key, **client, so);
  const DrainReport r = shipper.drain_once();
  auto st = cache->status();
  const std::int64_t left = st ? st->outbox_depth : -1;

  int rc = kExitOk;
  if (r.error)
    rc = r.retry_after ? kExitShipRetry : (r.error->code == Errc::sql ? kExitUsage : kExitShipRefused);
  else if (r.rejected > 0)
    rc = kExitShipRejected;
  if (format == "json") {
    json::array rejections;
    for (const auto& x : r.rejections)
      rejections.push_back(json::object{{"sequence", x.sequence}, {"reason", x.reason}});
    json::object o{
        {"store", enrollment->store},
        {"host_id", enrollment->host_id},
        {"batches", r.batches},
        {"sent", r.sent},
        {"accepted", r.accepted},
        {"duplicate", r.duplicate},
        {"rejected", r.rejected},
        {"rejections", std::move(rejections)},
        {"outbox_left", left},
        {"error", r.error ? json::value(r.error->message) : json::value(nullptr)},
        {"retry_after_ms", r.retry_after ? json::value(r.retry_after->count()) : json::value(nullptr)},
        {"exit_code", rc}};
    out << pretty_json(o);
  } else {
    out << "Shipped to " << terminal_safe(enrollment->store) << " (host id "
        << terminal_safe(enrollment->host_id) << "): " << count(r.sent, "envelope", "envelopes") << " in "
        << count(r.batches, "batch", "batches") << ": " << r.accepted << " accepted, " << r.duplicate
        << " duplicate, " << r.rejected << " rejected (set aside)\n";
    for (const auto& x : r.rejections)
      out << "  rejected: sequence " << x.sequence << ": " << terminal_safe(x.reason) << "\n";
    out << "Outbox:     " << (left < 0 ? std::string("?") : std::to_string(left)) << " left to send\n";
  }
  if (r.error) {
    err << "vigil: ship stopped: " << terminal_safe(r.error->message, true) << "\n";
    if (r.retry_after) {
      char delay[64];
      std::snprintf(delay, sizeof delay, "%.1f", static_cast<double>(r.retry_after->count()) / 1000.0);
      err << "vigil: try again in " << delay << " s\n";
    }
  }
  return rc;
}

}  // namespace vigil::agent
