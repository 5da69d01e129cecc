// What OpenSSH 9.2's sshd knows about single lines of sshd_config: how a
// line splits into a keyword and words (misc.c strdelim/argv_split), which
// keywords exist and how they behave (servconf.c's keyword table, as Debian 12
// builds it), how enum values and times read, and the compiled-in defaults.
// The evaluation of whole files (Include, Match) is in sshd_config.cpp.
#include "sshd_config.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

// sshd's WHITESPACE set plus the form feed it also strips at line ends.
bool is_sshd_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

std::string_view strip_sshd(std::string_view s) noexcept {
  while (!s.empty() && is_sshd_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_sshd_space(s.back())) s.remove_suffix(1);
  return s;
}

void skip_ws(std::string_view& s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
}

// OpenSSH's argv_split(..., terminate_on_comment=1): words split on blanks,
// single or double quotes group, backslash escapes quotes, backslash and (out
// of quotes) a space; a word starting with '#' ends the line.
Result<std::vector<std::string>> split_args(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == '\t') {
      ++i;
      continue;
    }
    if (s[i] == '#') break;
    std::string word;
    char quote = 0;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      const char next = i + 1 < s.size() ? s[i + 1] : '\0';
      if (c == '\\' && (next == '\'' || next == '"' || next == '\\' || (quote == 0 && next == ' '))) {
        word.push_back(next);
        ++i;
      } else if (quote == 0 && (c == ' ' || c == '\t')) {
        break;
      } else if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (quote != 0 && c == quote) {
        quote = 0;
      } else {
        word.push_back(c);
      }
    }
    if (quote != 0) return make_error(Errc::parse, "invalid quotes");
    out.push_back(std::move(word));
  }
  return out;
}

constexpr unsigned kMatchOk = 1, kAccum = 2, kEach = 4, kIgnored = 8;

struct KeywordSpec {
  std::string_view name;
  unsigned flags;
  std::string_view canonical;  // empty: the name itself
};

// servconf.c's keyword table as built for Debian 12 (PAM, Kerberos, GSSAPI,
// lastlog; Debian's DebianBanner and GSSAPI key-exchange patches).
// clang-format off
constexpr KeywordSpec kKeywords[] = {
    {"usepam", 0, {}}, {"port", kAccum, {}}, {"hostkey", kAccum, {}}, {"hostdsakey", kAccum, "hostkey"},
    {"hostkeyagent", 0, {}}, {"pidfile", 0, {}}, {"modulifile", 0, {}}, {"logingracetime", 0, {}},
    {"syslogfacility", 0, {}}, {"hostkeyalgorithms", 0, {}},
    {"dsaauthentication", 0, "pubkeyauthentication"}, {"kerberosorlocalpasswd", 0, {}},
    {"kerberosticketcleanup", 0, {}}, {"gssapicleanupcredentials", 0, {}},
    {"gssapistrictacceptorcheck", 0, {}}, {"listenaddress", kAccum, {}}, {"addressfamily", 0, {}},
    {"printmotd", 0, {}}, {"printlastlog", 0, {}}, {"ignoreuserknownhosts", 0, {}}, {"xauthlocation", 0, {}},
    {"strictmodes", 0, {}}, {"permituserenvironment", 0, {}}, {"compression", 0, {}},
    {"tcpkeepalive", 0, {}}, {"keepalive", 0, "tcpkeepalive"}, {"ciphers", 0, {}}, {"macs", 0, {}},
    {"subsystem", kAccum, {}}, {"maxstartups", 0, {}}, {"persourcemaxstartups", 0, {}},
    {"persourcenetblocksize", 0, {}}, {"usedns", 0, {}}, {"hostcertificate", kAccum, {}},
    {"kexalgorithms", 0, {}}, {"versionaddendum", 0, {}}, {"fingerprinthash", 0, {}},
    {"securitykeyprovider", 0, {}}, {"debianbanner", 0, {}}, {"gssapikeyexchange", 0, {}},
    {"gssapistorecredentialsonrekey", 0, {}}, {"gssapikexalgorithms", 0, {}},
    {"permitrootlogin", kMatchOk, {}}, {"loglevel", kMatchOk, {}}, {"logverbose", kMatchOk, {}},
    {"hostbasedauthentication", kMatchOk, {}}, {"hostbasedusesnamefrompacketonly", kMatchOk, {}},
    {"hostbasedacceptedalgorithms", kMatchOk, {}},
    {"hostbasedacceptedkeytypes", kMatchOk, "hostbasedacceptedalgorithms"},
    {"pubkeyauthentication", kMatchOk, {}}, {"pubkeyacceptedalgorithms", kMatchOk, {}},
    {"pubkeyacceptedkeytypes", kMatchOk, "pubkeyacceptedalgorithms"}, {"pubkeyauthoptions", kMatchOk, {}},
    {"kerberosauthentication", kMatchOk, {}}, {"gssapiauthentication", kMatchOk, {}},
    {"passwordauthentication", kMatchOk, {}}, {"kbdinteractiveauthentication", kMatchOk, {}},
    {"challengeresponseauthentication", kMatchOk, "kbdinteractiveauthentication"},
    {"skeyauthentication", kMatchOk, "kbdinteractiveauthentication"}, {"ignorerhosts", kMatchOk, {}},
    {"x11forwarding", kMatchOk, {}}, {"x11displayoffset", kMatchOk, {}}, {"x11uselocalhost", kMatchOk, {}},
    {"permitemptypasswords", kMatchOk, {}}, {"rekeylimit", kMatchOk, {}},
    {"allowtcpforwarding", kMatchOk, {}}, {"allowagentforwarding", kMatchOk, {}},
    {"allowusers", kMatchOk | kAccum | kEach, {}}, {"denyusers", kMatchOk | kAccum | kEach, {}},
    {"allowgroups", kMatchOk | kAccum | kEach, {}}, {"denygroups", kMatchOk | kAccum | kEach, {}},
    {"gatewayports", kMatchOk, {}}, {"maxauthtries", kMatchOk, {}}, {"maxsessions", kMatchOk, {}},
    {"banner", kMatchOk, {}}, {"clientaliveinterval", kMatchOk, {}}, {"clientalivecountmax", kMatchOk, {}},
    {"authorizedkeysfile", kMatchOk, {}}, {"acceptenv", kMatchOk | kAccum | kEach, {}},
    {"setenv", kMatchOk, {}}, {"permittunnel", kMatchOk, {}}, {"permittty", kMatchOk, {}},
    {"permituserrc", kMatchOk, {}}, {"permitopen", kMatchOk, {}}, {"permitlisten", kMatchOk, {}},
    {"forcecommand", kMatchOk, {}}, {"chrootdirectory", kMatchOk, {}}, {"revokedkeys", kMatchOk, {}},
    {"trustedusercakeys", kMatchOk, {}}, {"authorizedprincipalsfile", kMatchOk, {}}, {"ipqos", kMatchOk, {}},
    {"authorizedkeyscommand", kMatchOk, {}}, {"authorizedkeyscommanduser", kMatchOk, {}},
    {"authorizedprincipalscommand", kMatchOk, {}}, {"authorizedprincipalscommanduser", kMatchOk, {}},
    {"authenticationmethods", kMatchOk, {}}, {"streamlocalbindmask", kMatchOk, {}},
    {"streamlocalbindunlink", kMatchOk, {}}, {"allowstreamlocalforwarding", kMatchOk, {}},
    {"disableforwarding", kMatchOk, {}}, {"exposeauthinfo", kMatchOk, {}}, {"rdomain", kMatchOk, {}},
    {"casignaturealgorithms", kMatchOk, {}}, {"requiredrsasize", kMatchOk, {}},
    {"channeltimeout", kMatchOk, {}}, {"unusedconnectiontimeout", kMatchOk, {}},
    // Deprecated, unsupported or ignored: sshd logs them and goes on.
    {"pamauthenticationviakbdint", kIgnored, {}}, {"serverkeybits", kIgnored, {}},
    {"keyregenerationinterval", kIgnored, {}}, {"rhostsauthentication", kIgnored, {}},
    {"rhostsrsaauthentication", kIgnored | kMatchOk, {}}, {"rsaauthentication", kIgnored | kMatchOk, {}},
    {"checkmail", kIgnored, {}}, {"uselogin", kIgnored, {}}, {"verifyreversemapping", kIgnored, {}},
    {"reversemappingcheck", kIgnored, {}}, {"authorizedkeysfile2", kIgnored | kMatchOk, {}},
    {"useprivilegeseparation", kIgnored, {}}, {"protocol", kIgnored, {}},
    {"kerberostgtpassing", kIgnored, {}}, {"afstokenpassing", kIgnored, {}},
    {"kerberosgetafstoken", kIgnored, {}},
};
// clang-format on

constexpr std::string_view kYesNo = "yes no";
// Accepted words per enum keyword, compared case-insensitively; "a=b" means
// sshd takes a as b. The words are written the way `sshd -T` prints them.
constexpr std::pair<std::string_view, std::string_view> kEnums[] = {
    {"permitrootlogin", "yes no prohibit-password without-password=prohibit-password forced-commands-only"},
    {"ignorerhosts", "yes no shosts-only"},
    {"addressfamily", "any inet inet6"},
    {"compression", "yes delayed=yes no"},
    {"gatewayports", "yes no clientspecified"},
    {"allowtcpforwarding", "yes all=yes no local remote"},
    {"allowstreamlocalforwarding", "yes all=yes no local remote"},
    {"permittunnel", "yes no point-to-point ethernet"},
    {"loglevel", "QUIET FATAL ERROR INFO VERBOSE DEBUG DEBUG1 DEBUG2 DEBUG3"},
    {"syslogfacility", "DAEMON USER AUTH AUTHPRIV LOCAL0 LOCAL1 LOCAL2 LOCAL3 LOCAL4 LOCAL5 LOCAL6 LOCAL7"},
    {"fingerprinthash", "MD5 SHA256"},
    {"permituserenvironment", "yes no"},
};
constexpr std::string_view kFlagKeywords[] = {"usepam",
                                              "permitemptypasswords",
                                              "passwordauthentication",
                                              "pubkeyauthentication",
                                              "kbdinteractiveauthentication",
                                              "hostbasedauthentication",
                                              "hostbasedusesnamefrompacketonly",
                                              "kerberosauthentication",
                                              "kerberosorlocalpasswd",
                                              "kerberosticketcleanup",
                                              "gssapiauthentication",
                                              "gssapicleanupcredentials",
                                              "gssapistrictacceptorcheck",
                                              "printmotd",
                                              "printlastlog",
                                              "ignoreuserknownhosts",
                                              "x11forwarding",
                                              "x11uselocalhost",
                                              "strictmodes",
                                              "tcpkeepalive",
                                              "allowagentforwarding",
                                              "permittty",
                                              "permituserrc",
                                              "usedns",
                                              "streamlocalbindunlink",
                                              "disableforwarding",
                                              "exposeauthinfo",
                                              "debianbanner",
                                              "gssapikeyexchange",
                                              "gssapistorecredentialsonrekey"};
constexpr std::string_view kIntKeywords[] = {"port",
                                             "maxauthtries",
                                             "maxsessions",
                                             "maxstartups",
                                             "persourcemaxstartups",
                                             "clientalivecountmax",
                                             "x11displayoffset",
                                             "requiredrsasize"};
constexpr std::string_view kTimeKeywords[] = {"logingracetime", "clientaliveinterval",
                                              "unusedconnectiontimeout"};
// Keywords whose value sshd takes as the raw rest of the line, not as words.
constexpr std::string_view kRawKeywords[] = {"forcecommand", "authorizedkeyscommand",
                                             "authorizedprincipalscommand", "versionaddendum"};

template <std::size_t N>
bool listed(const std::string_view (&list)[N], std::string_view name) noexcept {
  for (auto n : list) {
    if (n == name) return true;
  }
  return false;
}

std::string_view enum_words(std::string_view canonical) noexcept {
  if (listed(kFlagKeywords, canonical)) return kYesNo;
  for (const auto& [name, words] : kEnums) {
    if (name == canonical) return words;
  }
  return {};
}

}  // namespace

Result<std::optional<SshdLine>> tokenize_sshd_line(std::string_view line) {
  std::string_view s = strip_sshd(line);
  if (s.empty() || s.front() == '#') return std::optional<SshdLine>{};
  // The keyword ends at a blank, a quote or one '=' (strdelim() in misc.c).
  std::string keyword;
  std::size_t end = s.find_first_of(" \t\r\n\"=");
  if (end == std::string_view::npos) {
    keyword = s;
    s = {};
  } else if (s[end] == '"') {
    const std::size_t close = s.find('"', end + 1);
    if (close == std::string_view::npos) return std::optional<SshdLine>{};  // sshd skips such a line
    keyword = std::string(s.substr(0, end)) + std::string(s.substr(end + 1, close - end - 1));
    s.remove_prefix(close + 1);
    skip_ws(s);
  } else {
    const bool equals = s[end] == '=';
    keyword = s.substr(0, end);
    s.remove_prefix(end + 1);
    skip_ws(s);
    if (!equals && !s.empty() && s.front() == '=') {
      s.remove_prefix(1);
      skip_ws(s);
    }
  }
  if (keyword.empty() || keyword.front() == '#') return std::optional<SshdLine>{};
  if (s.empty()) return make_error(Errc::parse, "no argument after keyword \"" + keyword + "\"");
  auto args = split_args(s);
  if (!args) return std::move(args).error();
  return std::optional<SshdLine>{SshdLine{to_lower(keyword), std::move(*args), std::string(s)}};
}

std::optional<std::int64_t> sshd_time_seconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  constexpr std::int64_t kIntMax = 2147483647;  // convtime() works in int
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    std::int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > kIntMax) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;
    std::int64_t unit = 1;
    if (i < text.size()) {
      switch (text[i]) {
        case 's':
        case 'S':
          unit = 1;
          break;
        case 'm':
        case 'M':
          unit = 60;
          break;
        case 'h':
        case 'H':
          unit = 3600;
          break;
        case 'd':
        case 'D':
          unit = 86400;
          break;
        case 'w':
        case 'W':
          unit = 604800;
          break;
        default:
          return std::nullopt;
      }
      ++i;
    }
    if (n > kIntMax / unit || total > kIntMax - n * unit) return std::nullopt;
    total += n * unit;
  }
  return total;
}

const SshdKeyword* find_sshd_keyword(std::string_view lowercase_name) noexcept {
  static const std::vector<SshdKeyword> table = [] {
    std::vector<SshdKeyword> out;
    for (const auto& k : kKeywords) {
      const std::string_view canonical = k.canonical.empty() ? k.name : k.canonical;
      out.push_back(SshdKeyword{k.name, canonical, (k.flags & kMatchOk) != 0, (k.flags & kAccum) != 0,
                                (k.flags & kEach) != 0, (k.flags & kIgnored) != 0,
                                listed(kRawKeywords, canonical)});
    }
    return out;
  }();
  for (const auto& k : table) {
    if (k.name == lowercase_name) return &k;
  }
  return nullptr;
}

std::string normalize_sshd_value(std::string_view canonical, std::string_view value, bool* valid) {
  if (valid != nullptr) *valid = true;
  const std::string_view words = enum_words(canonical);
  if (words.empty()) return std::string(value);
  for (std::string_view w : split_ws(words)) {
    const std::size_t eq = w.find('=');
    if (iequals(w.substr(0, eq), value))
      return std::string(eq == std::string_view::npos ? w : w.substr(eq + 1));
  }
  // PermitUserEnvironment also takes a list of variable-name patterns.
  if (valid != nullptr) *valid = canonical == "permituserenvironment";
  return std::string(value);
}

std::optional<std::int64_t> sshd_value_int(std::string_view canonical, std::string_view value) {
  if (listed(kTimeKeywords, canonical)) return sshd_time_seconds(value);
  if (!listed(kIntKeywords, canonical)) return std::nullopt;
  auto n = parse_int(value);
  if (!n || *n < 0) return std::nullopt;
  return n;
}

const std::vector<std::pair<std::string_view, std::string_view>>& sshd_defaults() {
  static const std::vector<std::pair<std::string_view, std::string_view>> defaults = [] {
    constexpr std::string_view kPkAlgs =
        "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"
        "ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,"
        "sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
        "rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,"
        "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh."
        "com,"
        "rsa-sha2-512,rsa-sha2-256";
    return std::vector<std::pair<std::string_view, std::string_view>>{
        {"addressfamily", "any"},
        {"allowagentforwarding", "yes"},
        {"allowstreamlocalforwarding", "yes"},
        {"allowtcpforwarding", "yes"},
        {"authenticationmethods", "any"},
        {"authorizedkeysfile", ".ssh/authorized_keys .ssh/authorized_keys2"},
        {"banner", "none"},
        {"casignaturealgorithms",
         "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
         "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256"},
        {"channeltimeout", "none"},
        {"chrootdirectory", "none"},
        {"ciphers",
         "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
         "aes256-gcm@openssh.com"},
        {"clientalivecountmax", "3"},
        {"clientaliveinterval", "0"},
        {"compression", "yes"},
        {"disableforwarding", "no"},
        {"exposeauthinfo", "no"},
        {"fingerprinthash", "SHA256"},
        {"forcecommand", "none"},
        {"gatewayports", "no"},
        {"gssapiauthentication", "no"},
        {"gssapicleanupcredentials", "yes"},
        {"gssapistrictacceptorcheck", "yes"},
        {"hostbasedacceptedalgorithms", kPkAlgs},
        {"hostbasedauthentication", "no"},
        {"hostbasedusesnamefrompacketonly", "no"},
        {"hostkey", "/etc/ssh/ssh_host_rsa_key"},
        {"hostkey", "/etc/ssh/ssh_host_ecdsa_key"},
        {"hostkey", "/etc/ssh/ssh_host_ed25519_key"},
        {"hostkeyalgorithms", kPkAlgs},
        {"ignorerhosts", "yes"},
        {"ignoreuserknownhosts", "no"},
        {"ipqos", "af21 cs1"},
        {"kbdinteractiveauthentication", "yes"},
        {"kerberosauthentication", "no"},
        {"kerberosorlocalpasswd", "yes"},
        {"kerberosticketcleanup", "yes"},
        // Debian 12's 1:9.2p1-2+deb12u4 and later also offer the name without the
        // @openssh.com suffix, first (Debian #1088873, as upstream 9.9 does).
        {"kexalgorithms",
         "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@"
         "libssh.org,ecdh-sha2-"
         "nistp256,"
         "ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-"
         "sha512,"
         "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"},
        {"logingracetime", "120"},
        {"loglevel", "INFO"},
        {"macs",
         "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
         "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,"
         "hmac-sha2-256,hmac-sha2-512,hmac-sha1"},
        {"maxauthtries", "6"},
        {"maxsessions", "10"},
        {"maxstartups", "10:30:100"},
        {"modulifile", "/etc/ssh/moduli"},
        {"passwordauthentication", "yes"},
        {"permitemptypasswords", "no"},
        {"permitlisten", "any"},
        {"permitopen", "any"},
        {"permitrootlogin", "prohibit-password"},
        {"permittty", "yes"},
        {"permittunnel", "no"},
        {"permituserenvironment", "no"},
        {"permituserrc", "yes"},
        {"persourcemaxstartups", "none"},
        {"persourcenetblocksize", "32:128"},
        {"pidfile", "/run/sshd.pid"},
        {"port", "22"},
        {"printlastlog", "yes"},
        {"printmotd", "yes"},
        {"pubkeyacceptedalgorithms", kPkAlgs},
        {"pubkeyauthentication", "yes"},
        {"pubkeyauthoptions", "none"},
        {"rekeylimit", "0 0"},
        {"requiredrsasize", "1024"},
        {"securitykeyprovider", "internal"},
        {"streamlocalbindmask", "0177"},
        {"streamlocalbindunlink", "no"},
        {"strictmodes", "yes"},
        {"syslogfacility", "AUTH"},
        {"tcpkeepalive", "yes"},
        {"unusedconnectiontimeout", "none"},
        {"usedns", "no"},
        {"usepam", "no"},
        {"versionaddendum", "none"},
        {"x11displayoffset", "10"},
        {"x11forwarding", "no"},
        {"x11uselocalhost", "yes"},
        {"xauthlocation", "/usr/bin/xauth"},
    };
  }();
  return defaults;
}

}  // namespace vigil::collectors
