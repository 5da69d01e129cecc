// Evidence bundle verification and creation (see verify.hpp).
#include "verify.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <map>

#include "attest.hpp"
#include "report.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

// One envelope of the bundle that decoded as a statement.
struct Entry {
  std::size_t index = 0;
  std::string digest;  // SHA-256 of the envelope bytes
  Statement st;
  bool trusted = false;  // its signature verified with a trusted key
};

class Checker {
 public:
  explicit Checker(VerifyReport& r) : r_(r) {}
  void fail(std::size_t index, std::optional<std::int64_t> seq, std::string msg) {
    r_.failures.push_back(VerifyFailure{index, seq, std::move(msg)});
  }
  void bundle(std::string msg) { fail(0, std::nullopt, std::move(msg)); }

 private:
  VerifyReport& r_;
};

std::string range(std::int64_t a, std::int64_t b) {
  return a == b ? "sequence " + std::to_string(a)
                : "sequences " + std::to_string(a) + ".." + std::to_string(b);
}

std::string short_digest(const std::string& d) {
  return d.size() > 16 ? d.substr(0, 16) + "..." : d;
}

std::optional<std::int64_t> int_member(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  if (v == nullptr || !v->is_int64()) return std::nullopt;
  return v->get_int64();
}

// The trusted keys: --key, or the bundle's (each checked against its key_id).
std::vector<crypto::PublicKey> trusted_keys(const json::object& b, const VerifyOptions& opts, Checker& c) {
  std::vector<crypto::PublicKey> bundle_keys;
  const auto* keys = b.if_contains("public_keys");
  if (keys == nullptr || !keys->is_array()) {
    c.bundle("bundle: \"public_keys\" missing or not an array");
  } else {
    std::size_t i = 0;
    for (const auto& k : keys->get_array()) {
      const std::string where = "bundle: public_keys[" + std::to_string(i++) + "]";
      const auto* pem = k.is_object() ? k.get_object().if_contains("pem") : nullptr;
      const auto* id = k.is_object() ? k.get_object().if_contains("key_id") : nullptr;
      if (pem == nullptr || !pem->is_string() || id == nullptr || !id->is_string()) {
        c.bundle(where + ": needs \"key_id\" and \"pem\" strings");
        continue;
      }
      auto key = crypto::PublicKey::from_pem(std::string_view(pem->get_string()), where);
      if (!key) {
        c.bundle(key.error().message);
        continue;
      }
      if (key->key_id() != id->get_string()) {
        c.bundle(where + ": key_id " + sanitize_utf8(id->get_string()) + " is not the SHA-256 of its key (" +
                 key->key_id() + ")");
        continue;
      }
      bundle_keys.push_back(std::move(*key));
    }
  }
  if (!opts.pinned_key) {
    if (bundle_keys.empty()) c.bundle("bundle: no usable public key, and no --key given");
    return bundle_keys;
  }
  for (const auto& k : bundle_keys) {
    if (k.key_id() != opts.pinned_key->key_id())
      c.bundle("bundle: public key " + k.key_id() + " is not the trusted key " + opts.pinned_key->key_id() +
               " given with --key");
  }
  return {*opts.pinned_key};
}

// Decodes and checks one envelope on its own: JSON, statement, signature, digest.
std::optional<Entry> check_envelope(const json::value& item, std::size_t index,
                                    const std::vector<crypto::PublicKey>& keys, Checker& c) {
  std::optional<std::int64_t> hint;
  const json::string* bytes = nullptr;
  const json::string* hint_digest = nullptr;
  if (item.is_object()) {
    hint = int_member(item.get_object(), "sequence");
    if (const auto* e = item.get_object().if_contains("envelope"); e != nullptr && e->is_string())
      bytes = &e->get_string();
    if (const auto* d = item.get_object().if_contains("sha256"); d != nullptr && d->is_string())
      hint_digest = &d->get_string();
  }
  const std::string where = "envelope #" + std::to_string(index);
  if (bytes == nullptr) {
    c.fail(index, hint, where + ": not an object with an \"envelope\" string");
    return std::nullopt;
  }
  auto env = parse_envelope(std::string_view(*bytes));
  if (!env) {
    c.fail(index, hint, where + ": " + env.error().message);
    return std::nullopt;
  }
  auto st = decode_statement(*env);
  if (!st) {
    c.fail(index, hint, where + ": " + st.error().message);
    return std::nullopt;
  }
  // Constructed around the statement: its predicate stays in its arena.
  Entry e{index, crypto::sha256_hex(std::string_view(*bytes)), std::move(*st)};
  const std::int64_t seq = e.st.sequence;
  if (hint_digest != nullptr && *hint_digest != e.digest)
    c.fail(index, seq,
           where + ": the bundle lists SHA-256 " + short_digest(sanitize_utf8(*hint_digest)) +
               " but the envelope's is " + short_digest(e.digest));
  if (hint && *hint != seq)
    c.fail(index, seq,
           where + ": the bundle lists it as sequence " + std::to_string(*hint) + " but its statement says " +
               std::to_string(seq));
  // Signature: the first trusted key that one of the signatures names.
  const crypto::PublicKey* signer = nullptr;
  for (const auto& k : keys) {
    for (const auto& s : env->signatures) {
      if (s.keyid == k.key_id()) signer = &k;
    }
    if (signer != nullptr) break;
  }
  if (signer == nullptr) {
    std::string ids;
    for (const auto& s : env->signatures) ids += (ids.empty() ? "" : ", ") + sanitize_utf8(s.keyid);
    c.fail(index, seq,
           where + ": signed by key " + (ids.empty() ? "(no keyid)" : ids) + ", not a trusted key");
  } else if (Status s = verify_envelope(*env, *signer); !s.ok()) {
    c.fail(index, seq, where + ": " + s.error().message + " (payload or signature altered)");
  } else {
    e.trusted = true;
    if (e.st.key_id != signer->key_id()) {
      c.fail(index, seq,
             where + ": the statement names key " + sanitize_utf8(e.st.key_id) + " but was signed by " +
                 signer->key_id());
    }
  }
  if (e.st.computed_digest != e.st.subject_digest) {
    c.fail(index, seq,
           where + ": subject digest " + short_digest(e.st.subject_digest) + " is not the SHA-256 of its " +
               (e.st.kind == StatementKind::scan ? "results" : "gap record") + " (" +
               short_digest(e.st.computed_digest) + ")");
  }
  return e;
}

void check_chain(std::vector<Entry>& entries, VerifyReport& r, Checker& c) {
  // Order as given.
  for (std::size_t i = 1; i < entries.size(); ++i) {
    const auto& a = entries[i - 1];
    const auto& b = entries[i];
    if (b.st.sequence < a.st.sequence)
      c.fail(b.index, b.st.sequence,
             "sequence " + std::to_string(b.st.sequence) + " (envelope #" + std::to_string(b.index) +
                 ") comes after sequence " + std::to_string(a.st.sequence) + ": out of order");
  }
  std::map<std::int64_t, std::vector<const Entry*>> by_seq;
  for (const auto& e : entries) by_seq[e.st.sequence].push_back(&e);
  for (const auto& [seq, list] : by_seq) {
    if (list.size() < 2) continue;
    std::string where;
    bool same = true;
    for (const auto* e : list) {
      where += (where.empty() ? "#" : ", #") + std::to_string(e->index);
      same = same && e->digest == list[0]->digest;
    }
    if (same) {
      c.fail(list[1]->index, seq,
             "sequence " + std::to_string(seq) + " appears " + std::to_string(list.size()) +
                 " times (envelopes " + where + "): duplicated");
    } else {
      c.fail(list[1]->index, seq,
             "fork at sequence " + std::to_string(seq) + ": " + std::to_string(list.size()) +
                 " different envelopes (" + where + ") claim it");
    }
  }
  // Gap records that verified: the ranges they explain.
  std::vector<const Entry*> gaps;
  for (const auto& e : entries) {
    if (e.st.kind == StatementKind::gap && e.trusted && e.st.computed_digest == e.st.subject_digest)
      gaps.push_back(&e);
  }
  const Entry* prev = nullptr;
  for (const auto& [seq, list] : by_seq) {
    const Entry* cur = list[0];
    if (prev == nullptr) {
      prev = cur;
      continue;
    }
    const std::int64_t p = prev->st.sequence;
    if (seq == p + 1) {
      if (cur->st.previous_digest != prev->digest)
        c.fail(cur->index, seq,
               "sequence " + std::to_string(seq) + ": previous_digest " +
                   short_digest(cur->st.previous_digest) + " is not the SHA-256 of sequence " +
                   std::to_string(p) + " (" + short_digest(prev->digest) + "): the chain is broken");
    } else {
      const std::int64_t first = p + 1, last = seq - 1;
      const Entry* why = nullptr;
      for (const auto* g : gaps) {
        if (g->st.gap.first_sequence <= first && g->st.gap.last_sequence >= last) why = g;
      }
      if (why != nullptr) {
        r.covered_gaps.push_back(CoveredGap{first, last, why->st.gap.reason, why->st.sequence});
      } else {
        c.fail(cur->index, seq,
               range(first, last) + " missing between sequence " + std::to_string(p) + " and " +
                   std::to_string(seq) + ", and no gap record explains it");
      }
    }
    prev = cur;
  }
}

void check_manifest(const json::object& b, const std::vector<Entry>& entries, std::size_t count,
                    VerifyReport& r, Checker& c) {
  const auto* mv = b.if_contains("manifest");
  if (mv == nullptr || !mv->is_object()) {
    c.bundle("bundle: \"manifest\" missing or not an object");
    return;
  }
  const auto& m = mv->get_object();
  if (auto n = int_member(m, "count"); !n || *n < 0 || static_cast<std::size_t>(*n) != count)
    c.bundle("manifest: count " + (n ? std::to_string(*n) : std::string("missing")) + " but the bundle has " +
             std::to_string(count) + " envelopes");
  auto check_seq = [&](const char* key, std::optional<std::int64_t> actual) {
    const auto* v = m.if_contains(key);
    const bool matches = actual ? (v != nullptr && v->is_int64() && v->get_int64() == *actual)
                                : (v == nullptr || v->is_null());
    if (!matches)
      c.bundle(std::string("manifest: ") + key + " " + (v != nullptr ? json::serialize(*v) : "missing") +
               " but the envelopes' is " + (actual ? std::to_string(*actual) : "none"));
  };
  check_seq("first_sequence", r.first_sequence);
  check_seq("last_sequence", r.last_sequence);
  const auto* host = m.if_contains("host");
  if (host == nullptr || !host->is_string()) {
    c.bundle("manifest: \"host\" missing or not a string");
  } else {
    r.host = std::string(host->get_string());
    for (const auto& e : entries) {
      if (e.st.host != r.host)
        c.fail(e.index, e.st.sequence,
               "sequence " + std::to_string(e.st.sequence) + ": statement of host " +
                   sanitize_utf8(e.st.host) + ", the manifest's is " + sanitize_utf8(r.host));
    }
  }
  std::optional<std::int64_t> from, to;
  for (const char* key : {"from", "to"}) {
    const auto* v = m.if_contains(key);
    std::optional<std::int64_t> t;
    if (v != nullptr && v->is_string()) t = parse_iso_time(std::string_view(v->get_string()));
    if (!t)
      c.bundle(std::string("manifest: \"") + key + "\" missing or not a time like 2026-01-31T12:00:00Z");
    (std::string_view(key) == "from" ? from : to) = t;
  }
  if (from && to) {
    for (const auto& e : entries) {
      if (e.st.kind == StatementKind::scan && (e.st.time_ms < *from || e.st.time_ms > *to))
        c.fail(e.index, e.st.sequence,
               "sequence " + std::to_string(e.st.sequence) + ": scanned at " + iso_time(e.st.time_ms) +
                   ", outside the manifest's range " + iso_time(*from) + " .. " + iso_time(*to));
    }
  }
}

std::string failure_line(const VerifyFailure& f) {
  std::string s = f.message;
  // Messages from the envelope checks start with "envelope #N"; add the sequence.
  if (f.sequence && s.rfind("envelope #", 0) == 0) s = "sequence " + std::to_string(*f.sequence) + ", " + s;
  return s;
}

}  // namespace

std::optional<std::int64_t> parse_iso_time(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.mmm]Z
  if (s.size() != 20 && s.size() != 24) return std::nullopt;
  auto digits = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s.back() != 'Z')
    return std::nullopt;
  auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
       se = digits(17, 2);
  int ms = 0;
  if (s.size() == 24) {
    if (s[19] != '.') return std::nullopt;
    auto m = digits(20, 3);
    if (!m) return std::nullopt;
    ms = *m;
  }
  if (!y || !mo || !d || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 ||
      *mi > 59 || *se > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  tm.tm_hour = *h;
  tm.tm_min = *mi;
  tm.tm_sec = *se;
  const std::time_t t = timegm(&tm);
  if (tm.tm_mday != *d) return std::nullopt;  // 31 February rolled over
  return static_cast<std::int64_t>(t) * 1000 + ms;
}

Result<std::string> make_bundle(const std::vector<std::string>& envelopes, const crypto::PublicKey& key,
                                const BundleManifest& manifest) {
  json::array items;
  std::optional<std::int64_t> first, last;
  for (std::size_t i = 0; i < envelopes.size(); ++i) {
    const std::string where = "envelope #" + std::to_string(i + 1);
    auto env = parse_envelope(envelopes[i]);
    if (!env) return make_error(Errc::parse, where + ": " + env.error().message);
    auto st = decode_statement(*env);
    if (!st) return make_error(Errc::parse, where + ": " + st.error().message);
    if (!first) first = st->sequence;
    first = std::min(*first, st->sequence);
    last = std::max(last.value_or(st->sequence), st->sequence);
    items.push_back(json::object{{"sequence", st->sequence},
                                 {"sha256", crypto::sha256_hex(envelopes[i])},
                                 {"envelope", envelopes[i]}});
  }
  json::array controls, checks;
  for (const auto& c : manifest.controls) controls.emplace_back(sanitize_utf8(c));
  for (const auto& c : manifest.checks) checks.emplace_back(sanitize_utf8(c));
  json::object m{{"host", sanitize_utf8(manifest.host)},
                 {"from", iso_time(manifest.from_ms)},
                 {"to", iso_time(manifest.to_ms)},
                 {"controls", std::move(controls)},
                 {"checks", std::move(checks)},
                 {"first_sequence", first ? json::value(*first) : json::value(nullptr)},
                 {"last_sequence", last ? json::value(*last) : json::value(nullptr)},
                 {"count", envelopes.size()},
                 {"created_at", iso_time(manifest.created_at_ms)}};
  json::object b{{"schema", kBundleSchema},
                 {"public_keys", json::array{json::object{{"key_id", key.key_id()}, {"pem", key.pem()}}}},
                 {"manifest", std::move(m)},
                 {"envelopes", std::move(items)}};
  return pretty_json(b);
}

VerifyReport verify_bundle(std::string_view bundle, const VerifyOptions& opts) {
  VerifyReport r;
  Checker c(r);
  r.key_pinned = opts.pinned_key.has_value();
  if (bundle.size() > kMaxBundleBytes) {
    c.bundle("bundle: " + std::to_string(bundle.size()) + " bytes, over the cap of " +
             std::to_string(kMaxBundleBytes));
    return r;
  }
  json::value doc;
  {
    json::parse_options po;
    po.max_depth = 16;
    json::error_code ec;
    doc = json::parse(bundle, ec, {}, po);
    if (ec) {
      c.bundle("bundle: not valid JSON: " + ec.message());
      return r;
    }
  }
  if (!doc.is_object()) {
    c.bundle("bundle: not a JSON object");
    return r;
  }
  const auto& b = doc.get_object();
  const auto* schema = b.if_contains("schema");
  if (schema == nullptr || !schema->is_string() || schema->get_string() != kBundleSchema) {
    c.bundle("bundle: \"schema\" is not \"" + std::string(kBundleSchema) + "\"");
    return r;
  }
  const auto keys = trusted_keys(b, opts, c);
  for (const auto& k : keys) r.key_ids.push_back(k.key_id());
  const auto* items = b.if_contains("envelopes");
  if (items == nullptr || !items->is_array()) {
    c.bundle("bundle: \"envelopes\" missing or not an array");
    return r;
  }
  r.envelopes = items->get_array().size();
  std::vector<Entry> entries;
  std::size_t index = 0;
  for (const auto& item : items->get_array()) {
    if (auto e = check_envelope(item, ++index, keys, c)) entries.push_back(std::move(*e));
  }
  for (const auto& e : entries) {
    if (!e.trusted) continue;
    (e.st.kind == StatementKind::scan ? r.scans : r.gap_records) += 1;
  }
  for (const auto& e : entries) {
    r.first_sequence = std::min(r.first_sequence.value_or(e.st.sequence), e.st.sequence);
    r.last_sequence = std::max(r.last_sequence.value_or(e.st.sequence), e.st.sequence);
  }
  check_chain(entries, r, c);
  check_manifest(b, entries, r.envelopes, r, c);
  // Failures in chain order, bundle-level ones first, for a readable report.
  std::stable_sort(r.failures.begin(), r.failures.end(), [](const VerifyFailure& x, const VerifyFailure& y) {
    return x.sequence.value_or(0) < y.sequence.value_or(0);
  });
  return r;
}

std::string verify_report_text(const VerifyReport& r, const std::string& bundle_name) {
  std::string out;
  const std::string name = terminal_safe(bundle_name);
  std::string keys;
  for (const auto& k : r.key_ids) keys += (keys.empty() ? "" : ", ") + k;
  if (r.ok()) {
    out += name + ": " + std::to_string(r.envelopes) + " envelopes (" + std::to_string(r.scans) + " scans, " +
           std::to_string(r.gap_records) + " gap records)";
    if (r.first_sequence)
      out += ", sequences " + std::to_string(*r.first_sequence) + ".." + std::to_string(*r.last_sequence);
    out += ", key " + (keys.empty() ? std::string("none") : keys) + ", chain intact\n";
    for (const auto& g : r.covered_gaps) {
      out += "  " + range(g.first_sequence, g.last_sequence) +
             " dropped before export, explained by the gap record at sequence " +
             std::to_string(g.recorded_at_sequence) + ": " + terminal_safe(g.reason) + "\n";
    }
    if (!r.key_pinned)
      out +=
          "  note: the key is the bundle's own; pass --key with the host's enrolled public key to pin it\n";
    return out;
  }
  out += name + ": verification FAILED, " + std::to_string(r.failures.size()) +
         (r.failures.size() == 1 ? " problem:\n" : " problems:\n");
  for (const auto& f : r.failures) out += "  " + terminal_safe(failure_line(f)) + "\n";
  return out;
}

json::value verify_report_json(const VerifyReport& r, const std::string& bundle_name) {
  json::array failures;
  for (const auto& f : r.failures) {
    failures.push_back(
        json::object{{"index", f.index == 0 ? json::value(nullptr) : json::value(f.index)},
                     {"sequence", f.sequence ? json::value(*f.sequence) : json::value(nullptr)},
                     {"message", sanitize_utf8(failure_line(f))}});
  }
  json::array gaps;
  for (const auto& g : r.covered_gaps) {
    gaps.push_back(json::object{{"first_sequence", g.first_sequence},
                                {"last_sequence", g.last_sequence},
                                {"reason", sanitize_utf8(g.reason)},
                                {"recorded_at_sequence", g.recorded_at_sequence}});
  }
  json::array keys;
  for (const auto& k : r.key_ids) keys.emplace_back(k);
  return json::object{
      {"schema", "vigil.verify-result.v1"},
      {"bundle", sanitize_utf8(bundle_name)},
      {"ok", r.ok()},
      {"envelopes", r.envelopes},
      {"scans", r.scans},
      {"gap_records", r.gap_records},
      {"first_sequence", r.first_sequence ? json::value(*r.first_sequence) : json::value(nullptr)},
      {"last_sequence", r.last_sequence ? json::value(*r.last_sequence) : json::value(nullptr)},
      {"host", sanitize_utf8(r.host)},
      {"key_ids", std::move(keys)},
      {"key_pinned", r.key_pinned},
      {"covered_gaps", std::move(gaps)},
      {"failures", std::move(failures)},
  };
}

}  // namespace vigil::agent
