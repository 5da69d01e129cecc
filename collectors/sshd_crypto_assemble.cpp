// How sshd 9.2 builds an algorithm list (see sshd_crypto.hpp): the
// parse-time name checks of servconf.c, kex_assemble_names() with
// kex_names_cat() and match_filter_denylist/allowlist(), and the names
// Debian 12's build implements.
#include <algorithm>

#include "sshd_config.hpp"
#include "sshd_crypto.hpp"

namespace vigil::collectors {

namespace {

// match.c's subpattern buffer: a longer one makes the whole list not match.
constexpr std::size_t kSubpatternMax = 1023;

// match_pattern() with '*' and '?', without its recursion: keeping only the
// last '*' gives the same answers in linear time, so a hostile pattern like
// "*a*a*a...b" cannot stall a scan.
bool glob_match(std::string_view s, std::string_view p) {
  std::size_t si = 0, pi = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++si;
      ++pi;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

// strsep(&s, ","): every field, empty ones included.
std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = s.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
}

// The loops of ciphers_valid(), kex_names_cat() and friends stop at the first
// empty field: "a,,b" is "a" to them.
std::vector<std::string_view> fields_until_empty(std::string_view s) {
  std::vector<std::string_view> out;
  for (auto f : fields(s)) {
    if (f.empty()) break;
    out.push_back(f);
  }
  return out;
}

std::vector<std::string> split_names(std::string_view list) {
  std::vector<std::string> out;
  for (auto f : fields(list)) out.emplace_back(f);
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view name) {
  return std::find(v.begin(), v.end(), name) != v.end();
}

bool listed(const std::vector<SshdAlgorithm>& v, std::string_view name) {
  return std::any_of(v.begin(), v.end(), [&](const SshdAlgorithm& a) { return a.name == name; });
}

// Whether sshd's parse-time check accepts one field.
bool name_valid(const SshdAlgorithmSet& set, std::string_view name) {
  if (contains(set.all, name) || contains(set.valid_extra, name)) return true;
  if (set.valid_extra_prefix) {
    for (const auto& p : set.valid_extra) {
      if (name.substr(0, p.size()) == p) return true;
    }
  }
  if (set.check != SshdNameCheck::key_pattern) return false;
  // sshkey_names_valid2: a component that any key type matches, positively
  // or negatively, is accepted.
  for (const auto& n : set.all) {
    if (sshd_match_pattern_list(n, name) != 0) return true;
  }
  for (const auto& n : set.valid_extra) {
    if (sshd_match_pattern_list(n, name) != 0) return true;
  }
  return false;
}

}  // namespace

int sshd_match_pattern_list(std::string_view name, std::string_view patterns) {
  bool positive = false;
  std::size_t i = 0;
  while (i < patterns.size()) {
    bool negated = false;
    if (patterns[i] == '!') {
      negated = true;
      ++i;
    }
    const auto comma = patterns.find(',', i);
    const std::size_t end = comma == std::string_view::npos ? patterns.size() : comma;
    const std::string_view sub = patterns.substr(i, end - i);
    if (sub.size() >= kSubpatternMax) return 0;
    i = comma == std::string_view::npos ? patterns.size() : comma + 1;
    if (glob_match(name, sub)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

SshdAlgorithmList assemble_sshd_algorithms(const SshdAlgorithmSet& set,
                                           std::optional<std::string_view> value) {
  SshdAlgorithmList out;
  const auto from_defaults = [&set] {
    std::vector<SshdAlgorithm> v;
    for (const auto& d : set.defaults) v.push_back(SshdAlgorithm{d, true, true});
    return v;
  };
  if (!value) {
    out.algorithms = from_defaults();
    return out;
  }
  if (value->empty()) {
    // An empty argument ('""') is "missing argument" to servconf.c.
    out.modifier = "replace";
    out.accepted = false;
    out.problems.push_back("empty value: sshd refuses to start");
    return out;
  }
  std::string_view list = *value;
  const char op = list.front();
  out.modifier = op == '+' ? "append" : op == '-' ? "remove" : op == '^' ? "prepend" : "replace";
  if (op == '+' || op == '-' || op == '^') list.remove_prefix(1);

  if (op == '-') {
    // match_filter_denylist(): the defaults that no pattern matches positively.
    for (const auto& d : set.defaults) {
      if (sshd_match_pattern_list(d, list) != 1) out.algorithms.push_back(SshdAlgorithm{d, true, true});
    }
    if (out.algorithms.empty()) {
      out.problems.push_back("'-" + std::string(list) +
                             "' removes every default: sshd starts, but no client can agree on an algorithm");
    }
    return out;
  }

  // ciphers_valid() and its siblings refuse an empty list ("+" alone).
  if (list.empty()) {
    out.accepted = false;
    out.problems.push_back("'" + std::string(*value) + "' names no algorithm: sshd refuses to start");
  }
  std::vector<std::string> refused;  // fields the parse-time check refuses, kept as written
  for (auto f : fields_until_empty(list)) {
    if (!name_valid(set, f)) {
      refused.emplace_back(f);
      out.accepted = false;
      out.problems.push_back("'" + std::string(f) + "' is not " +
                             (set.check == SshdNameCheck::exact ? "a name" : "a name or pattern") +
                             " this sshd knows for " + set.keyword + " (case matters" +
                             (set.check == SshdNameCheck::exact ? "; patterns only after '-'" : "") +
                             "): sshd refuses to start");
    }
  }

  // kex_names_cat(): the second list's names are appended when not present;
  // for '^' the configured text is copied whole, empty fields included.
  struct Item {
    std::string name;
    bool from_default;
  };
  std::vector<Item> cat;
  const auto append_new = [&cat](std::string_view name, bool from_default) {
    for (const auto& i : cat) {
      if (i.name == name) return;
    }
    cat.push_back(Item{std::string(name), from_default});
  };
  if (op == '+') {
    for (const auto& d : set.defaults) cat.push_back(Item{d, true});
    for (auto f : fields_until_empty(list)) append_new(f, false);
  } else if (op == '^') {
    for (auto f : fields(list)) cat.push_back(Item{std::string(f), false});
    for (const auto& d : set.defaults) append_new(d, true);
  } else {
    for (auto f : fields(list)) cat.push_back(Item{std::string(f), false});
  }

  // Each name (a pattern to match_filter_allowlist) brings the implemented
  // names it matches, in the build's order; kex_names_cat drops repeats.
  for (const auto& item : cat) {
    if (!item.name.empty() && item.name.front() == '!') {
      out.accepted = false;
      out.problems.push_back("'" + item.name +
                             "': negated names are not allowed here; sshd refuses to start");
      if (!listed(out.algorithms, item.name))
        out.algorithms.push_back(SshdAlgorithm{item.name, false, false});
      continue;
    }
    bool matched = false;
    if (contains(refused, item.name)) {
      if (!listed(out.algorithms, item.name))
        out.algorithms.push_back(SshdAlgorithm{item.name, false, false});
      continue;
    }
    for (const auto& a : set.all) {
      if (sshd_match_pattern_list(a, item.name) != 1) continue;
      matched = true;
      if (!listed(out.algorithms, a)) out.algorithms.push_back(SshdAlgorithm{a, item.from_default, true});
    }
    if (matched || item.name.empty()) continue;
    if (out.accepted) {
      out.problems.push_back("'" + item.name + "' names nothing this sshd offers for " + set.keyword +
                             "; sshd drops it");
    }
    // Kept (as unknown) in the list of a value sshd refuses, so the rows show what was asked for.
    if (!listed(out.algorithms, item.name)) out.algorithms.push_back(SshdAlgorithm{item.name, false, false});
  }
  if (!out.accepted) return out;
  // A name dropped above is only a row when the value is refused anyway.
  out.algorithms.erase(std::remove_if(out.algorithms.begin(), out.algorithms.end(),
                                      [](const SshdAlgorithm& a) { return !a.known; }),
                       out.algorithms.end());
  if (out.algorithms.empty()) {
    out.accepted = false;
    out.problems.push_back("the list names no algorithm this sshd offers; sshd refuses to start");
  }
  return out;
}

std::vector<SshdAlgorithmSet> sshd_algorithm_sets(bool bare_sntrup) {
  // Every name this build implements, in the order of its tables (cipher.c
  // ciphers[], mac.c macs[], kex.c kexalgs[], sshkey.c keyimpls[]): what
  // `ssh -Q` prints on Debian 12 (OpenSSL, security keys, no XMSS). "none"
  // is internal and never valid.
  const std::vector<std::string> ciphers = split_names(
      "3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
      "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com");
  const std::vector<std::string> macs = split_names(
      "hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,hmac-md5-96,umac-64@openssh.com,"
      "umac-128@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,"
      "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-md5-etm@openssh.com,"
      "hmac-md5-96-etm@openssh.com,umac-64-etm@openssh.com,umac-128-etm@openssh.com");
  std::vector<std::string> kex = split_names(
      "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,"
      "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,"
      "diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
      "curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512,"
      "sntrup761x25519-sha512@openssh.com");
  // sshkey_alg_list(0, 0, 1): key and signature-only types; (0, 1, 1): plain ones.
  const std::vector<std::string> keys = split_names(
      "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,"
      "sk-ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,"
      "ecdsa-sha2-nistp384,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521,"
      "ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,"
      "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,"
      "ssh-dss-cert-v01@openssh.com,ssh-rsa,ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,"
      "rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com");
  std::vector<std::string> plain_keys;
  for (const auto& k : keys) {
    if (k.find("-cert-v01@") == std::string::npos) plain_keys.push_back(k);
  }
  std::vector<std::string> cert_keys;
  for (const auto& k : keys) {
    if (!contains(plain_keys, k)) cert_keys.push_back(k);
  }
  // Debian's GSSAPI key exchange patch: kex_alg_by_name() takes any name
  // starting with one of these, but they are not in the list sshd assembles
  // (GSSAPIKexAlgorithms is their keyword), so they are dropped.
  const std::vector<std::string> gss = split_names(
      "gss-gex-sha1-,gss-group1-sha1-,gss-group14-sha1-,gss-group14-sha256-,gss-group16-sha512-,"
      "gss-nistp256-sha256-,gss-curve25519-sha256-");

  const auto defaults_of = [](std::string_view keyword) {
    for (const auto& [k, v] : sshd_defaults()) {
      if (k == keyword) return split_names(v);
    }
    return std::vector<std::string>{};
  };
  std::vector<std::string> kex_defaults = defaults_of("kexalgorithms");
  if (!bare_sntrup) {
    const auto drop = [](std::vector<std::string>& v) {
      v.erase(std::remove(v.begin(), v.end(), "sntrup761x25519-sha512"), v.end());
    };
    drop(kex_defaults);
    drop(kex);
  }
  std::vector<SshdAlgorithmSet> sets;
  sets.push_back({"ciphers", SshdNameCheck::exact, defaults_of("ciphers"), ciphers, {}, false});
  sets.push_back({"macs", SshdNameCheck::exact, defaults_of("macs"), macs, {}, false});
  sets.push_back({"kexalgorithms", SshdNameCheck::exact, kex_defaults, kex, gss, true});
  for (const char* k : {"hostkeyalgorithms", "pubkeyacceptedalgorithms", "hostbasedacceptedalgorithms"}) {
    sets.push_back({k, SshdNameCheck::key_pattern, defaults_of(k), keys, {}, false});
  }
  sets.push_back({"casignaturealgorithms", SshdNameCheck::key_pattern, defaults_of("casignaturealgorithms"),
                  plain_keys, cert_keys, false});
  return sets;
}

}  // namespace vigil::collectors
