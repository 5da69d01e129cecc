// resolve_evidence (evidence.hpp).
#include "evidence.hpp"

#include <algorithm>
#include <tuple>

#include "attest.hpp"
#include "json_exact.hpp"

namespace vigil::store {

Status resolve_evidence(Storage& storage, std::vector<StoredResult>& results) {
  std::vector<StoredResult*> pending;
  for (auto& r : results)
    if (r.row.evidence_span && r.row.evidence_json.empty()) pending.push_back(&r);
  auto key = [](const StoredResult* r) { return std::tie(r->host_id, r->epoch, r->sequence); };
  std::sort(pending.begin(), pending.end(),
            [&](const StoredResult* a, const StoredResult* b) { return key(a) < key(b); });
  std::string payload;
  const StoredResult* loaded = nullptr;  // whose envelope `payload` is
  for (StoredResult* r : pending) {
    // Only an error names it, so it is built only then.
    auto where = [r] {
      return "evidence of host " + r->host_id + " sequence " + std::to_string(r->sequence) + " (epoch " +
             std::to_string(r->epoch) + ")";
    };
    if (loaded == nullptr || key(loaded) != key(r)) {
      auto bytes = storage.envelope(r->host_id, r->epoch, r->sequence);
      if (!bytes) return bytes.error();
      if (!*bytes) return make_error(Errc::internal, where() + ": its envelope is not stored");
      auto env = agent::parse_envelope(**bytes);
      if (!env)
        return make_error(Errc::internal, where() + ": its envelope does not decode: " + env.error().message);
      payload = std::move(env->payload);
      loaded = r;
    }
    const EvidenceSpan s = *r->row.evidence_span;
    if (s.offset < 0 || s.size <= 0 || static_cast<std::uint64_t>(s.offset) > payload.size() ||
        static_cast<std::uint64_t>(s.size) > payload.size() - static_cast<std::size_t>(s.offset))
      return make_error(Errc::internal, where() + ": span " + std::to_string(s.offset) + "+" +
                                            std::to_string(s.size) + " lies outside its payload of " +
                                            std::to_string(payload.size()) + " bytes");
    std::string text = payload.substr(static_cast<std::size_t>(s.offset), static_cast<std::size_t>(s.size));
    // A span that moved still lies inside the payload; what it cuts out is
    // then not one JSON value.
    if (auto v = agent::parse_json_exact(text, "evidence"); !v)
      return make_error(Errc::internal,
                        where() + ": the span does not hold a JSON value: " + v.error().message);
    r->row.evidence_json = std::move(text);
  }
  return {};
}

}  // namespace vigil::store
