// Data compiled into the binary: the built-in policy packs and the Annex A
// control catalogues (ISO/IEC 27001:2022 and :2013) with the 2013->2022 map.
#pragma once

#include <string_view>

namespace vigil::embedded {
extern const std::string_view baseline_policy;    // policies/linux-baseline.yaml
extern const std::string_view filesystem_policy;  // policies/linux-filesystem.yaml
extern const std::string_view annex_a_2022;       // policies/iso27001/annex-a-2022.tsv
extern const std::string_view annex_a_2013;       // policies/iso27001/annex-a-2013.tsv
extern const std::string_view map_2013_to_2022;   // policies/iso27001/map-2013-to-2022.tsv
inline constexpr std::string_view kBaselinePolicyName = "builtin:linux-baseline.yaml";
inline constexpr std::string_view kFilesystemPolicyName = "builtin:linux-filesystem.yaml";
}  // namespace vigil::embedded
