// Scan report rendering (see report.hpp and docs/scan-report.md).
#include "report.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <map>
#include <sstream>

#include "strings.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

json::string jstr(std::string_view s) {
  return json::string(sanitize_utf8(s));
}

std::string value_text(const collectors::Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "NULL";
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    std::ostringstream ss;
    ss << *d;
    return ss.str();
  }
  return terminal_safe(std::get<std::string>(v));
}

// Display width in code points (close enough for column padding).
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string pad(std::string s, std::size_t w) {
  std::size_t n = width(s);
  if (n < w) s.append(w - n, ' ');
  return s;
}

// The rows that made a check fail (compliant 0 or NULL), a few at most, one
// line each; the complete evidence is in the JSON report.
void print_failing_rows(const CheckResult& r, std::ostream& out) {
  constexpr std::size_t kShown = 5;
  const auto& cols = r.evidence.columns;
  std::size_t compliant_col = cols.size();
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (iequals(cols[i], "compliant")) compliant_col = i;
  }
  std::size_t shown = 0, failing = 0;
  for (const auto& row : r.evidence.rows) {
    if (compliant_col < row.size()) {
      const auto* c = std::get_if<std::int64_t>(&row[compliant_col]);
      if (c != nullptr && *c != 0) continue;
    }
    if (++failing > kShown) continue;
    std::string line;
    for (std::size_t i = 0; i < row.size() && i < cols.size(); ++i) {
      if (i == compliant_col) continue;
      line += (line.empty() ? "" : " ") + terminal_safe(cols[i]) + "=" + value_text(row[i]);
    }
    out << "        | " << line << "\n";
    ++shown;
  }
  if (failing > shown) out << "        | ... " << failing - shown << " more\n";
}

json::array string_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(jstr(s));
  return a;
}

}  // namespace

std::string iso_time(std::int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(unix_ms % 1000));
  return out;
}

json::object controls_to_json(const Check& c) {
  return json::object{{"iso27001-2022", string_array(c.controls_2022)},
                      {"iso27001-2013", string_array(c.controls_2013)}};
}

json::value value_to_json(const collectors::Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return nullptr;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return jstr(std::get<std::string>(v));
}

json::value evidence_to_json(const Evidence& e) {
  json::object o;
  o["columns"] = string_array(e.columns);
  json::array rows;
  for (const auto& r : e.rows) {
    json::object row;
    for (std::size_t i = 0; i < r.size() && i < e.columns.size(); ++i)
      row[sanitize_utf8(e.columns[i])] = value_to_json(r[i]);
    rows.push_back(std::move(row));
  }
  o["rows"] = std::move(rows);
  o["total_rows"] = e.total_rows;
  o["truncated"] = e.truncated();
  return o;
}

VerdictCounts count_verdicts(const ScanReport& report) {
  VerdictCounts c;
  for (const auto& r : report.results) {
    switch (r.verdict) {
      case Verdict::pass:
        ++c.pass;
        break;
      case Verdict::fail:
        ++c.fail;
        break;
      case Verdict::not_applicable:
        ++c.not_applicable;
        break;
      case Verdict::error:
        ++c.error;
        break;
      case Verdict::waived:
        ++c.waived;
        break;
    }
  }
  return c;
}

json::value report_to_json(const ScanReport& report, const ReportMeta& meta) {
  json::object o;
  o["schema"] = "vigil.scan-report.v1";
  o["vigil_version"] = meta.vigil_version;
  o["root"] = jstr(report.root);
  o["started_at"] = iso_time(report.started_at_ms);
  o["duration_ms"] = report.duration_ms;
  o["host"] = meta.host;
  json::array packs;
  for (const auto* p : report.packs) {
    packs.push_back(json::object{{"id", jstr(p->id)},
                                 {"title", jstr(p->title)},
                                 {"version", jstr(p->version)},
                                 {"source", jstr(p->source)},
                                 {"checks", p->checks.size()}});
  }
  o["policies"] = std::move(packs);
  const auto counts = count_verdicts(report);
  o["summary"] = json::object{
      {"checks", report.results.size()},         {"pass", counts.pass},   {"fail", counts.fail},
      {"not_applicable", counts.not_applicable}, {"error", counts.error}, {"waived", counts.waived}};
  json::array results;
  for (const auto& r : report.results) {
    json::object jr;
    jr["check"] = jstr(r.check->id);
    jr["policy"] = jstr(r.pack->id);
    jr["title"] = jstr(r.check->title);
    jr["severity"] = severity_name(r.check->severity);
    jr["controls"] = controls_to_json(*r.check);
    jr["verdict"] = verdict_name(r.verdict);
    jr["message"] = jstr(r.message);
    jr["tables"] = string_array(r.tables);
    jr["evidence"] = evidence_to_json(r.evidence);
    jr["remediation"] = jstr(r.check->remediation);
    jr["duration_ms"] = r.duration_ms;
    results.push_back(std::move(jr));
  }
  o["results"] = std::move(results);
  json::array cols;
  for (const auto& c : report.collectors) {
    json::object jc{{"table", jstr(c.table)}, {"rows", c.rows}, {"duration_ms", c.duration_ms}};
    if (!c.args.empty()) jc["args"] = jstr(c.args);
    jc["error"] = c.error.empty() ? json::value(nullptr) : json::value(jstr(c.error));
    cols.push_back(std::move(jc));
  }
  o["collectors"] = std::move(cols);
  json::array warns;
  for (const auto& w : report.warnings) {
    warns.push_back(
        json::object{{"table", jstr(w.table)}, {"where", jstr(w.where)}, {"message", jstr(w.message)}});
  }
  o["warnings"] = std::move(warns);
  return o;
}

std::string rows_to_text(const Evidence& e) {
  std::vector<std::size_t> w(e.columns.size(), 0);
  std::vector<std::vector<std::string>> cells;
  for (std::size_t i = 0; i < e.columns.size(); ++i) w[i] = width(terminal_safe(e.columns[i]));
  for (const auto& r : e.rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) {
      line.push_back(value_text(r[i]));
      w[i] = std::max(w[i], width(line.back()));
    }
    cells.push_back(std::move(line));
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& line) {
    std::string l;
    for (std::size_t i = 0; i < line.size(); ++i) l += (i ? "  " : "") + pad(line[i], w[i]);
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  std::vector<std::string> header;
  for (const auto& c : e.columns) header.push_back(terminal_safe(c));
  emit(header);
  std::vector<std::string> rule;
  for (auto n : w) rule.emplace_back(n, '-');
  emit(rule);
  for (const auto& l : cells) emit(l);
  if (e.truncated()) {
    out += "(" + std::to_string(e.rows.size()) + " of " + std::to_string(e.total_rows) + " rows shown)\n";
  } else {
    out += "(" + std::to_string(e.total_rows) + (e.total_rows == 1 ? " row)\n" : " rows)\n");
  }
  return out;
}

std::string report_to_text(const ScanReport& report, const ReportMeta& meta, const ControlCatalog& catalog) {
  std::ostringstream out;
  auto host_field = [&](const char* k) -> std::string {
    if (auto* v = meta.host.if_contains(k); v != nullptr && v->is_string())
      return terminal_safe(v->as_string());
    return "unknown";
  };
  out << "Vigil " << meta.vigil_version << " scan of " << terminal_safe(report.root) << " at "
      << iso_time(report.started_at_ms) << "\n";
  out << "Host: " << host_field("hostname") << ", " << host_field("os_name") << ", context "
      << host_field("context") << "\n";
  for (const auto* p : report.packs) {
    out << "Policy: " << terminal_safe(p->id) << " " << terminal_safe(p->version) << " ("
        << terminal_safe(p->source) << ")\n";
  }

  // Group by 2022 control; a check mapped to two controls shows under both.
  std::map<std::string, std::vector<const CheckResult*>, bool (*)(std::string_view, std::string_view)>
      by_control([](std::string_view a, std::string_view b) { return control_id_less(a, b); });
  for (const auto& r : report.results) {
    for (const auto& c : r.check->controls_2022) by_control[c].push_back(&r);
  }
  std::size_t id_width = 0;
  for (const auto& r : report.results) id_width = std::max(id_width, r.check->id.size());

  for (const auto& [control, results] : by_control) {
    out << "\n" << control << "  " << catalog.title_2022(control) << "\n";
    for (const auto* r : results) {
      std::string verdict = verdict_name(r->verdict);
      std::transform(verdict.begin(), verdict.end(), verdict.begin(),
                     [](char c) { return static_cast<char>(std::toupper(c)); });
      if (r->verdict == Verdict::not_applicable) verdict = "N/A";
      out << "  " << pad(verdict, 5) << " " << pad(r->check->id, id_width) << "  "
          << terminal_safe(r->check->title) << "\n";
      if (r->verdict == Verdict::fail || r->verdict == Verdict::error) {
        out << "        " << terminal_safe(r->message) << "\n";
        print_failing_rows(*r, out);
        if (r->verdict == Verdict::fail)
          out << "        fix: " << terminal_safe(r->check->remediation) << "\n";
      } else if (r->verdict == Verdict::not_applicable) {
        out << "        " << terminal_safe(r->message)
            << "\n";  // why it does not apply, in the policy's words
      }
    }
  }
  if (!report.warnings.empty()) {
    out << "\nWarnings:\n";
    for (const auto& w : report.warnings) {
      out << "  " << terminal_safe(w.table) << ": " << terminal_safe(w.where) << ": "
          << terminal_safe(w.message) << "\n";
    }
  }
  const auto c = count_verdicts(report);
  char dur[32];
  std::snprintf(dur, sizeof dur, "%.1f", report.duration_ms);
  out << "\nSummary: " << report.results.size() << " checks: " << c.pass << " pass, " << c.fail << " fail, "
      << c.not_applicable << " not applicable, " << c.error << " error";
  if (c.waived > 0) out << ", " << c.waived << " waived";
  out << " (" << dur << " ms)\n";
  return out.str();
}

json::object host_info_object(const Evidence& info) {
  json::object o;
  if (info.rows.empty()) return o;
  for (std::size_t i = 0; i < info.columns.size() && i < info.rows[0].size(); ++i)
    o[sanitize_utf8(info.columns[i])] = value_to_json(info.rows[0][i]);
  return o;
}

}  // namespace vigil::agent
