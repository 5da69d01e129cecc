#include "posture.hpp"

#include "api_support.hpp"

namespace vigil::store {

std::string selector_problem(const std::string& selector) {
  if (selector.empty()) return "hosts selector is empty";
  if (selector.rfind("scope:", 0) == 0) {
    const auto eq = selector.find('=', 6);
    if (eq == std::string::npos || eq == 6)
      return "hosts selector '" + selector + "' must be scope:KEY=VALUE";
  }
  return "";
}

bool selector_matches(const std::string& selector, const HostRecord& host) {
  if (selector == "*") return true;
  if (selector.rfind("scope:", 0) == 0) {
    const auto eq = selector.find('=', 6);
    if (eq == std::string::npos) return false;
    auto it = host.scope.find(selector.substr(6, eq - 6));
    return it != host.scope.end() && it->second == selector.substr(eq + 1);
  }
  return selector == host.id;
}

const Waiver* waiver_for(const std::vector<Waiver>& waivers, const HostRecord& host, const StoredResult& r,
                         std::int64_t now_ms) {
  if (r.row.verdict != "fail") return nullptr;
  for (const auto& w : waivers)
    if (w.active(now_ms) && w.check == r.row.check && selector_matches(w.selector, host)) return &w;
  return nullptr;
}

std::vector<EffectiveResult> apply_waivers(const std::vector<StoredResult>& latest, const HostRecord& host,
                                           const std::vector<Waiver>& waivers, std::int64_t now_ms) {
  std::vector<EffectiveResult> out;
  for (const auto& r : latest) {
    if (r.host_id != host.id) continue;
    const Waiver* w = waiver_for(waivers, host, r, now_ms);
    out.push_back(EffectiveResult{&r, w != nullptr ? "waived" : r.row.verdict, w});
  }
  return out;
}

boost::json::object chain_json(const ChainState& c) {
  boost::json::array gaps, forks;
  for (const auto& g : c.gaps) {
    boost::json::object o{{"first_sequence", g.first_sequence},
                          {"last_sequence", g.last_sequence},
                          {"explained", g.explained_by.has_value()}};
    if (g.explained_by) {
      o["gap_record_sequence"] = *g.explained_by;
      o["reason"] = g.reason;
    }
    gaps.push_back(std::move(o));
  }
  for (const auto& f : c.forks)
    forks.push_back(boost::json::object{
        {"sequence", f.sequence}, {"digest", f.digest}, {"reason", f.reason}, {"at", iso_ms(f.at_ms)}});
  bool unexplained = false;
  for (const auto& g : c.gaps) unexplained = unexplained || !g.explained_by;
  const char* status = !c.forks.empty() ? "fork" : unexplained ? "gap" : "ok";
  return boost::json::object{
      {"status", status},
      {"epoch", c.epoch},
      {"last_sequence", c.last_sequence ? boost::json::value(*c.last_sequence) : nullptr},
      {"gaps", std::move(gaps)},
      {"forks", std::move(forks)}};
}

boost::json::object waiver_json(const Waiver& w, std::int64_t now_ms) {
  const char* state = w.revoked_at_ms ? "revoked" : w.expires_at_ms <= now_ms ? "expired" : "active";
  return boost::json::object{{"id", w.id},
                             {"check", w.check},
                             {"hosts", w.selector},
                             {"owner", w.owner},
                             {"reason", w.reason},
                             {"created_by", w.created_by},
                             {"created_at", iso_ms(w.created_at_ms)},
                             {"expires", iso_ms(w.expires_at_ms)},
                             {"revoked_at", opt_time(w.revoked_at_ms)},
                             {"state", state}};
}

}  // namespace vigil::store
