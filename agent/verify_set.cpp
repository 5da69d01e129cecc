// Bundle sets: vigil-store's export of several hosts, one
// vigil.evidence-bundle.v1 per host in one document (see verify.hpp).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "json_exact.hpp"
#include "report.hpp"
#include "verify.hpp"

namespace vigil::agent {

Result<std::string> make_bundle_set(const std::vector<std::string>& bundles, std::int64_t created_at_ms) {
  boost::json::array items;
  for (std::size_t i = 0; i < bundles.size(); ++i) {
    auto v = parse_json_exact(bundles[i], "bundle #" + std::to_string(i + 1));
    if (!v) return std::move(v).error();
    items.push_back(std::move(*v));
  }
  boost::json::object doc{
      {"schema", kBundleSetSchema}, {"created_at", iso_time(created_at_ms)}, {"bundles", std::move(items)}};
  return pretty_json(doc);
}

Result<std::optional<std::vector<std::string>>> split_bundle_set(std::string_view text) {
  if (text.size() > kMaxBundleBytes)
    return make_error(Errc::too_large, "bundle: over " + std::to_string(kMaxBundleBytes) + " bytes");
  auto v = parse_json_exact(text, "bundle", 128);
  // Not JSON at all: let verify_bundle say so, as for any bundle.
  if (!v || !v->is_object()) return std::optional<std::vector<std::string>>();
  const auto& o = v->as_object();
  const auto* schema = o.if_contains("schema");
  if (schema == nullptr || !schema->is_string() || schema->get_string() != kBundleSetSchema)
    return std::optional<std::vector<std::string>>();
  const auto* bundles = o.if_contains("bundles");
  if (bundles == nullptr || !bundles->is_array())
    return make_error(Errc::parse, "bundle set: \"bundles\" missing or not an array");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < bundles->as_array().size(); ++i) {
    const auto& b = bundles->as_array()[i];
    if (!b.is_object())
      return make_error(Errc::parse, "bundle set: bundles[" + std::to_string(i) + "] is not an object");
    out.push_back(boost::json::serialize(b));
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

}  // namespace vigil::agent
