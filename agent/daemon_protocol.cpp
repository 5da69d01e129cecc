// agent/daemon_protocol.hpp: the daemon's job requests and answers.
#include "daemon_protocol.hpp"

#include <boost/json.hpp>

#include "json_fields.hpp"

namespace vigil::agent {

namespace json = boost::json;

namespace {

constexpr std::string_view kFormat = "vigil.daemon-job.v1";

json::array sources_array(const std::vector<PolicySource>& sources) {
  json::array a;
  for (const auto& s : sources) a.push_back(json::object{{"source", s.source}, {"text", s.text}});
  return a;
}

json::array strings_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// The answer's object: the last non-empty line of the child's output, of
// this format and job.
Result<json::object> answer_object(std::string_view output, JobKind kind, const std::string& where) {
  while (!output.empty() && output.back() == '\n') output.remove_suffix(1);
  const auto nl = output.rfind('\n');
  const std::string_view line = nl == std::string_view::npos ? output : output.substr(nl + 1);
  if (line.empty()) return make_error(Errc::parse, where + ": no answer");
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) return make_error(Errc::parse, where + ": the answer is not a JSON object");
  auto& o = v.as_object();
  const auto* format = o.if_contains("format");
  const auto* job = o.if_contains("job");
  if (format == nullptr || !format->is_string() || format->as_string() != kFormat || job == nullptr ||
      !job->is_string() || job->as_string() != job_kind_name(kind))
    return make_error(Errc::parse, where + ": not a vigil.daemon-job.v1 " + job_kind_name(kind) + " answer");
  return std::move(o);
}

Result<std::vector<PolicySource>> parse_sources(const json::value& v, const JsonFields& f) {
  if (!v.is_array()) return f.bad("policies");
  std::vector<PolicySource> out;
  for (const auto& item : v.as_array()) {
    if (!item.is_object()) return f.bad("policies");
    auto source = f.text(item.as_object(), "source");
    auto text = f.text(item.as_object(), "text");
    if (!source) return std::move(source).error();
    if (!text) return std::move(text).error();
    out.push_back({std::move(*source), std::move(*text)});
  }
  return out;
}

Result<std::vector<std::string>> parse_strings(const json::object& o, const char* key, const JsonFields& f) {
  auto a = f.array(o, key);
  if (!a) return std::move(a).error();
  std::vector<std::string> out;
  for (const auto& item : **a) {
    if (!item.is_string()) return f.bad(key);
    out.emplace_back(item.as_string());
  }
  return out;
}

Result<std::vector<QuarantineEntry>> parse_quarantine(const json::object& o, const JsonFields& f) {
  auto a = f.array(o, "quarantine");
  if (!a) return std::move(a).error();
  std::vector<QuarantineEntry> out;
  for (const auto& item : **a) {
    auto q = parse_quarantine_entry(item, f.where);
    if (!q) return std::move(q).error();
    out.push_back(std::move(*q));
  }
  return out;
}

json::array quarantine_array(const std::vector<QuarantineEntry>& q) {
  json::array a;
  for (const auto& e : q) a.push_back(quarantine_entry_object(e));
  return a;
}

std::size_t count_of(std::int64_t n) {
  return static_cast<std::size_t>(n < 0 ? 0 : n);
}

}  // namespace

const char* job_kind_name(JobKind k) noexcept {
  switch (k) {
    case JobKind::validate:
      return "validate";
    case JobKind::scan:
      return "scan";
    case JobKind::ship:
      return "ship";
  }
  return "validate";
}

std::string job_request_to_json(const JobRequest& r) {
  json::object o{{"format", kFormat},
                 {"job", job_kind_name(r.kind)},
                 {"config_source", r.config_source},
                 {"config_text", r.config_text},
                 {"schedule", r.schedule},
                 {"policies", sources_array(r.policies)},
                 {"quarantine", quarantine_array(r.quarantine)},
                 {"now_ms", r.now_ms},
                 {"ship_failures", r.ship_failures}};
  return json::serialize(o) + "\n";
}

Result<JobRequest> parse_job_request(std::string_view text) {
  static const std::string where = "job request";
  if (text.size() > kMaxJobMessageBytes) return make_error(Errc::invalid, where + ": too large");
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(Errc::parse, where + ": not a JSON object");
  const auto& o = v.as_object();
  JsonFields f{where};
  auto format = f.text(o, "format");
  if (!format || *format != kFormat) return make_error(Errc::parse, where + ": not a vigil.daemon-job.v1 request");
  auto job = f.text(o, "job");
  if (!job) return std::move(job).error();
  JobRequest r;
  if (*job == "validate")
    r.kind = JobKind::validate;
  else if (*job == "scan")
    r.kind = JobKind::scan;
  else if (*job == "ship")
    r.kind = JobKind::ship;
  else
    return make_error(Errc::parse, where + ": unknown job '" + *job + "'");
  auto source = f.text(o, "config_source");
  auto config = f.text(o, "config_text");
  auto schedule = f.integer(o, "schedule");
  auto now = f.integer(o, "now_ms");
  auto failures = f.integer(o, "ship_failures");
  auto quarantine = parse_quarantine(o, f);
  const auto* policies = o.if_contains("policies");
  if (!source) return std::move(source).error();
  if (!config) return std::move(config).error();
  if (!schedule || *schedule < 0) return f.bad("schedule");
  if (!now) return std::move(now).error();
  if (!failures || *failures < 0 || *failures > 64) return f.bad("ship_failures");
  if (!quarantine) return std::move(quarantine).error();
  if (policies == nullptr) return f.bad("policies");
  auto sources = parse_sources(*policies, f);
  if (!sources) return std::move(sources).error();
  r.config_source = std::move(*source);
  r.config_text = std::move(*config);
  r.schedule = static_cast<std::size_t>(*schedule);
  r.now_ms = *now;
  r.ship_failures = static_cast<unsigned>(*failures);
  r.quarantine = std::move(*quarantine);
  r.policies = std::move(*sources);
  return r;
}

std::string validate_result_to_json(const ValidateJobResult& r) {
  json::array schedules;
  for (const auto& s : r.policies) schedules.push_back(sources_array(s));
  json::object o{{"format", kFormat}, {"job", "validate"}, {"error", r.error}, {"policies", std::move(schedules)}};
  return json::serialize(o) + "\n";
}

Result<ValidateJobResult> parse_validate_result(std::string_view output) {
  static const std::string where = "validate job";
  auto o = answer_object(output, JobKind::validate, where);
  if (!o) return std::move(o).error();
  JsonFields f{where};
  ValidateJobResult r;
  auto error = f.text(*o, "error");
  if (!error) return std::move(error).error();
  r.error = std::move(*error);
  auto schedules = f.array(*o, "policies");
  if (!schedules) return std::move(schedules).error();
  for (const auto& s : **schedules) {
    auto sources = parse_sources(s, f);
    if (!sources) return std::move(sources).error();
    r.policies.push_back(std::move(*sources));
  }
  return r;
}

std::string scan_result_to_json(const ScanJobResult& r) {
  json::object o{{"format", kFormat},
                 {"job", "scan"},
                 {"schedule", r.schedule},
                 {"name", r.name},
                 {"started_ms", r.started_ms},
                 {"wall_ms", r.wall_ms},
                 {"cancelled", r.cancelled},
                 {"sequence", r.sequence ? json::value(*r.sequence) : json::value(nullptr)},
                 {"counts", verdict_counts_object(r.counts)},
                 {"error", r.error},
                 {"warnings", strings_array(r.warnings)},
                 {"newly_quarantined", strings_array(r.newly_quarantined)},
                 {"quarantine", quarantine_array(r.quarantine)}};
  return json::serialize(o) + "\n";
}

Result<ScanJobResult> parse_scan_result(std::string_view output) {
  static const std::string where = "scan job";
  auto o = answer_object(output, JobKind::scan, where);
  if (!o) return std::move(o).error();
  JsonFields f{where};
  auto schedule = f.integer(*o, "schedule");
  auto name = f.text(*o, "name");
  auto started = f.integer(*o, "started_ms");
  auto wall = f.real(*o, "wall_ms");
  auto cancelled = f.boolean(*o, "cancelled");
  auto sequence = f.opt_integer(*o, "sequence");
  auto error = f.text(*o, "error");
  auto warnings = parse_strings(*o, "warnings", f);
  auto newly = parse_strings(*o, "newly_quarantined", f);
  auto quarantine = parse_quarantine(*o, f);
  const auto* counts = o->if_contains("counts");
  if (!schedule || *schedule < 0) return f.bad("schedule");
  if (!name) return std::move(name).error();
  if (!started) return std::move(started).error();
  if (!wall) return std::move(wall).error();
  if (!cancelled) return std::move(cancelled).error();
  if (!sequence) return std::move(sequence).error();
  if (!error) return std::move(error).error();
  if (!warnings) return std::move(warnings).error();
  if (!newly) return std::move(newly).error();
  if (!quarantine) return std::move(quarantine).error();
  if (counts == nullptr || !counts->is_object()) return f.bad("counts");
  auto vc = parse_verdict_counts(counts->as_object(), where);
  if (!vc) return std::move(vc).error();
  ScanJobResult r;
  r.schedule = static_cast<std::size_t>(*schedule);
  r.name = std::move(*name);
  r.started_ms = *started;
  r.wall_ms = *wall;
  r.cancelled = *cancelled;
  r.sequence = *sequence;
  r.counts = *vc;
  r.error = std::move(*error);
  r.warnings = std::move(*warnings);
  r.newly_quarantined = std::move(*newly);
  r.quarantine = std::move(*quarantine);
  return r;
}

std::string ship_result_to_json(const ShipJobResult& r) {
  json::object o{{"format", kFormat},
                 {"job", "ship"},
                 {"attempted", r.attempted},
                 {"message", r.message},
                 {"ok", r.ok},
                 {"accepted", r.accepted},
                 {"duplicate", r.duplicate},
                 {"rejected", r.rejected},
                 {"retry_after_ms", r.retry_after ? json::value(r.retry_after->count()) : json::value(nullptr)},
                 {"failures", r.failures}};
  return json::serialize(o) + "\n";
}

Result<ShipJobResult> parse_ship_result(std::string_view output) {
  static const std::string where = "ship job";
  auto o = answer_object(output, JobKind::ship, where);
  if (!o) return std::move(o).error();
  JsonFields f{where};
  auto attempted = f.boolean(*o, "attempted");
  auto message = f.text(*o, "message");
  auto ok = f.boolean(*o, "ok");
  auto accepted = f.integer(*o, "accepted");
  auto duplicate = f.integer(*o, "duplicate");
  auto rejected = f.integer(*o, "rejected");
  auto retry = f.opt_integer(*o, "retry_after_ms");
  auto failures = f.integer(*o, "failures");
  if (!attempted) return std::move(attempted).error();
  if (!message) return std::move(message).error();
  if (!ok) return std::move(ok).error();
  if (!accepted) return std::move(accepted).error();
  if (!duplicate) return std::move(duplicate).error();
  if (!rejected) return std::move(rejected).error();
  if (!retry) return std::move(retry).error();
  if (!failures || *failures < 0 || *failures > 64) return f.bad("failures");
  ShipJobResult r;
  r.attempted = *attempted;
  r.message = std::move(*message);
  r.ok = *ok;
  r.accepted = count_of(*accepted);
  r.duplicate = count_of(*duplicate);
  r.rejected = count_of(*rejected);
  if (*retry) r.retry_after = std::chrono::milliseconds(std::max<std::int64_t>(0, **retry));
  r.failures = static_cast<unsigned>(*failures);
  return r;
}

}  // namespace vigil::agent
