// GET /v1/controls?from=&to=: per ISO/IEC 27001:2022 Annex A control, the
// hosts its checks cover, the latest results (waivers applied) and the
// compliance over the period:
//   compliance = pass / (pass + fail + error)
// over every result, as signed, of every scan started in [from, to] of a
// check mapped to the control (not_applicable and agent-side waived results
// do not count either way); null when there is none.
#include <map>
#include <set>

#include "api_routes.hpp"
#include "catalog.hpp"
#include "posture.hpp"

namespace vigil::store {

namespace {

struct Tally {
  std::int64_t pass = 0, fail = 0, error = 0, not_applicable = 0, waived = 0, other = 0;
  void add(const std::string& v) {
    if (v == "pass")
      ++pass;
    else if (v == "fail")
      ++fail;
    else if (v == "error")
      ++error;
    else if (v == "not_applicable")
      ++not_applicable;
    else if (v == "waived")
      ++waived;
    else
      ++other;
  }
  boost::json::object json() const {
    return boost::json::object{{"pass", pass},
                               {"fail", fail},
                               {"error", error},
                               {"not_applicable", not_applicable},
                               {"waived", waived}};
  }
};

struct ControlView {
  std::set<std::string> checks, hosts;
  Tally latest, period;
};

struct ControlLess {
  bool operator()(const std::string& a, const std::string& b) const { return agent::control_id_less(a, b); }
};

}  // namespace

Response handle_controls(Ctx& ctx, const Request& req, const Caller&, const Params&) {
  if (auto e = unknown_query(req, {"from", "to"})) return bad_request(*e);
  const std::int64_t now = ctx.now_ms();
  auto to = time_param(req, "to", now);
  if (to.error) return bad_request(*to.error);
  auto from = time_param(req, "from", to.value - 30 * 86400000LL);
  if (from.error) return bad_request(*from.error);
  if (from.value > to.value) return bad_request("query: from lies after to");
  auto hosts = ctx.storage.list_hosts();
  if (!hosts) return internal_error(req, hosts.error());
  auto latest = ctx.storage.latest_results("");
  if (!latest) return internal_error(req, latest.error());
  auto waivers = ctx.storage.list_waivers();
  if (!waivers) return internal_error(req, waivers.error());
  auto period = ctx.storage.period_results("", from.value, to.value);
  if (!period) return internal_error(req, period.error());

  std::map<std::string, ControlView, ControlLess> views;
  for (const auto& h : *hosts) {
    for (const auto& e : apply_waivers(*latest, h, *waivers, now)) {
      for (const auto& c : e.result->row.controls) {
        auto& v = views[c];
        v.checks.insert(e.result->row.check);
        v.hosts.insert(h.id);
        v.latest.add(e.verdict);
      }
    }
  }
  for (const auto& r : *period)
    for (const auto& c : r.row.controls) views[c].period.add(r.row.verdict);

  const auto& catalog = agent::ControlCatalog::builtin();
  boost::json::array out;
  for (const auto& [id, v] : views) {
    const std::int64_t judged = v.period.pass + v.period.fail + v.period.error;
    boost::json::array checks;
    for (const auto& c : v.checks) checks.emplace_back(c);
    out.push_back(boost::json::object{
        {"control", id},
        {"title", catalog.title_2022(id)},
        {"checks", std::move(checks)},
        {"hosts", v.hosts.size()},
        {"latest", v.latest.json()},
        {"period", v.period.json()},
        {"compliance", judged == 0 ? boost::json::value(nullptr)
                                   : boost::json::value(static_cast<double>(v.period.pass) /
                                                        static_cast<double>(judged))}});
  }
  return json_response(
      200, boost::json::object{
               {"from", iso_ms(from.value)}, {"to", iso_ms(to.value)}, {"controls", std::move(out)}});
}

}  // namespace vigil::store
