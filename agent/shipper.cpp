// The outbox drain (see shipper.hpp, docs/store-api.md "Ingest").
#include "shipper.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <random>

#include "compress.hpp"
#include "request_auth.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

constexpr const char* kEvidencePath = "/v1/evidence";

std::int64_t system_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool transient_status(long status) {
  return status == 408 || status == 429 || status >= 500;
}

const char* status_hint(long status) {
  switch (status) {
    case 401:
      return " (the store does not take this host's signature: is the host enrolled with this key, and is "
             "the clock right?)";
    case 403:
      return " (this host may not send evidence)";
    case 413:
      return " (the request is over the store's body limit)";
    default:
      return "";
  }
}

}  // namespace

std::chrono::milliseconds backoff_delay(unsigned attempt, const RandomUpTo& random,
                                        std::chrono::milliseconds base, std::chrono::milliseconds cap) {
  const std::int64_t c = std::max<std::int64_t>(0, cap.count());
  std::int64_t ceiling = std::max<std::int64_t>(0, base.count());
  // Doubling stops at the cap, so a long outage cannot overflow.
  for (unsigned i = 0; i < attempt && ceiling < c; ++i) ceiling = ceiling > c / 2 ? c : ceiling * 2;
  ceiling = std::min(ceiling, c);
  const std::int64_t r = random(ceiling);
  return std::chrono::milliseconds(std::clamp<std::int64_t>(r, 0, ceiling));
}

std::string evidence_request_body(const std::string& host_id, const std::vector<EnvelopeRecord>& batch) {
  json::array envelopes;
  envelopes.reserve(batch.size());
  for (const auto& e : batch) envelopes.emplace_back(json::string_view(e.bytes));
  return json::serialize(json::object{{"host_id", host_id}, {"envelopes", std::move(envelopes)}});
}

std::string store_error_message(const HttpResponse& r) {
  json::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (!ec && v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error"); e != nullptr && e->is_object()) {
      if (const auto* m = e->as_object().if_contains("message"); m != nullptr && m->is_string())
        return terminal_safe(std::string(m->get_string()).substr(0, 1000));
    }
  }
  if (r.body.empty()) return "(no body)";
  return terminal_safe(r.body.substr(0, 200));
}

Result<std::vector<EnvelopeAnswer>> parse_evidence_response(std::string_view body, const std::string& host_id,
                                                            const std::vector<EnvelopeRecord>& batch) {
  auto bad = [](const std::string& what) {
    return make_error(Errc::parse, "the store's answer to POST /v1/evidence: " + what);
  };
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return bad("not JSON (" + ec.message() + ")");
  if (!v.is_object()) return bad("not a JSON object");
  const auto& o = v.as_object();
  if (const auto* h = o.if_contains("host_id");
      h != nullptr && (!h->is_string() || h->get_string() != host_id))
    return bad("host_id is not this host's ('" + host_id + "')");
  const auto* results = o.if_contains("results");
  if (results == nullptr || !results->is_array()) return bad("no \"results\" array");
  std::vector<std::optional<EnvelopeAnswer>> answers(batch.size());
  for (const auto& item : results->as_array()) {
    if (!item.is_object()) return bad("a result is not an object");
    const auto& r = item.as_object();
    const auto* index = r.if_contains("index");
    if (index == nullptr || !index->is_int64()) return bad("a result without an integer \"index\"");
    const std::int64_t i = index->as_int64();
    if (i < 0 || static_cast<std::uint64_t>(i) >= batch.size())
      return bad("result index " + std::to_string(i) + " is outside the batch of " +
                 std::to_string(batch.size()));
    const auto& env = batch[static_cast<std::size_t>(i)];
    const std::string where =
        "result " + std::to_string(i) + " (sequence " + std::to_string(env.sequence) + ")";
    if (answers[static_cast<std::size_t>(i)]) return bad(where + " is answered twice");
    if (const auto* s = r.if_contains("sequence");
        s != nullptr && !s->is_null() && (!s->is_int64() || s->as_int64() != env.sequence))
      return bad(where + ": the store names another sequence");
    if (const auto* d = r.if_contains("digest");
        d != nullptr && !d->is_null() && (!d->is_string() || d->get_string() != env.digest))
      return bad(where + ": the store's digest is not the envelope's");
    const auto* status = r.if_contains("status");
    if (status == nullptr || !status->is_string()) return bad(where + ": no \"status\"");
    EnvelopeAnswer a;
    const auto st = status->get_string();
    if (st == "accepted") {
      a.status = EnvelopeStatus::accepted;
    } else if (st == "duplicate") {
      a.status = EnvelopeStatus::duplicate;
    } else if (st == "rejected") {
      a.status = EnvelopeStatus::rejected;
      const auto* reason = r.if_contains("reason");
      a.reason = reason != nullptr && reason->is_string() ? sanitize_utf8(std::string(reason->get_string()))
                                                          : std::string("(the store gave no reason)");
      if (a.reason.size() > 2000) a.reason.resize(2000);
    } else {
      return bad(where + ": unknown status '" + terminal_safe(std::string(st)) + "'");
    }
    answers[static_cast<std::size_t>(i)] = std::move(a);
  }
  std::vector<EnvelopeAnswer> out;
  out.reserve(batch.size());
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (!answers[i])
      return bad("no result for index " + std::to_string(i) + " (sequence " +
                 std::to_string(batch[i].sequence) + ")");
    out.push_back(std::move(*answers[i]));
  }
  return out;
}

struct Shipper::Outcome {
  bool ok = false;
  bool too_large = false;  // the store answered 413 (nothing of the batch was stored)
};

Shipper::Shipper(Cache& cache, const crypto::HostKey& key, HttpTransport& transport, ShipperOptions opts)
    : cache_(cache), key_(key), transport_(transport), opts_(std::move(opts)) {
  failures_ = std::min(opts_.initial_failures, 64u);
  if (!opts_.now_s) opts_.now_s = system_now_s;
  if (!opts_.random) opts_.random = system_random();
  opts_.batch_count = std::clamp<std::size_t>(opts_.batch_count, 1, 1000);
  opts_.batch_bytes = std::max<std::size_t>(opts_.batch_bytes, 1);
}

std::chrono::milliseconds Shipper::next_delay(std::optional<std::int64_t> retry_after_s) {
  const unsigned attempt = failures_;
  if (failures_ < 64) ++failures_;
  if (retry_after_s) {
    const std::int64_t cap_s = kBackoffCap.count() / 1000;
    return std::chrono::seconds(std::clamp<std::int64_t>(*retry_after_s, 0, cap_s));
  }
  return backoff_delay(attempt, opts_.random);
}

DrainReport Shipper::drain_once() {
  DrainReport report;
  std::int64_t after = 0;
  // After a 413 for a batch of several, the rest of this drain goes one
  // envelope at a time, so only an envelope that is too large on its own is
  // refused (and set aside) while the others still go.
  std::size_t count_cap = opts_.batch_count;
  for (;;) {
    auto rows = cache_.unshipped_envelopes(after, count_cap);
    if (!rows) {
      report.error = rows.error();
      return report;
    }
    if (rows->empty()) return report;
    // Count and byte caps; the first envelope always goes, however big.
    std::vector<EnvelopeRecord> batch;
    std::size_t bytes = 0;
    for (auto& e : *rows) {
      if (!batch.empty() && bytes + e.bytes.size() > opts_.batch_bytes) break;
      bytes += e.bytes.size();
      batch.push_back(std::move(e));
    }
    const Outcome out = send_batch(batch, report);
    if (out.too_large && batch.size() > 1) {
      report.error.reset();
      count_cap = 1;
      continue;
    }
    if (out.too_large) {
      // One envelope over the store's body limit: permanent for this store,
      // so it is set aside with the store's reason (vigil status shows it; the
      // store sees a gap in the chain) and shipping goes on.
      const std::string reason = "refused by the store as too large (413): " + report.error->message;
      report.error.reset();
      if (auto s = cache_.set_aside(batch.front().sequence, reason); !s) {
        report.error = s.error();
        return report;
      }
      ++report.rejected;
      report.rejections.push_back({batch.front().sequence, reason});
      after = batch.front().sequence;
      continue;
    }
    if (!out.ok) return report;
    after = batch.back().sequence;
  }
}

Shipper::Outcome Shipper::send_batch(const std::vector<EnvelopeRecord>& batch, DrainReport& report) {
  std::string body = evidence_request_body(opts_.host_id, batch);
  HttpHeaders headers{{"Content-Type", "application/json"}};
  if (opts_.gzip) {
    auto packed = gzip_compress(body);
    if (!packed) {
      report.error = packed.error();
      return {};
    }
    body = std::move(*packed);
    headers.emplace_back("Content-Encoding", "gzip");
  }
  const std::string target = transport_.target(kEvidencePath);
  const std::int64_t now_s = opts_.now_s();
  // Signed over the bytes exactly as sent: the gzip bytes when compressed.
  auto auth = request_auth::make_authorization(key_, opts_.host_id, "POST", target, body, now_s);
  if (!auth) {
    report.error = auth.error();
    return {};
  }
  headers.emplace_back("Authorization", *auth);
  const std::string what = "POST " + target + " (" + std::to_string(batch.size()) +
                           " envelopes from sequence " + std::to_string(batch.front().sequence) + ")";

  auto resp = transport_.post(target, headers, body);
  if (!resp) {
    report.error = make_error(resp.error().code, what + ": " + resp.error().message);
    report.retry_after = next_delay(std::nullopt);
    return {};
  }
  if (transient_status(resp->status)) {
    std::optional<std::int64_t> retry_s;
    if (resp->status == 429 || resp->status == 503) {
      if (auto h = resp->header("retry-after")) retry_s = parse_retry_after(*h, now_s);
    }
    report.error = make_error(Errc::io, what + ": the store answered " + std::to_string(resp->status) + ": " +
                                            store_error_message(*resp));
    report.retry_after = next_delay(retry_s);
    return {};
  }
  if (resp->status != 200) {
    report.error =
        make_error(Errc::invalid, what + ": the store refused it with " + std::to_string(resp->status) +
                                      ": " + store_error_message(*resp) + status_hint(resp->status));
    return Outcome{false, resp->status == 413};
  }
  auto answers = parse_evidence_response(resp->body, opts_.host_id, batch);
  if (!answers) {
    // Nothing is marked: the store's state for this batch is unknown, and
    // sending it again is safe (duplicates are acknowledged).
    report.error = make_error(Errc::parse, what + ": " + answers.error().message);
    return {};
  }
  failures_ = 0;
  ++report.batches;
  report.sent += batch.size();
  const std::int64_t at_ms = cache_.now_ms();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& a = (*answers)[i];
    Status s;
    if (a.status == EnvelopeStatus::rejected) {
      s = cache_.set_aside(batch[i].sequence, "rejected by the store: " + a.reason);
      ++report.rejected;
      report.rejections.push_back({batch[i].sequence, a.reason});
    } else {
      s = cache_.mark_shipped(batch[i].sequence, at_ms);
      ++(a.status == EnvelopeStatus::accepted ? report.accepted : report.duplicate);
    }
    if (!s) {
      report.error = s.error();
      return {};
    }
  }
  return {true};
}

}  // namespace vigil::agent
