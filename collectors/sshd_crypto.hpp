// The algorithm lists the OpenSSH 9.2 server offers, as sshd builds them from
// its compiled-in defaults and the +, - and ^ modifiers of sshd_config
// (kex.c kex_assemble_names(), match.c match_filter_denylist/allowlist(),
// servconf.c assemble_algorithms()), behind the `sshd_crypto` table. Pure
// functions over names and values; the configuration itself is evaluated by
// sshd_config.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::collectors {

// How sshd checks a keyword's names when it reads the line (servconf.c):
// ciphers_valid(), mac_valid() and kex_names_valid() want exact names;
// sshkey_names_valid2(..., allow_wildcard=1) also takes a pattern that
// matches any key type.
enum class SshdNameCheck { exact, key_pattern };

// One keyword sshd assembles: its defaults (KEX_SERVER_*, KEX_DEFAULT_PK_ALG,
// SSH_ALLOWED_CA_SIGALGS) and every name this build implements (`all`, what
// `ssh -Q cipher|mac|kex|key-sig|sig` lists for Debian 12's build).
struct SshdAlgorithmSet {
  std::string keyword;  // canonical lowercase keyword, as sshd_config reports it
  SshdNameCheck check = SshdNameCheck::exact;
  std::vector<std::string> defaults;
  std::vector<std::string> all;
  // Names the parse-time check accepts although `all` lacks them: key types
  // for CASignatureAlgorithms (only plain types can sign), the GSSAPI key
  // exchange prefixes of Debian's patch for KexAlgorithms (prefix match).
  std::vector<std::string> valid_extra;
  bool valid_extra_prefix = false;
};

// Debian 12's sets. bare_sntrup: the package offers sntrup761x25519-sha512
// without @openssh.com (1:9.2p1-2+deb12u4 and later).
std::vector<SshdAlgorithmSet> sshd_algorithm_sets(bool bare_sntrup);

// The first version of Debian 12's openssh packages with the bare name.
inline constexpr std::string_view kSshdBareSntrupVersion = "1:9.2p1-2+deb12u4";

struct SshdAlgorithm {
  std::string name;
  bool from_default = false;  // there because of the compiled-in list, not named by the configuration
  bool known = true;          // a name this sshd implements for the keyword
};

struct SshdAlgorithmList {
  // "default" (keyword unset), "replace" (a list of its own), "append" (+),
  // "remove" (-), "prepend" (^).
  std::string modifier = "default";
  // False when sshd refuses to start with this value (fatal in
  // process_server_config_line or assemble_algorithms).
  bool accepted = true;
  // In preference order. When accepted is false, what the list would be if
  // the names sshd refuses were taken as written (known = false).
  std::vector<SshdAlgorithm> algorithms;
  std::vector<std::string> problems;  // why not accepted, or names sshd silently drops
};

// Assembles the list for one keyword from its configured value (nullopt when
// the keyword is unset). value is the first word only: the caller handles
// extra words, which sshd refuses.
SshdAlgorithmList assemble_sshd_algorithms(const SshdAlgorithmSet& set,
                                           std::optional<std::string_view> value);

// OpenSSH's match_pattern_list(name, patterns, 0): 1 when a pattern of the
// comma-separated list matches ('*' and '?' wildcards, case-sensitive), -1
// when a negated one ('!pattern') matches, 0 otherwise.
int sshd_match_pattern_list(std::string_view name, std::string_view patterns);

}  // namespace vigil::collectors
