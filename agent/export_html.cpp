// The auditor's HTML page of an evidence bundle (see export_html.hpp).
#include "export_html.hpp"

#include <boost/json.hpp>

#include "report.hpp"
#include "strings.hpp"
#include "text_escape.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:78em;padding:0 1em;color:#1b1b1b}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.05em;margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em;word-break:break-all}
.meta th{width:12em}.verify{padding:.6em 1em;margin:1em 0;border:2px solid}
.verify.ok{border-color:#2e7d32;background:#edf7ed}.verify.failed{border-color:#c62828;background:#fdecea}
.verify.failed h2{color:#c62828}.verify h2{border:0;margin-top:.2em}
.v-pass{background:#c8e6c9}.v-fail{background:#ffcdd2}.v-error{background:#ffe0b2}.v-waived{background:#e1bee7}
.v-not_applicable{background:#eceff1}.v-other{background:#ffe0b2}.st-satisfied{color:#2e7d32;font-weight:600}
.st-not-satisfied{color:#c62828;font-weight:600}.tl span{display:inline-block;min-width:1.4em;text-align:center;margin:0 1px;
border-radius:2px;font-size:.85em}.tl span.unverified{outline:2px dashed #c62828}.note{color:#555;font-size:.92em}
.null{color:#888;font-style:italic}.warn{color:#c62828;font-weight:600}
)";

std::string esc(std::string_view s) {
  return html_escape(s);
}

std::string verdict_class(std::string_view v) {
  if (v == "pass" || v == "fail" || v == "error" || v == "waived" || v == "not_applicable")
    return "v-" + std::string(v);
  return "v-other";
}

std::string tally_html(const VerdictTally& t) {
  std::string s;
  auto add = [&](std::size_t n, const char* cls, const char* what) {
    if (n == 0) return;
    s += std::string(s.empty() ? "" : " ") + "<span class=\"" + cls + "\">" + std::to_string(n) + " " + what +
         "</span>";
  };
  add(t.pass, "v-pass", "pass");
  add(t.fail, "v-fail", "fail");
  add(t.error, "v-error", "error");
  add(t.waived, "v-waived", "waived");
  add(t.not_applicable, "v-not_applicable", "n/a");
  add(t.other, "v-other", "unknown");
  return s.empty() ? std::string("no results") : s;
}

class Page {
 public:
  Page(const EvidenceBundle& b, const HtmlOptions& o) : b_(b), o_(o) {}

  std::string render() {
    const std::string host = b_.host.empty() ? std::string("unknown host") : b_.host;
    out_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out_ += "<title>Vigil evidence: " + esc(host) + ", " + esc(period()) + "</title>\n";
    out_ += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
    header(host);
    verification();
    summary();
    controls();
    checks();
    envelopes();
    out_ += "<p class=\"note\">Made by Vigil from the bundle with SHA-256 <code>" + b_.text_sha256 +
            "</code>. The envelopes in the bundle are the evidence; this page is a reading of them.</p>\n";
    out_ += "</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  std::string period() const {
    return (b_.from_ms ? iso_time(*b_.from_ms) : std::string("?")) + " to " +
           (b_.to_ms ? iso_time(*b_.to_ms) : std::string("?"));
  }

  void row(const char* name, const std::string& html) {
    out_ += "<tr><th>" + std::string(name) + "</th><td>" + html + "</td></tr>\n";
  }

  void header(const std::string& host) {
    out_ += "<h1>Vigil evidence report</h1>\n<table class=\"meta\">\n";
    std::string h = "<code>" + esc(host) + "</code>";
    if (const auto* n = b_.host_facts.if_contains("hostname"); n != nullptr && n->is_string())
      h += " (hostname <code>" + esc(n->get_string()) + "</code>)";
    row("Host", h);
    row("Period", esc(period()));
    if (!o_.bundle_name.empty()) row("Bundle", "<code>" + esc(o_.bundle_name) + "</code>");
    std::string scans = std::to_string(b_.scans.size()) + " scans, " + std::to_string(b_.gap_records.size()) +
                        " gap records, " + std::to_string(b_.envelopes.size()) + " envelopes";
    if (b_.verification.first_sequence)
      scans += ", sequences " + std::to_string(*b_.verification.first_sequence) + " to " +
               std::to_string(*b_.verification.last_sequence);
    row("Scans", scans);
    std::string filters;
    if (!b_.control_filter.empty()) filters += "controls " + esc(join(b_.control_filter, ", "));
    if (!b_.check_filter.empty())
      filters += (filters.empty() ? "" : "; ") + std::string("checks ") + esc(join(b_.check_filter, ", "));
    row("Selection", filters.empty() ? std::string("all controls and checks") : filters);
    std::string packs;
    for (const auto& p : b_.packs) {
      packs += "<div><code>" + esc(p.id) + "</code> " + esc(p.version) + " from <code>" + esc(p.source) +
               "</code>, SHA-256 <code>" + (p.sha256.empty() ? std::string("unknown") : esc(p.sha256)) +
               "</code> (sequences " + std::to_string(p.first_sequence) + " to " +
               std::to_string(p.last_sequence) + ")</div>";
    }
    row("Policy packs", packs.empty() ? std::string("none (no scan)") : packs);
    std::string keys;
    for (const auto& k : b_.verification.key_ids) keys += "<div><code>" + esc(k) + "</code></div>";
    keys += b_.verification.key_pinned
                ? std::string("<div>pinned: the verifier was given the host's key</div>")
                : std::string(
                      "<div class=\"note\">the bundle's own key (not pinned: proves consistency, not "
                      "origin)</div>");
    row("Signing key", keys);
    std::string agents;
    for (const auto& v : b_.agent_versions) agents += (agents.empty() ? "" : ", ") + esc(v);
    if (!agents.empty()) row("Agent versions", agents);
    if (b_.created_at_ms) row("Bundle made", esc(iso_time(*b_.created_at_ms)));
    out_ += "</table>\n";
  }

  void verification() {
    const auto& v = b_.verification;
    if (v.ok()) {
      out_ += "<section class=\"verify ok\">\n<h2>Verification: passed</h2>\n<p>" +
              std::to_string(v.envelopes) + " envelopes (" + std::to_string(v.scans) + " scans, " +
              std::to_string(v.gap_records) +
              " gap records): every Ed25519 signature over the DSSE PAE verifies, every subject digest "
              "matches its "
              "results, and the chain of sequences and previous digests is unbroken.</p>\n";
    } else {
      out_ +=
          "<section class=\"verify failed\">\n<h2>Verification FAILED: " + std::to_string(v.failures.size()) +
          (v.failures.size() == 1 ? " problem" : " problems") +
          "</h2>\n<p class=\"warn\">Do not rely on this evidence until every problem below is explained. "
          "Results from envelopes with a problem are marked on this page.</p>\n<ul>\n";
      for (const auto& line : verification_lines(v)) out_ += "<li>" + esc(line) + "</li>\n";
      out_ += "</ul>\n";
    }
    for (const auto& g : v.covered_gaps) {
      out_ += "<p>Sequences " + std::to_string(g.first_sequence) + " to " + std::to_string(g.last_sequence) +
              " were dropped on the host before export, as the signed gap record at sequence " +
              std::to_string(g.recorded_at_sequence) + " says: " + esc(g.reason) + "</p>\n";
    }
    out_ += "</section>\n";
  }

  std::string state_html(const ControlSummary& c) const {
    return std::string("<span class=\"") +
           (c.satisfied ? "st-satisfied\">satisfied" : "st-not-satisfied\">not satisfied") + "</span> (" +
           esc(c.reason) + ")";
  }

  void summary() {
    out_ += "<h2>Annex A controls</h2>\n";
    if (b_.controls.empty()) {
      out_ += "<p>No control: " +
              std::string(b_.scans.empty() ? "no scan in this period." : "no check maps to one.") + "</p>\n";
      return;
    }
    out_ +=
        "<table>\n<tr><th>control</th><th>title</th><th>status over the "
        "period</th><th>checks</th><th>results</th></tr>\n";
    for (std::size_t i = 0; i < b_.controls.size(); ++i) {
      const auto& c = b_.controls[i];
      out_ += "<tr><td><a href=\"#control-" + std::to_string(i) + "\">" + esc(c.id) + "</a></td><td>" +
              esc(c.title) + "</td><td>" + state_html(c) + "</td><td>" + std::to_string(c.checks.size()) +
              "</td><td>" + tally_html(c.tally) + "</td></tr>\n";
    }
    out_ +=
        "</table>\n<p class=\"note\">A control is not satisfied when any result of its checks failed or "
        "ended in "
        "error in the period; waived results (accepted risks) are their own reason.</p>\n";
  }

  std::string timeline(const CheckHistory& h) const {
    std::string s = "<span class=\"tl\">";
    for (std::size_t i = 0; i < h.outcomes.size();) {
      std::size_t j = i;
      bool unverified = false;
      while (j < h.outcomes.size() && h.outcomes[j].verdict == h.outcomes[i].verdict) {
        unverified = unverified || !h.outcomes[j].scan->verified;
        ++j;
      }
      const auto& a = *h.outcomes[i].scan->statement;
      const auto& z = *h.outcomes[j - 1].scan->statement;
      std::string title =
          h.outcomes[i].verdict + ": sequence" + (j - i > 1 ? "s " : " ") + std::to_string(a.sequence) +
          (j - i > 1 ? " to " + std::to_string(z.sequence) : "") + ", " + iso_time(a.time_ms) +
          (j - i > 1 ? " to " + iso_time(z.time_ms) : "") + (unverified ? " (not verified)" : "");
      s += "<span class=\"" + verdict_class(h.outcomes[i].verdict) + (unverified ? " unverified" : "") +
           "\" title=\"" + esc(title) + "\">" + std::to_string(j - i) + "</span>";
      i = j;
    }
    return s + "</span>";
  }

  void check_rows(const std::vector<std::size_t>& idx) {
    out_ +=
        "<table>\n<tr><th>check</th><th>title</th><th>severity</th><th>results</th><th>verdicts by scan, in "
        "sequence order (runs)</th><th>latest</th></tr>\n";
    for (std::size_t i : idx) {
      const auto& h = b_.checks[i];
      const std::string latest = h.outcomes.empty() ? std::string() : h.outcomes.back().verdict;
      out_ += "<tr><td><a href=\"#check-" + std::to_string(i) + "\"><code>" + esc(h.check) +
              "</code></a></td><td>" + esc(h.title) + "</td><td>" + esc(h.severity) + "</td><td>" +
              tally_html(h.tally) + "</td><td>" + timeline(h) + "</td><td class=\"" + verdict_class(latest) +
              "\">" + esc(latest) + "</td></tr>\n";
    }
    out_ += "</table>\n";
  }

  void controls() {
    for (std::size_t i = 0; i < b_.controls.size(); ++i) {
      const auto& c = b_.controls[i];
      out_ += "<h3 id=\"control-" + std::to_string(i) + "\">" + esc(c.id) + " " + esc(c.title) + ": " +
              state_html(c) + "</h3>\n";
      if (c.checks.empty()) {
        out_ += "<p>No check of the policy packs in this period maps to this control: no evidence.</p>\n";
        continue;
      }
      check_rows(c.checks);
    }
    if (!b_.unmapped_checks.empty()) {
      out_ += "<h3>Checks mapped to no control of the 2022 catalogue</h3>\n";
      check_rows(b_.unmapped_checks);
    }
  }

  std::string cell(const json::value& v) const {
    if (v.is_null()) return "<span class=\"null\">NULL</span>";
    std::string text = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
    bool cut = false;
    std::string shown = utf8_prefix(text, o_.max_cell_bytes, cut);
    std::string html = esc(shown);
    if (cut) html += " <span class=\"note\">[cut: " + std::to_string(text.size()) + " bytes in all]</span>";
    return html;
  }

  void evidence_table(const Outcome& o, const std::string& why) {
    const auto& st = *o.scan->statement;
    out_ += "<p><b>Sequence " + std::to_string(st.sequence) + "</b>, " + esc(iso_time(st.time_ms)) + " (" +
            esc(why) + "): <span class=\"" + verdict_class(o.verdict) + "\">" + esc(o.verdict) + "</span>";
    if (!o.message.empty()) out_ += " &mdash; " + esc(o.message);
    if (!o.scan->verified) out_ += " <span class=\"warn\">[envelope not verified]</span>";
    out_ += "</p>\n";
    if (o.evidence == nullptr) {
      out_ += "<p class=\"note\">No evidence in the statement.</p>\n";
      return;
    }
    std::vector<std::string> cols;
    if (const auto* c = o.evidence->if_contains("columns"); c != nullptr && c->is_array()) {
      for (const auto& x : c->get_array())
        cols.push_back(x.is_string() ? std::string(x.get_string()) : json::serialize(x));
    }
    const json::array* rows = nullptr;
    if (const auto* r = o.evidence->if_contains("rows"); r != nullptr && r->is_array())
      rows = &r->get_array();
    const std::size_t kept = rows != nullptr ? rows->size() : 0;
    std::string total = std::to_string(kept);
    if (const auto* t = o.evidence->if_contains("total_rows");
        t != nullptr && (t->is_int64() || t->is_uint64()))
      total = json::serialize(*t);
    if (kept == 0) {
      out_ += "<p class=\"note\">No rows (the query returned " + esc(total) + ").</p>\n";
      return;
    }
    out_ += "<table>\n<tr>";
    for (const auto& c : cols) out_ += "<th>" + esc(c) + "</th>";
    out_ += "</tr>\n";
    const std::size_t shown = std::min(kept, o_.max_rows_per_result);
    for (std::size_t i = 0; i < shown; ++i) {
      const auto& r = (*rows)[i];
      out_ += "<tr>";
      for (const auto& c : cols) {
        const json::value* v = r.is_object() ? r.get_object().if_contains(c) : nullptr;
        out_ += "<td>" + (v != nullptr ? cell(*v) : std::string("<span class=\"null\">(missing)</span>")) +
                "</td>";
      }
      out_ += "</tr>\n";
    }
    out_ += "</table>\n";
    if (shown < kept || total != std::to_string(kept)) {
      out_ += "<p class=\"note\">Showing " + std::to_string(shown) + " of the " + std::to_string(kept) +
              " rows the statement keeps";
      if (total != std::to_string(kept))
        out_ += " (the query returned " + esc(total) + "; the agent caps rows per result)";
      out_ += (shown < kept ? "; this page shows at most " + std::to_string(o_.max_rows_per_result) +
                                  " per result, the envelope holds them all"
                            : std::string()) +
              ".</p>\n";
    }
  }

  void checks() {
    if (b_.checks.empty()) return;
    out_ +=
        "<h2>Checks and evidence</h2>\n<p class=\"note\">For each check: the evidence rows of the latest "
        "scan, "
        "and of every scan whose verdict differs from the scan before it.</p>\n";
    for (std::size_t i = 0; i < b_.checks.size(); ++i) {
      const auto& h = b_.checks[i];
      out_ += "<h3 id=\"check-" + std::to_string(i) + "\"><code>" + esc(h.check) + "</code> " + esc(h.title) +
              "</h3>\n";
      out_ += "<p>Pack <code>" + esc(h.policy) + "</code>, severity " + esc(h.severity) + ", controls " +
              esc(join(h.controls_2022, ", ")) + ". " + tally_html(h.tally) + " " + timeline(h) + "</p>\n";
      for (std::size_t k = 0; k < h.outcomes.size(); ++k) {
        const bool last = k + 1 == h.outcomes.size();
        const bool changed = k > 0 && h.outcomes[k].verdict != h.outcomes[k - 1].verdict;
        if (!last && !changed) continue;
        std::string why = last ? "latest scan" : "verdict changed";
        if (last && changed) why = "latest scan, verdict changed";
        if (changed) why += " from " + h.outcomes[k - 1].verdict;
        evidence_table(h.outcomes[k], why);
      }
    }
  }

  void envelopes() {
    out_ += "<h2>Envelopes</h2>\n";
    if (b_.envelopes.empty()) {
      out_ += "<p>The bundle holds no envelope: no scan in this period.</p>\n";
      return;
    }
    out_ +=
        "<table>\n<tr><th>#</th><th>sequence</th><th>statement</th><th>time</th><th>SHA-256 of the "
        "envelope</th>"
        "<th>verified</th></tr>\n";
    for (const auto& e : b_.envelopes) {
      std::string kind = "does not decode: " + e.decode_error, time;
      if (e.statement) {
        kind = e.statement->kind == StatementKind::scan ? "scan" : "gap record";
        time = iso_time(e.statement->time_ms);
      }
      out_ += "<tr><td>" + std::to_string(e.index) + "</td><td>" +
              (e.sequence ? std::to_string(*e.sequence) : std::string("?")) + "</td><td>" + esc(kind) +
              "</td><td>" + esc(time) + "</td><td><code>" + esc(e.sha256) + "</code></td><td>" +
              (e.verified ? std::string("yes") : std::string("<span class=\"warn\">no</span>")) +
              "</td></tr>\n";
    }
    out_ += "</table>\n";
  }

  const EvidenceBundle& b_;
  const HtmlOptions& o_;
  std::string out_;
};

}  // namespace

std::string bundle_to_html(const EvidenceBundle& bundle, const HtmlOptions& opts) {
  return Page(bundle, opts).render();
}

Result<std::string> bundle_to_html(std::string_view bundle_json, const HtmlOptions& opts,
                                   const VerifyOptions& verify) {
  auto b = read_evidence_bundle(bundle_json, verify);
  if (!b) return b.error();
  return bundle_to_html(**b, opts);
}

}  // namespace vigil::agent
