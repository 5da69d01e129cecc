// Writing to the evidence cache: a scan with its drift and envelope in one
// transaction, and retention with gap records (see cache.hpp and
// docs/architecture.md, "Evidence cache").
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <exception>

#include "cache.hpp"
#include "crypto.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

std::string json_strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(sanitize_utf8(s));
  return json::serialize(a);
}

std::string host_name(const ScanReport& report, const ReportMeta& meta) {
  if (const auto* h = meta.host.if_contains("hostname"); h != nullptr && h->is_string())
    return std::string(h->get_string());
  for (std::size_t i = 0; i < report.host_info.columns.size(); ++i) {
    if (report.host_info.columns[i] != "hostname" || report.host_info.rows.empty()) continue;
    if (const auto* s = std::get_if<std::string>(&report.host_info.rows[0].at(i))) return sanitize_utf8(*s);
  }
  return {};
}

Result<SignedEnvelope> call_signer(const std::function<Result<SignedEnvelope>()>& call,
                                   std::int64_t sequence) {
  const std::string where = "signing sequence " + std::to_string(sequence) + ": ";
  try {
    auto env = call();
    if (!env) return make_error(env.error().code, where + env.error().message);
    if (env->bytes.empty()) return make_error(Errc::invalid, where + "the signer returned an empty envelope");
    if (env->bytes.size() > kMaxEnvelopeBytes)
      return make_error(Errc::too_large, where + "the envelope is " + std::to_string(env->bytes.size()) +
                                             " bytes, over the cap of " + std::to_string(kMaxEnvelopeBytes));
    const std::string actual = crypto::sha256_hex(env->bytes);
    if (env->digest != actual)
      return make_error(Errc::invalid, where + "the signer's digest '" + env->digest +
                                           "' is not the SHA-256 of the envelope (" + actual + ")");
    return env;
  } catch (const std::exception& e) {
    // The signer is another module's code: its exception stops here.
    return make_error(Errc::internal, where + "the signer threw: " + e.what());
  }
}

struct PriorState {
  bool found = false;
  std::string verdict;
  std::int64_t first_seen_ms = 0, first_seen_scan_id = 0;
  std::int64_t last_seen_ms = 0, last_seen_scan_id = 0, last_seen_sequence = 0;
  std::optional<std::int64_t> last_result_id;
};

}  // namespace

std::string Transition::kind() const {
  if (!before_verdict) return "new";
  return *before_verdict + "->" + after_verdict;
}

Result<RecordedScan> Cache::record_scan(const ScanReport& report, const ReportMeta& meta,
                                        const ScanSigner& sign) {
  if (opts_.access != CacheAccess::read_write)
    return make_error(Errc::invalid, path_ + ": opened read-only; cannot record a scan");
  if (!sign) return make_error(Errc::invalid, "record_scan: no signer");
  for (std::size_t i = 0; i < report.results.size(); ++i) {
    if (report.results[i].pack == nullptr || report.results[i].check == nullptr)
      return make_error(Errc::invalid,
                        "record_scan: result " + std::to_string(i) + " names no policy or check");
  }
  const std::int64_t now = now_ms();
  sql::Transaction tx(db_, sql::TransactionMode::immediate);
  if (Status s = tx.begin(); !s)
    return make_error(Errc::sql, path_ + ": cannot start the write transaction: " + s.error().message);
  auto link = next_link();
  if (!link) return link.error();

  const VerdictCounts c = count_verdicts(report);
  const std::string host = host_name(report, meta);
  const std::string host_info = json::serialize(meta.host);
  const std::string root = sanitize_utf8(report.root), version = sanitize_utf8(meta.vigil_version);
  if (Status s = run("INSERT INTO scans(sequence, started_at_ms, duration_ms, recorded_at_ms, host, root, "
                     "agent_version, host_info, result_count, pass_count, fail_count, not_applicable_count, "
                     "error_count, waived_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     {link->sequence, report.started_at_ms, report.duration_ms, now, std::string_view(host),
                      std::string_view(root), std::string_view(version), std::string_view(host_info),
                      static_cast<std::int64_t>(report.results.size()), static_cast<std::int64_t>(c.pass),
                      static_cast<std::int64_t>(c.fail), static_cast<std::int64_t>(c.not_applicable),
                      static_cast<std::int64_t>(c.error), static_cast<std::int64_t>(c.waived)});
      !s)
    return s.error();
  const std::int64_t scan_id = db_.last_insert_rowid();

  for (std::size_t i = 0; i < report.packs.size(); ++i) {
    const PolicyPack* p = report.packs[i];
    if (p == nullptr) continue;
    const std::string id = sanitize_utf8(p->id), ver = sanitize_utf8(p->version),
                      src = sanitize_utf8(p->source), digest = sanitize_utf8(p->sha256);
    if (Status s = run("INSERT INTO scan_packs(scan_id, position, pack_id, version, source, sha256) VALUES "
                       "(?, ?, ?, ?, ?, ?)",
                       {scan_id, static_cast<std::int64_t>(i), std::string_view(id), std::string_view(ver),
                        std::string_view(src), std::string_view(digest)});
        !s)
      return s.error();
  }

  RecordedScan out;
  out.scan_id = scan_id;
  out.sequence = link->sequence;
  for (const CheckResult& r : report.results) {
    const std::string policy_id = sanitize_utf8(r.pack->id), check_id = sanitize_utf8(r.check->id);
    const std::string verdict = verdict_name(r.verdict);
    const std::string title = sanitize_utf8(r.check->title), message = sanitize_utf8(r.message);
    const std::string pver = sanitize_utf8(r.pack->version);
    const std::string c22 = json_strings(r.check->controls_2022), c13 = json_strings(r.check->controls_2013);
    if (Status s = run(
            "INSERT INTO results(scan_id, policy_id, policy_version, check_id, title, severity, verdict, "
            "message, controls_2022, controls_2013, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {scan_id, std::string_view(policy_id), std::string_view(pver), std::string_view(check_id),
             std::string_view(title), std::string_view(severity_name(r.check->severity)),
             std::string_view(verdict), std::string_view(message), std::string_view(c22),
             std::string_view(c13), r.duration_ms});
        !s)
      return make_error(s.error().code, s.error().message + " (check " + policy_id + "/" + check_id + ")");
    const std::int64_t result_id = db_.last_insert_rowid();

    json::array rows;
    rows.reserve(r.evidence.rows.size());
    for (const auto& row : r.evidence.rows) {
      json::array jr;
      for (const auto& v : row) jr.push_back(value_to_json(v));
      rows.push_back(std::move(jr));
    }
    const std::string cols = json_strings(r.evidence.columns), rows_text = json::serialize(rows);
    if (Status s = run(
            "INSERT INTO evidence(result_id, columns, rows, total_rows, truncated) VALUES (?, ?, ?, ?, ?)",
            {result_id, std::string_view(cols), std::string_view(rows_text),
             static_cast<std::int64_t>(r.evidence.total_rows),
             static_cast<std::int64_t>(r.evidence.truncated() ? 1 : 0)});
        !s)
      return s.error();

    // Drift against the check's state (kept across retention).
    auto st = cached(
        "SELECT verdict, first_seen_ms, first_seen_scan_id, last_seen_ms, last_seen_scan_id, "
        "last_seen_sequence, "
        "last_result_id FROM check_state WHERE policy_id = ? AND check_id = ?");
    if (!st) return st.error();
    if (Status s = (*st)->bind_all({std::string_view(policy_id), std::string_view(check_id)}); !s)
      return s.error();
    PriorState prior;
    if ((*st)->step()) {
      prior.found = true;
      prior.verdict = (*st)->column_text(0);
      prior.first_seen_ms = (*st)->column_int(1);
      prior.first_seen_scan_id = (*st)->column_int(2);
      prior.last_seen_ms = (*st)->column_int(3);
      prior.last_seen_scan_id = (*st)->column_int(4);
      prior.last_seen_sequence = (*st)->column_int(5);
      if (!(*st)->column_is_null(6)) prior.last_result_id = (*st)->column_int(6);
    } else if (!(*st)->succeeded()) {
      return make_error(Errc::sql, path_ + ": " + db_.last_error());
    }
    (void)(*st)->reset();

    const bool changed = !prior.found || prior.verdict != verdict;
    if (changed) {
      sql::Param before_verdict = nullptr, before_scan = nullptr, before_seq = nullptr, before_seen = nullptr,
                 before_result = nullptr;
      if (prior.found) {
        before_verdict = std::string_view(prior.verdict);
        before_scan = prior.last_seen_scan_id;
        before_seq = prior.last_seen_sequence;
        before_seen = prior.last_seen_ms;
        if (prior.last_result_id) before_result = *prior.last_result_id;
      }
      if (Status s = run("INSERT INTO transitions(policy_id, check_id, before_verdict, after_verdict, at_ms, "
                         "before_scan_id, before_sequence, before_seen_ms, before_result_id, after_scan_id, "
                         "after_sequence, after_result_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         {std::string_view(policy_id), std::string_view(check_id), before_verdict,
                          std::string_view(verdict), report.started_at_ms, before_scan, before_seq,
                          before_seen, before_result, scan_id, link->sequence, result_id});
          !s)
        return s.error();
      ++out.transitions;
    }
    const std::int64_t first_ms = changed ? report.started_at_ms : prior.first_seen_ms;
    const std::int64_t first_scan = changed ? scan_id : prior.first_seen_scan_id;
    if (Status s =
            run("INSERT OR REPLACE INTO check_state(policy_id, check_id, verdict, first_seen_ms, "
                "first_seen_scan_id, last_seen_ms, last_seen_scan_id, last_seen_sequence, last_result_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {std::string_view(policy_id), std::string_view(check_id), std::string_view(verdict), first_ms,
                 first_scan, report.started_at_ms, scan_id, link->sequence, result_id});
        !s)
      return s.error();
    ++out.results;
  }

  auto env = call_signer([&] { return sign(*link); }, link->sequence);
  if (!env) return env.error();
  if (Status s = append_envelope(*link, *env, "scan", now); !s) return s.error();
  if (Status s = tx.commit(); !s) return make_error(Errc::sql, path_ + ": commit: " + s.error().message);
  out.digest = env->digest;
  return out;
}

namespace {

struct Entry {
  std::int64_t sequence = 0;
  std::int64_t time_ms = 0;
  bool unshipped = false;
  bool is_scan = false;
};

struct Dropped {
  std::int64_t sequence = 0, time_ms = 0;
  std::string reason;
};

}  // namespace

Result<RetentionReport> Cache::apply_retention(const RetentionPolicy& policy, const GapSigner& sign) {
  if (opts_.access != CacheAccess::read_write)
    return make_error(Errc::invalid, path_ + ": opened read-only; cannot apply retention");
  if (!sign) return make_error(Errc::invalid, "apply_retention: no gap signer");
  if (policy.max_age_days < 0 || policy.max_bytes < 0 || policy.max_scans < 0)
    return make_error(Errc::invalid, "retention: a cap is negative");
  const std::int64_t now = now_ms();
  sql::Transaction tx(db_, sql::TransactionMode::immediate);
  if (Status s = tx.begin(); !s)
    return make_error(Errc::sql, path_ + ": cannot start the retention transaction: " + s.error().message);
  RetentionReport rep;
  auto used = used_bytes();
  if (!used) return used.error();
  rep.bytes_before = *used;

  // Every chain entry still holding data, oldest first.
  std::vector<Entry> entries;
  {
    auto s = db_.prepare(
        "SELECT c.sequence, COALESCE(s.started_at_ms, o.created_at_ms, c.created_at_ms), "
        "o.sequence IS NOT NULL AND o.shipped_at_ms IS NULL, s.id IS NOT NULL FROM chain c "
        "LEFT JOIN outbox o ON o.sequence = c.sequence LEFT JOIN scans s ON s.sequence = c.sequence "
        "WHERE o.sequence IS NOT NULL OR s.id IS NOT NULL ORDER BY c.sequence");
    if (!s) return make_error(Errc::sql, path_ + ": " + s.error().message);
    while (s->step())
      entries.push_back({s->column_int(0), s->column_int(1), s->column_int(2) != 0, s->column_int(3) != 0});
    if (!s->succeeded()) return make_error(Errc::sql, path_ + ": " + db_.last_error());
  }
  // The newest scan, and anything after it, always stays.
  std::size_t protected_from = entries.size();
  for (std::size_t i = entries.size(); i-- > 0;) {
    if (entries[i].is_scan) {
      protected_from = i;
      break;
    }
  }
  std::vector<bool> gone(entries.size(), false);
  std::vector<Dropped> unshipped;
  std::size_t next = 0;  // entries before `next` have been considered for removal in order
  auto drop = [&](std::size_t i, const std::string& reason) -> Status {
    if (gone[i]) return {};
    gone[i] = true;
    const Entry& e = entries[i];
    if (Status s = run("DELETE FROM scans WHERE sequence = ?", {e.sequence}); !s) return s;
    rep.scans_removed += db_.changes();
    if (Status s = run("DELETE FROM outbox WHERE sequence = ?", {e.sequence}); !s) return s;
    rep.envelopes_removed += db_.changes();
    if (e.unshipped) {
      ++rep.unshipped_removed;
      unshipped.push_back({e.sequence, e.time_ms, reason});
    }
    return {};
  };

  if (policy.max_age_days > 0) {
    const std::int64_t cutoff = now - policy.max_age_days * 86400000LL;
    const std::string reason = "retention cap max_age_days=" + std::to_string(policy.max_age_days) +
                               ": older than " + std::to_string(policy.max_age_days) + " days";
    for (std::size_t i = 0; i < protected_from; ++i) {
      if (entries[i].time_ms < cutoff) {
        if (Status s = drop(i, reason); !s) return s.error();
      }
    }
  }
  if (policy.max_scans > 0) {
    std::int64_t scans = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) scans += (!gone[i] && entries[i].is_scan) ? 1 : 0;
    const std::string reason = "retention cap max_scans=" + std::to_string(policy.max_scans);
    for (std::size_t i = 0; i < protected_from && scans > policy.max_scans; ++i) {
      if (gone[i] || !entries[i].is_scan) continue;
      if (Status s = drop(i, reason); !s) return s.error();
      --scans;
    }
  }
  if (policy.max_bytes > 0) {
    const std::string reason = "retention cap max_bytes=" + std::to_string(policy.max_bytes) + " (" +
                               std::to_string(rep.bytes_before) + " bytes in use)";
    // Room for the gap records written after the loop.
    auto page = db_.query_int("PRAGMA page_size");
    if (!page) return make_error(Errc::sql, path_ + ": " + page.error().message);
    const std::int64_t target = std::max<std::int64_t>(policy.max_bytes - 8 * *page, 0);
    while (true) {
      auto u = used_bytes();
      if (!u) return u.error();
      if (*u <= target) break;
      std::size_t remaining = 0;
      for (std::size_t i = 0; i < entries.size(); ++i) remaining += gone[i] ? 0u : 1u;
      while (next < protected_from && gone[next]) ++next;
      if (next >= protected_from || remaining == 0) break;
      // Drop about as many entries as the excess is worth, then measure again.
      const double per_entry = static_cast<double>(*u) / static_cast<double>(remaining);
      auto n = static_cast<std::size_t>(std::ceil(static_cast<double>(*u - target) / per_entry));
      for (std::size_t k = 0; k < std::max<std::size_t>(n, 1) && next < protected_from; ++next) {
        if (gone[next]) continue;
        if (Status s = drop(next, reason); !s) return s.error();
        ++k;
      }
    }
  }

  // One gap record per run of consecutive unshipped sequences dropped for one cap.
  std::sort(unshipped.begin(), unshipped.end(),
            [](const Dropped& a, const Dropped& b) { return a.sequence < b.sequence; });
  for (std::size_t i = 0; i < unshipped.size();) {
    std::size_t j = i;
    while (j + 1 < unshipped.size() && unshipped[j + 1].sequence == unshipped[j].sequence + 1 &&
           unshipped[j + 1].reason == unshipped[i].reason)
      ++j;
    GapInfo info{unshipped[i].sequence, unshipped[j].sequence, unshipped[i].time_ms, unshipped[j].time_ms,
                 unshipped[i].reason};
    for (std::size_t k = i; k <= j; ++k) {
      info.first_time_ms = std::min(info.first_time_ms, unshipped[k].time_ms);
      info.last_time_ms = std::max(info.last_time_ms, unshipped[k].time_ms);
    }
    auto link = next_link();
    if (!link) return link.error();
    auto env = call_signer([&] { return sign(*link, info); }, link->sequence);
    if (!env) return env.error();
    if (Status s = append_envelope(*link, *env, "gap", now); !s) return s.error();
    if (Status s = run(
            "INSERT INTO gaps(sequence, first_sequence, last_sequence, first_time_ms, last_time_ms, reason) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            {link->sequence, info.first_sequence, info.last_sequence, info.first_time_ms, info.last_time_ms,
             std::string_view(info.reason)});
        !s)
      return s.error();
    rep.gaps.push_back({link->sequence, info});
    i = j + 1;
  }
  if (Status s = tx.commit(); !s) return make_error(Errc::sql, path_ + ": commit: " + s.error().message);
  // Give the freed pages back to the file system (auto_vacuum = INCREMENTAL).
  if (rep.scans_removed + rep.envelopes_removed > 0) {
    if (Status s = db_.exec("PRAGMA incremental_vacuum"); !s)
      return make_error(Errc::sql, path_ + ": incremental_vacuum: " + s.error().message);
  }
  auto after = used_bytes();
  if (!after) return after.error();
  rep.bytes_after = *after;
  rep.still_over_size = policy.max_bytes > 0 && rep.bytes_after > policy.max_bytes;
  return rep;
}

}  // namespace vigil::agent
