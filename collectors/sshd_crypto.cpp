// The `sshd_crypto` table: one row per algorithm the OpenSSH 9.2 server of
// Debian 12 offers for Ciphers, MACs, KexAlgorithms, HostKeyAlgorithms,
// PubkeyAcceptedAlgorithms, HostbasedAcceptedAlgorithms and
// CASignatureAlgorithms, in preference order.
//
// The configured value comes from the sshd_config evaluation (first value
// wins, Include, "Match all"); the list is then built as sshd does:
//  - servconf.c checks the value when it reads the line: exact names for
//    Ciphers/MACs/KexAlgorithms (ciphers_valid, mac_valid, kex_names_valid),
//    names or key-type patterns for the key keywords (sshkey_names_valid2);
//    a '-' list is not checked; checking stops at an empty element (strsep).
//  - assemble_algorithms() then runs kex_assemble_names(): '+' appends to the
//    default (kex_names_cat, duplicates skipped), '-' removes what matches
//    (match_filter_denylist), '^' puts the names first; every name except in
//    the '-' case is then expanded against all implemented names
//    (match_filter_allowlist), '!' there and an empty result are fatal.
// Verified against Debian 12's ssh(1) 9.2p1-2+deb12u6, whose readconf.c
// shares these functions: `ssh -G -o Ciphers=...` and `ssh -Q ...`.
#include "sshd_crypto.hpp"

#include <exception>

#include "collector.hpp"
#include "deb_packages.hpp"
#include "debversion.hpp"
#include "host.hpp"
#include "sshd_config.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

// The openssh-server version the host's dpkg database records, if installed.
std::optional<std::string> installed_sshd_version(CollectContext& ctx) {
  constexpr std::string_view kStatus = "/var/lib/dpkg/status";
  auto status = ctx.host().read_file(kStatus, ReadOptions{.max_bytes = 64u * 1024u * 1024u});
  if (!status) {
    ctx.warn(std::string(kStatus), status.error().message +
                                       "; the openssh-server version is unknown: the defaults of Debian 12's "
                                       "current package (" +
                                       std::string(kSshdBareSntrupVersion) + " and later) are reported");
    return std::nullopt;
  }
  for (const auto& p : parse_dpkg_status(status->data)) {
    if (p.name == "openssh-server" && p.state && dpkg_state_installed(*p.state) && p.version)
      return p.version;
  }
  ctx.warn(std::string(kStatus), "openssh-server is not installed; its Debian 12 defaults are reported");
  return std::nullopt;
}

Value opt_text(const std::string& s) {
  return s.empty() ? null_value() : text_value(sanitize_utf8(s));
}

Status collect_sshd_crypto(CollectContext& ctx, std::vector<Row>& rows) {
  auto config = evaluate_sshd_config_on_host(ctx);
  if (!config) return config.error();
  const auto version = installed_sshd_version(ctx);
  if (version &&
      (deb_version_compare(*version, "1:9.2p1") < 0 || deb_version_compare(*version, "1:9.3") >= 0)) {
    ctx.warn("openssh-server", "installed version " + sanitize_utf8(*version) +
                                   " is not Debian 12's 9.2p1: the lists are OpenSSH 9.2p1's, this sshd's "
                                   "may differ");
  }
  const bool bare = !version || deb_version_compare(*version, kSshdBareSntrupVersion) >= 0;
  for (const auto& set : sshd_algorithm_sets(bare)) {
    const SshdSetting* s = nullptr;
    for (const auto& c : config->settings) {
      if (c.keyword == set.keyword) s = &c;
    }
    std::optional<std::string_view> value;
    std::string where;
    if (s != nullptr && !s->is_default) {
      value = s->value;
      where = s->file + ":" + std::to_string(s->line);
    }
    bool extra_words = false;
    if (value) {
      const auto words = split_ws(*value);
      extra_words = words.size() > 1;
      value = words.empty() ? std::string_view() : words.front();
    }
    SshdAlgorithmList list = assemble_sshd_algorithms(set, value);
    if (extra_words) {
      list.accepted = false;
      list.problems.push_back(
          "extra arguments after the list; sshd refuses this configuration (only the "
          "first word is reported)");
    }
    const std::string shown = where.empty() ? set.keyword : where;
    for (const auto& p : list.problems) ctx.warn(sanitize_utf8(shown), set.keyword + ": " + sanitize_utf8(p));
    const auto row = [&](Value position, Value name, bool from_default, bool known) {
      rows.push_back(Row{text_value(set.keyword), std::move(position), std::move(name),
                         bool_value(from_default), text_value(list.modifier),
                         s != nullptr && !s->is_default ? text_value(sanitize_utf8(s->value)) : null_value(),
                         s != nullptr && !s->is_default ? opt_text(s->file) : null_value(),
                         s != nullptr && !s->is_default ? int_value(s->line) : null_value(),
                         bool_value(known), bool_value(list.accepted)});
    };
    if (list.algorithms.empty()) row(int_value(0), null_value(), false, true);
    std::int64_t position = 0;
    for (const auto& a : list.algorithms) {
      row(int_value(++position), text_value(sanitize_utf8(a.name)), a.from_default, a.known);
    }
  }
  return Status::success();
}

TableDef sshd_crypto_table() {
  using T = ColumnType;
  return TableDef{
      "sshd_crypto",
      "The algorithms the OpenSSH 9.2p1 server of Debian 12 offers, one row per algorithm in preference "
      "order, for ciphers, macs, kexalgorithms, hostkeyalgorithms, pubkeyacceptedalgorithms, "
      "hostbasedacceptedalgorithms and casignaturealgorithms: the effective global value of sshd_config "
      "(first value wins, Include, 'Match all') applied to the compiled-in default as sshd's "
      "kex_assemble_names() does: '+' appends, '-' removes what its patterns match, '^' puts names "
      "first, a plain list replaces the default (key-type lists may use patterns: 'ssh-ed25519*'). Match "
      "blocks other than 'Match all' are not applied (their raw values are in sshd_match). A value sshd "
      "refuses (an unknown name, a pattern in a Ciphers/MACs/KexAlgorithms list, '!', extra words) makes "
      "every row of the keyword accepted = 0 and a warning: sshd does not start. HostKeyAlgorithms is "
      "further limited, per connection, to the host keys the server has. The default KexAlgorithms list "
      "follows the host's openssh-server version (sntrup761x25519-sha512 without @openssh.com from "
      "1:9.2p1-2+deb12u4).",
      {
          {"keyword", T::text,
           "ciphers, macs, kexalgorithms, hostkeyalgorithms, pubkeyacceptedalgorithms, "
           "hostbasedacceptedalgorithms or casignaturealgorithms (canonical lowercase, as in sshd_config)"},
          {"position", T::integer,
           "1-based preference order within the keyword's list; 0 for the one row of a list left empty "
           "(e.g. 'Ciphers -*': sshd starts, but no connection can agree on an algorithm)"},
          {"algorithm", T::text, "algorithm name, e.g. aes256-gcm@openssh.com; NULL for an empty list's row"},
          {"from_default", T::integer,
           "1 when the name is in the list because it is in the compiled-in default (keyword unset, kept "
           "by '-', or the default part of '+'/'^'); 0 when the configured value names it (literally or "
           "through a pattern)"},
          {"modifier", T::text,
           "how the configured value builds the list: 'default' (keyword unset), 'replace' (a list of its "
           "own), 'append' (+), 'remove' (-), 'prepend' (^)"},
          {"value", T::text, "the configured value as written; NULL when the keyword is unset"},
          {"file", T::text, "host path of the file that sets the keyword; NULL when unset"},
          {"line", T::integer, "1-based line of that setting; NULL when unset"},
          {"known", T::integer,
           "1 for a name this sshd implements for the keyword; 0 for a name it does not know (only in a "
           "list with accepted = 0, kept as written so the row shows what was asked for)"},
          {"accepted", T::integer,
           "1 when sshd 9.2 starts with this keyword's value; 0 when it refuses the whole configuration "
           "because of it (the rows then show the list as written, not one in force). The same on every "
           "row of a keyword"},
      },
      collect_sshd_crypto,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(sshd_crypto_table());

}  // namespace vigil::collectors
