// OSCAL assessment-results of an evidence bundle (see export_oscal.hpp and
// docs/evidence-bundle.md, "OSCAL export").
#include "export_oscal.hpp"

#include <boost/json.hpp>

#include "crypto.hpp"
#include "report.hpp"
#include "strings.hpp"
#include "text_escape.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

// OSCAL's StringDatatype: one line, no whitespace at either end, not empty.
std::string one_line(std::string_view s) {
  std::string out = single_line_text(s);
  return out.empty() ? std::string("(empty)") : out;
}

json::object prop(std::string_view name, std::string_view value) {
  return json::object{{"name", name}, {"ns", kOscalPropNs}, {"value", one_line(value)}};
}

std::string time_or_epoch(std::optional<std::int64_t> t) {
  return iso_time(t.value_or(0));
}

std::string percent_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~' || c == '/') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out.empty() ? std::string("bundle.json") : out;
}

class Builder {
 public:
  Builder(const EvidenceBundle& b, const OscalOptions& o) : b_(b), o_(o) {
    std::string key = "host\n" + b.host + "\nfrom\n" + time_or_epoch(b.from_ms) + "\nto\n" +
                      time_or_epoch(b.to_ms) + "\ncontrols\n" + join(b.control_filter, ",") + "\nchecks\n" +
                      join(b.check_filter, ",") + "\nverified\n" + (b.all_verified() ? "yes" : "no") + "\n";
    for (const auto& e : b.envelopes) key += e.sha256 + "\n";
    doc_key_ = crypto::sha256_hex(key);
  }

  json::value build() {
    json::object ar;
    ar["uuid"] = uuid("assessment-results", doc_key_);
    ar["metadata"] = metadata();
    ar["import-ap"] = json::object{
        {"href", "#" + uuid("policy-packs", doc_key_)},
        {"remarks",
         "There is no separate OSCAL assessment plan: the plan is the Vigil policy packs listed in the "
         "back-matter resource this link names (id, version and SHA-256 of each pack's text)."}};
    ar["results"] = json::array{result()};
    ar["back-matter"] = back_matter();
    return json::object{{"assessment-results", std::move(ar)}};
  }

 private:
  std::string uuid(std::string_view kind, std::string_view key) const {
    std::string name(kind);
    name += '\n';
    name += key;
    return name_based_uuid(kOscalUuidNamespace, name);
  }
  std::string envelope_uuid(const BundleEnvelope& e) const { return uuid("envelope", e.sha256); }
  std::string observation_uuid(const Outcome& o, const CheckHistory& h) const {
    return uuid("observation", o.scan->sha256 + "\n" + h.check + (o.scan->verified ? "" : "\nunverified"));
  }
  std::string host_label() const { return b_.host.empty() ? std::string("unknown host") : b_.host; }
  std::string hostname() const {
    if (const auto* v = b_.host_facts.if_contains("hostname"); v != nullptr && v->is_string())
      return std::string(v->get_string());
    return "";
  }
  std::string period() const { return time_or_epoch(b_.from_ms) + " to " + time_or_epoch(b_.to_ms); }

  json::object metadata() const {
    json::array props{prop("bundle-sha256", b_.text_sha256),
                      prop("verification", b_.all_verified() ? "verified" : "failed"),
                      prop("key-pinned", b_.verification.key_pinned ? "true" : "false")};
    for (const auto& k : b_.verification.key_ids) props.push_back(prop("key-id", k));
    json::object party{{"uuid", uuid("party", b_.host)},
                       {"type", "organization"},
                       {"name", one_line("Host " + (hostname().empty() ? host_label() : hostname()))},
                       {"props", json::array{prop("host-id", host_label())}},
                       {"remarks",
                        "The host the evidence is from, named by its identity in the signed statements "
                        "(its machine id, else its hostname): " +
                            markdown_text(host_label()) +
                            ". OSCAL 1.0 parties are people or organisations; this one stands for the "
                            "operator of that host."}};
    json::object m{{"title", one_line("Vigil evidence for host " + host_label() + ", " + period())},
                   {"last-modified", time_or_epoch(b_.created_at_ms)},
                   {"version", "1.0"},
                   {"oscal-version", kOscalVersion},
                   {"props", std::move(props)},
                   {"parties", json::array{std::move(party)}}};
    if (!b_.all_verified())
      m["remarks"] =
          "**The evidence bundle did not verify.** This document was made with --allow-unverified; "
          "see the result's remarks for every problem.";
    return m;
  }

  json::object component() const {
    json::array props;
    for (const auto& v : b_.agent_versions) props.push_back(prop("agent-version", v));
    json::object c{{"uuid", uuid("component", "vigil-agent")},
                   {"type", "software"},
                   {"title", "Vigil agent"},
                   {"description",
                    "The Vigil agent on the host: it collected the facts, judged them with the policy packs "
                    "and signed each scan as a DSSE envelope of an in-toto statement."},
                   {"status", json::object{{"state", "operational"}}}};
    if (!props.empty()) c["props"] = std::move(props);
    return c;
  }

  json::object inventory_item() const {
    json::array props{prop("host-id", host_label())};
    for (const auto& kv : b_.host_facts) {
      const auto& v = kv.value();
      std::string text;
      if (v.is_string()) {
        text = std::string(v.get_string());
      } else if (v.is_int64() || v.is_uint64() || v.is_double() || v.is_bool()) {
        text = json::serialize(v);
      }
      if (single_line_text(text).empty()) continue;
      props.push_back(prop("host-" + token_text(kv.key()), text));
    }
    return json::object{{"uuid", uuid("inventory-item", b_.host)},
                        {"description", "The scanned host " + markdown_text(host_label()) +
                                            "; its facts are those of the latest scan in the period."},
                        {"props", std::move(props)}};
  }

  json::object observation(const Outcome& o, const CheckHistory& h) const {
    const auto& st = *o.scan->statement;
    json::array props{prop("check", h.check), prop("policy", h.policy), prop("verdict", o.verdict),
                      prop("severity", h.severity), prop("sequence", std::to_string(st.sequence))};
    for (const auto& c : h.controls_2022) props.push_back(prop("iso27001-2022", c));
    std::string evidence_text = "No evidence object in the statement.";
    if (o.evidence != nullptr) {
      std::size_t kept = 0;
      if (const auto* r = o.evidence->if_contains("rows"); r != nullptr && r->is_array())
        kept = r->get_array().size();
      std::string total = "unknown";
      if (const auto* t = o.evidence->if_contains("total_rows");
          t != nullptr && (t->is_int64() || t->is_uint64()))
        total = json::serialize(*t);
      props.push_back(prop("evidence-rows", std::to_string(kept)));
      props.push_back(prop("evidence-total-rows", total));
      // The evidence object as signed (canonical JSON: the same bytes as in the statement).
      evidence_text = "Evidence: " + std::to_string(kept) + " rows kept of " + total +
                      " the check's query returned" +
                      (total != std::to_string(kept) ? " (capped at scan time)" : "") +
                      ", exactly as signed:\n\n" + fenced_code(json::serialize(*o.evidence), "json");
    }
    if (!o.scan->verified) props.push_back(prop("verification", "failed"));
    std::string remarks = "Verdict **" + markdown_text(o.verdict) + "** in the scan at sequence " +
                          std::to_string(st.sequence) + " (" + iso_time(st.time_ms) + ")";
    remarks += o.message.empty() ? std::string(".") : ": " + markdown_text(o.message);
    remarks += "\n\n" + evidence_text;
    if (!o.scan->verified) remarks += "\n\n**This envelope did not verify**; see the result's remarks.";
    return json::object{
        {"uuid", observation_uuid(o, h)},
        {"title", one_line(h.check + ": " + o.verdict + " (sequence " + std::to_string(st.sequence) + ")")},
        {"description", markdown_text(h.title.empty() ? h.check : h.title)},
        {"props", std::move(props)},
        {"methods", json::array{"TEST"}},
        {"types", json::array{"control-objective"}},
        {"origins",
         json::array{json::object{
             {"actors", json::array{json::object{{"type", "tool"},
                                                 {"actor-uuid", uuid("component", "vigil-agent")}}}}}}},
        {"subjects", json::array{json::object{{"subject-uuid", uuid("inventory-item", b_.host)},
                                              {"type", "inventory-item"},
                                              {"title", one_line(host_label())}}}},
        {"relevant-evidence",
         json::array{
             json::object{{"href", "#" + envelope_uuid(*o.scan)},
                          {"description", "The signed DSSE envelope of the scan at sequence " +
                                              std::to_string(st.sequence) + " (SHA-256 " + o.scan->sha256 +
                                              "), which holds this result and its evidence rows."}}}},
        {"collected", iso_time(st.time_ms)},
        {"remarks", std::move(remarks)}};
  }

  static std::string tally_text(const VerdictTally& t) {
    std::string s;
    auto add = [&](std::size_t n, const char* what) {
      if (n > 0) s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + what;
    };
    add(t.pass, "pass");
    add(t.fail, "fail");
    add(t.error, "error");
    add(t.waived, "waived");
    add(t.not_applicable, "not applicable");
    add(t.other, "unknown verdict");
    return s.empty() ? std::string("no results") : s;
  }

  json::object finding(const ControlSummary& c) const {
    json::array related;
    std::string detail;
    for (std::size_t i : c.checks) {
      const auto& h = b_.checks[i];
      for (const auto& o : h.outcomes)
        related.push_back(json::object{{"observation-uuid", observation_uuid(o, h)}});
      detail += "\n- `" + markdown_text(h.check) + "` " + markdown_text(h.title) + ": " + tally_text(h.tally);
    }
    const std::string title = c.id + (c.title.empty() ? std::string() : " " + c.title);
    std::string description =
        c.checks.empty() ? "No check of the policy packs in this period maps to this control: no evidence."
                         : std::to_string(c.checks.size()) + (c.checks.size() == 1 ? " check" : " checks") +
                               " over " + std::to_string(b_.scans.size()) + " scans, " + period() + ": " +
                               tally_text(c.tally) + "." + "\n" + detail;
    json::object target{{"type", "objective-id"},
                        {"target-id", token_text(c.id)},
                        {"title", one_line(title)},
                        {"props", json::array{prop("catalog", "ISO/IEC 27001:2022 Annex A")}},
                        {"status", json::object{{"state", c.satisfied ? "satisfied" : "not-satisfied"},
                                                {"reason", c.reason}}}};
    json::object f{
        {"uuid", uuid("finding", doc_key_ + "\n" + c.id)},
        {"title", one_line(title)},
        {"description", std::move(description)},
        {"props", json::array{prop("iso27001-2022", c.id), prop("results", std::to_string(c.tally.total()))}},
        {"target", std::move(target)}};
    if (!related.empty()) f["related-observations"] = std::move(related);
    return f;
  }

  std::string verification_remarks() const {
    const auto& v = b_.verification;
    std::string s;
    if (v.ok()) {
      s = "The bundle verified: " + std::to_string(v.envelopes) + " envelopes (" + std::to_string(v.scans) +
          " scans, " + std::to_string(v.gap_records) +
          " gap records), every signature good, the chain intact";
      s += v.key_pinned ? ", with the host's key given to the verifier.\n"
                        : ", with the bundle's own key (not pinned: this proves consistency, not origin).\n";
    } else {
      s = "**Verification FAILED** with " + std::to_string(v.failures.size()) + " problems:\n";
      for (const auto& line : verification_lines(v)) s += "\n- " + markdown_text(line);
      s += "\n";
    }
    for (const auto& g : v.covered_gaps) {
      s += "\nSequences " + std::to_string(g.first_sequence) + " to " + std::to_string(g.last_sequence) +
           " were dropped before export, as the signed gap record at sequence " +
           std::to_string(g.recorded_at_sequence) + " says: " + markdown_text(g.reason) + "\n";
    }
    return s;
  }

  json::object result() const {
    json::object r;
    r["uuid"] = uuid("result", doc_key_);
    r["title"] = one_line("Continuous monitoring of " + host_label() + ", " + period());
    r["description"] =
        "The results of every scan the Vigil agent signed in the period, judged by its policy "
        "packs and mapped to ISO/IEC 27001:2022 Annex A controls.";
    r["start"] = time_or_epoch(b_.from_ms);
    r["end"] = time_or_epoch(b_.to_ms);
    json::array props{prop("scans", std::to_string(b_.scans.size())),
                      prop("gap-records", std::to_string(b_.gap_records.size())),
                      prop("verification", b_.all_verified() ? "verified" : "failed")};
    if (b_.verification.first_sequence) {
      props.push_back(prop("first-sequence", std::to_string(*b_.verification.first_sequence)));
      props.push_back(prop("last-sequence", std::to_string(*b_.verification.last_sequence)));
    }
    r["props"] = std::move(props);
    r["local-definitions"] = json::object{{"components", json::array{component()}},
                                          {"inventory-items", json::array{inventory_item()}}};
    json::object selection;
    if (b_.control_filter.empty()) {
      selection["include-all"] = json::object{};
    } else {
      json::array ids;
      for (const auto& c : b_.control_filter) ids.push_back(json::object{{"control-id", token_text(c)}});
      selection["include-controls"] = std::move(ids);
    }
    r["reviewed-controls"] =
        json::object{{"control-selections", json::array{std::move(selection)}},
                     {"remarks", "Controls of ISO/IEC 27001:2022 Annex A, by their ids (A.5.1 to A.8.34)."}};
    json::array observations;
    for (const auto& h : b_.checks) {
      for (const auto& o : h.outcomes) observations.push_back(observation(o, h));
    }
    if (!observations.empty()) r["observations"] = std::move(observations);
    json::array findings;
    for (const auto& c : b_.controls) findings.push_back(finding(c));
    if (!findings.empty()) r["findings"] = std::move(findings);
    r["remarks"] = verification_remarks();
    return r;
  }

  json::object envelope_resource(const BundleEnvelope& e) const {
    const bool gap = e.statement && e.statement->kind == StatementKind::gap;
    std::string seq = e.sequence ? std::to_string(*e.sequence) : std::string("unknown");
    json::array props{prop("sequence", seq), prop("envelope-index", std::to_string(e.index)),
                      prop("statement-type", !e.statement ? "undecodable"
                                             : gap        ? "gap"
                                                          : "scan"),
                      prop("verification", e.verified ? "verified" : "failed")};
    std::string remarks;
    if (e.statement) {
      props.push_back(prop("key-id", e.statement->key_id));
      props.push_back(prop("time", iso_time(e.statement->time_ms)));
      if (!e.statement->previous_digest.empty())
        props.push_back(prop("previous-digest", e.statement->previous_digest));
      remarks = gap ? "A signed gap record: sequences " + std::to_string(e.statement->gap.first_sequence) +
                          " to " + std::to_string(e.statement->gap.last_sequence) +
                          " were dropped, reason: " + markdown_text(e.statement->gap.reason)
                    : "The signed statement of one scan: every result with its evidence rows.";
    } else {
      remarks = "This envelope does not decode: " + markdown_text(e.decode_error);
    }
    json::object r{{"uuid", envelope_uuid(e)},
                   {"title", one_line((gap ? "Gap record, sequence " : "Scan statement, sequence ") + seq +
                                      " (DSSE envelope)")},
                   {"props", std::move(props)}};
    if (!e.sha256.empty()) {
      r["rlinks"] = json::array{json::object{
          {"href",
           percent_encode(o_.bundle_href) + "#/envelopes/" + std::to_string(e.index - 1) + "/envelope"},
          {"media-type", "application/vnd.dsse.envelope.v1+json"},
          {"hashes", json::array{json::object{{"algorithm", "SHA-256"}, {"value", e.sha256}}}}}};
    }
    r["remarks"] = std::move(remarks);
    return r;
  }

  json::object packs_resource() const {
    json::array props;
    std::string table =
        "| pack | version | source | SHA-256 of its text | sequences |\n|---|---|---|---|---|\n";
    for (const auto& p : b_.packs) {
      props.push_back(prop("policy-pack", p.id + " " + p.version));
      table += "| " + markdown_text(p.id) + " | " + markdown_text(p.version) + " | " +
               markdown_text(p.source) + " | " +
               (p.sha256.empty() ? std::string("unknown") : markdown_text(p.sha256)) + " | " +
               std::to_string(p.first_sequence) + " to " + std::to_string(p.last_sequence) + " |\n";
    }
    json::object r{{"uuid", uuid("policy-packs", doc_key_)},
                   {"title", "Vigil policy packs used in this period"}};
    if (!props.empty()) r["props"] = std::move(props);
    r["remarks"] = b_.packs.empty() ? std::string("No scan in this period, so no pack was used.")
                                    : "The checks of these packs are the assessment plan:\n\n" + table;
    return r;
  }

  json::object back_matter() const {
    json::array resources{packs_resource()};
    for (std::size_t i = 0; i < b_.keys.size(); ++i) {
      const auto& k = b_.keys[i];
      if (k.pem.empty()) continue;
      resources.push_back(json::object{
          {"uuid", uuid("public-key", k.key_id + "\n" + k.pem)},
          {"title", "Host public key (Ed25519)"},
          {"props", json::array{prop("key-id", k.key_id)}},
          {"base64", json::object{{"filename", "host-key.pub.pem"},
                                  {"media-type", "application/x-pem-file"},
                                  {"value", crypto::base64_encode(k.pem)}}},
          {"remarks",
           "The public key the bundle lists (key id: the SHA-256 of its SPKI DER). The envelopes' "
           "signatures verify with it; pin it with the host's enrolled key to prove origin."}});
    }
    for (const auto& e : b_.envelopes) resources.push_back(envelope_resource(e));
    return json::object{{"resources", std::move(resources)}};
  }

  const EvidenceBundle& b_;
  const OscalOptions& o_;
  std::string doc_key_;
};

}  // namespace

Result<std::string> bundle_to_oscal(const EvidenceBundle& bundle, const OscalOptions& opts) {
  if (!bundle.all_verified() && !opts.allow_unverified) {
    std::string msg =
        "the bundle did not verify, so no OSCAL document was made (--allow-unverified makes one "
        "that says so); " +
        std::to_string(bundle.verification.failures.size()) + " problems:";
    for (const auto& line : verification_lines(bundle.verification)) msg += "\n  " + line;
    return make_error(Errc::invalid, msg);
  }
  return pretty_json(Builder(bundle, opts).build());
}

Result<std::string> bundle_to_oscal(std::string_view bundle_json, const OscalOptions& opts,
                                    const VerifyOptions& verify) {
  auto b = read_evidence_bundle(bundle_json, verify);
  if (!b) return b.error();
  return bundle_to_oscal(**b, opts);
}

}  // namespace vigil::agent
