// A host's posture as the API shows it: the latest result per check with
// current waivers applied (a failing result a waiver matches is "waived",
// with the waiver as its evidence), and the chain's state.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "storage.hpp"

namespace vigil::store {

// Whether a waiver's hosts selector ("*", a host id, "scope:KEY=VALUE") names host.
bool selector_matches(const std::string& selector, const HostRecord& host);
// "" when the selector is well formed, else why not.
std::string selector_problem(const std::string& selector);

// The active waiver that applies to a failing result, if any.
const Waiver* waiver_for(const std::vector<Waiver>& waivers, const HostRecord& host, const StoredResult& r,
                         std::int64_t now_ms);

struct EffectiveResult {
  const StoredResult* result = nullptr;
  std::string verdict;  // as signed, or "waived"
  const Waiver* waiver = nullptr;
};
std::vector<EffectiveResult> apply_waivers(const std::vector<StoredResult>& latest, const HostRecord& host,
                                           const std::vector<Waiver>& waivers, std::int64_t now_ms);

boost::json::object chain_json(const ChainState& c);
boost::json::object waiver_json(const Waiver& w, std::int64_t now_ms);

}  // namespace vigil::store
