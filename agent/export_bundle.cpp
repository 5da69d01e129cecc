// Reading an evidence bundle for the auditor formats (see export_bundle.hpp).
#include "export_bundle.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "crypto.hpp"
#include "strings.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

std::string str_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::vector<std::string> strings_of(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& s : v->get_array()) {
    if (s.is_string()) out.emplace_back(s.get_string());
  }
  return out;
}

std::optional<std::int64_t> time_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return parse_iso_time(std::string_view(v->get_string()));
}

BundleEnvelope read_envelope(const json::value& item, std::size_t index) {
  BundleEnvelope e;
  e.index = index;
  const json::string* bytes = nullptr;
  if (item.is_object()) {
    const auto& o = item.get_object();
    if (const auto* s = o.if_contains("sequence"); s != nullptr && s->is_int64()) e.sequence = s->get_int64();
    if (const auto* b = o.if_contains("envelope"); b != nullptr && b->is_string()) bytes = &b->get_string();
  }
  if (bytes == nullptr) {
    e.decode_error = "not an object with an \"envelope\" string";
    return e;
  }
  e.sha256 = crypto::sha256_hex(std::string_view(*bytes));
  auto env = parse_envelope(std::string_view(*bytes));
  if (!env) {
    e.decode_error = env.error().message;
    return e;
  }
  auto st = decode_statement(*env);
  if (!st) {
    e.decode_error = st.error().message;
    return e;
  }
  e.sequence = st->sequence;
  e.statement.emplace(std::move(*st));
  return e;
}

void collect_packs(EvidenceBundle& b) {
  for (const auto* s : b.scans) {
    const auto* pol = s->statement->predicate.if_contains("policies");
    if (pol == nullptr || !pol->is_array()) continue;
    for (const auto& p : pol->get_array()) {
      if (!p.is_object()) continue;
      const auto& o = p.get_object();
      PackUse u{str_of(o, "id"), str_of(o, "version"), str_of(o, "source"), str_of(o, "sha256"), 0, 0, 0};
      auto it = std::find_if(b.packs.begin(), b.packs.end(), [&](const PackUse& x) {
        return x.id == u.id && x.version == u.version && x.sha256 == u.sha256;
      });
      if (it == b.packs.end()) {
        u.first_sequence = s->statement->sequence;
        b.packs.push_back(u);
        it = b.packs.end() - 1;
      }
      it->last_sequence = s->statement->sequence;
      ++it->scans;
    }
  }
}

bool selected(const EvidenceBundle& b, const std::string& check, const std::vector<std::string>& controls) {
  const auto& cf = b.check_filter;
  if (!cf.empty() && std::find(cf.begin(), cf.end(), check) == cf.end()) return false;
  if (b.control_filter.empty()) return true;
  return std::any_of(controls.begin(), controls.end(), [&](const std::string& c) {
    return std::find(b.control_filter.begin(), b.control_filter.end(), c) != b.control_filter.end();
  });
}

void collect_checks(EvidenceBundle& b) {
  std::map<std::string, CheckHistory> by_id;
  for (const auto* s : b.scans) {
    const auto* results = s->statement->predicate.if_contains("results");
    if (results == nullptr || !results->is_array()) continue;
    for (const auto& r : results->get_array()) {
      if (!r.is_object()) continue;
      const auto& o = r.get_object();
      const std::string id = str_of(o, "check");
      std::vector<std::string> controls;
      if (const auto* c = o.if_contains("controls"); c != nullptr && c->is_object())
        controls = strings_of(c->get_object().if_contains("iso27001-2022"));
      if (!selected(b, id, controls)) continue;
      auto& h = by_id[id];
      h.check = id;
      h.policy = str_of(o, "policy");
      h.title = str_of(o, "title");
      h.severity = str_of(o, "severity");
      for (auto& c : controls) {
        if (std::find(h.controls_2022.begin(), h.controls_2022.end(), c) == h.controls_2022.end())
          h.controls_2022.push_back(std::move(c));
      }
      Outcome out;
      out.scan = s;
      out.verdict = str_of(o, "verdict");
      out.message = str_of(o, "message");
      if (const auto* e = o.if_contains("evidence"); e != nullptr && e->is_object())
        out.evidence = &e->get_object();
      h.tally.add(out.verdict);
      h.outcomes.push_back(std::move(out));
    }
  }
  for (auto& [id, h] : by_id) {
    std::sort(h.controls_2022.begin(), h.controls_2022.end(),
              [](const std::string& x, const std::string& y) { return control_id_less(x, y); });
    b.checks.push_back(std::move(h));
  }
}

void summarise(ControlSummary& c) {
  const auto& t = c.tally;
  if (t.fail > 0) {
    c.reason = "fail";
  } else if (t.error > 0 || t.other > 0) {
    c.reason = "error";
  } else if (t.waived > 0) {
    c.reason = "waived";
  } else if (t.pass > 0) {
    c.reason = "pass";
  } else if (t.not_applicable > 0) {
    c.reason = "not-applicable";
  } else {
    c.reason = "no-evidence";
  }
  c.satisfied = c.reason == "pass" || c.reason == "not-applicable";
}

void collect_controls(EvidenceBundle& b, const ControlCatalog& catalog) {
  std::vector<std::string> ids;
  if (!b.control_filter.empty()) {
    ids = b.control_filter;
  } else {
    for (const auto& h : b.checks) {
      for (const auto& c : h.controls_2022) {
        if (catalog.has_2022(c)) ids.push_back(c);
      }
    }
  }
  std::sort(ids.begin(), ids.end(),
            [](const std::string& x, const std::string& y) { return control_id_less(x, y); });
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (const auto& id : ids) {
    ControlSummary c;
    c.id = id;
    c.title = catalog.title_2022(id);
    for (std::size_t i = 0; i < b.checks.size(); ++i) {
      const auto& h = b.checks[i];
      if (std::find(h.controls_2022.begin(), h.controls_2022.end(), id) == h.controls_2022.end()) continue;
      c.checks.push_back(i);
      for (const auto& o : h.outcomes) c.tally.add(o.verdict);
    }
    summarise(c);
    b.controls.push_back(std::move(c));
  }
  for (std::size_t i = 0; i < b.checks.size(); ++i) {
    const auto& cs = b.checks[i].controls_2022;
    if (std::none_of(cs.begin(), cs.end(), [&](const std::string& c) { return catalog.has_2022(c); }))
      b.unmapped_checks.push_back(i);
  }
}

}  // namespace

void VerdictTally::add(std::string_view verdict) noexcept {
  if (verdict == "pass") {
    ++pass;
  } else if (verdict == "fail") {
    ++fail;
  } else if (verdict == "not_applicable") {
    ++not_applicable;
  } else if (verdict == "error") {
    ++error;
  } else if (verdict == "waived") {
    ++waived;
  } else {
    ++other;  // not a verdict Vigil writes: counted as an error, never as a pass
  }
}

Result<std::unique_ptr<const EvidenceBundle>> read_evidence_bundle(std::string_view text,
                                                                   const VerifyOptions& opts,
                                                                   const ControlCatalog& catalog) {
  if (text.size() > kMaxBundleBytes)
    return make_error(Errc::too_large, "bundle: " + std::to_string(text.size()) + " bytes, over the cap of " +
                                           std::to_string(kMaxBundleBytes));
  json::value doc;
  {
    json::parse_options po;
    po.max_depth = 16;
    json::error_code ec;
    doc = json::parse(text, ec, {}, po);
    if (ec) return make_error(Errc::parse, "bundle: not valid JSON: " + ec.message());
  }
  if (!doc.is_object()) return make_error(Errc::parse, "bundle: not a JSON object");
  const auto& o = doc.get_object();
  const auto* items = o.if_contains("envelopes");
  if (items == nullptr || !items->is_array())
    return make_error(Errc::parse, "bundle: \"envelopes\" missing or not an array");

  auto b = std::make_unique<EvidenceBundle>();
  b->text_sha256 = crypto::sha256_hex(text);
  b->verification = verify_bundle(text, opts);
  if (const auto* m = o.if_contains("manifest"); m != nullptr && m->is_object()) {
    const auto& mo = m->get_object();
    b->host = str_of(mo, "host");
    b->from_ms = time_of(mo, "from");
    b->to_ms = time_of(mo, "to");
    b->created_at_ms = time_of(mo, "created_at");
    b->control_filter = strings_of(mo.if_contains("controls"));
    b->check_filter = strings_of(mo.if_contains("checks"));
  }
  if (const auto* keys = o.if_contains("public_keys"); keys != nullptr && keys->is_array()) {
    for (const auto& k : keys->get_array()) {
      if (k.is_object()) b->keys.push_back({str_of(k.get_object(), "key_id"), str_of(k.get_object(), "pem")});
    }
  }
  std::set<std::size_t> named;
  for (const auto& f : b->verification.failures) named.insert(f.index);
  std::size_t index = 0;
  for (const auto& item : items->get_array()) {
    b->envelopes.push_back(read_envelope(item, ++index));
    auto& e = b->envelopes.back();
    e.verified = e.statement.has_value() && named.count(e.index) == 0;
  }
  // Pointers into envelopes from here on: the vector is complete.
  for (const auto& e : b->envelopes) {
    if (!e.statement) continue;
    (e.statement->kind == StatementKind::scan ? b->scans : b->gap_records).push_back(&e);
  }
  auto by_seq = [](const BundleEnvelope* x, const BundleEnvelope* y) {
    return x->statement->sequence < y->statement->sequence;
  };
  std::stable_sort(b->scans.begin(), b->scans.end(), by_seq);
  std::stable_sort(b->gap_records.begin(), b->gap_records.end(), by_seq);
  if (b->host.empty() && !b->scans.empty()) b->host = b->scans.back()->statement->host;
  if (!b->scans.empty()) {
    const auto& p = b->scans.back()->statement->predicate;
    if (const auto* h = p.if_contains("host"); h != nullptr && h->is_object())
      b->host_facts = h->get_object();
  }
  for (const auto* s : b->scans) {
    std::string v;
    if (const auto* sc = s->statement->predicate.if_contains("scan"); sc != nullptr && sc->is_object()) {
      if (const auto* a = sc->get_object().if_contains("agent"); a != nullptr && a->is_object())
        v = str_of(a->get_object(), "version");
    }
    if (!v.empty() &&
        std::find(b->agent_versions.begin(), b->agent_versions.end(), v) == b->agent_versions.end())
      b->agent_versions.push_back(v);
  }
  collect_packs(*b);
  collect_checks(*b);
  collect_controls(*b, catalog);
  return std::unique_ptr<const EvidenceBundle>(std::move(b));
}

std::vector<std::string> verification_lines(const VerifyReport& r) {
  std::vector<std::string> out;
  for (const auto& f : r.failures) {
    std::string s = f.message;
    if (f.sequence && s.rfind("envelope #", 0) == 0) s = "sequence " + std::to_string(*f.sequence) + ", " + s;
    out.push_back(sanitize_utf8(s));
  }
  return out;
}

std::string name_based_uuid(std::string_view ns, std::string_view name) {
  std::string bytes;
  for (char c : ns) {
    if (c != '-') bytes.push_back(c);
  }
  // 32 hex digits to 16 bytes; a malformed namespace is a programming error,
  // caught by the tests, but never undefined behaviour.
  std::string raw;
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    auto nib = [](char c) -> unsigned {
      if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
      if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
      if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
      return 0;
    };
    raw.push_back(static_cast<char>((nib(bytes[i]) << 4) | nib(bytes[i + 1])));
  }
  raw.append(name);
  auto d = crypto::sha256(raw);
  d[6] = static_cast<unsigned char>((d[6] & 0x0f) | 0x50);
  d[8] = static_cast<unsigned char>((d[8] & 0x3f) | 0x80);
  const std::string hex = crypto::to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), 16));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

}  // namespace vigil::agent
