// The module step of OpenSSL 3.0 over a loaded configuration: which
// section's SSL_CONF commands every TLS context of a libssl program starts
// with (crypto/conf/conf_mod.c CONF_modules_load, conf_ssl.c, ssl/ssl_mcnf.c),
// checked against Debian 12's libssl3 3.0.19 with SSL_CTX_new() under test
// configurations:
//  - `openssl_conf` in [default] names the init section; each of its names
//    is a module: the built-in module whose name starts with it (up to its
//    last '.': ssl_conf.2 and even "ssl" are ssl_conf), run in the section's
//    order. An unknown module or a module whose section is missing stops the
//    modules after it; for ssl_conf, also an empty section or an entry whose
//    command section is missing or empty (and then no command applies).
//  - The ssl_conf section's entry named exactly `system_default` (case
//    matters) names the commands applied to every SSL_CTX (SSL_CONF_FLAG_FILE,
//    names case-insensitive); unknown commands, bad values and the
//    certificate commands are skipped and the rest applied; a later command
//    of the same kind wins (Options, Protocol and VerifyMode add up).
//  - A file the loader refuses applies nothing; with config_diagnostics set
//    (Debian's file sets it) a module failure makes SSL_CTX_new() fail.
//  - Without a MinProtocol, Debian 12's libssl has no minimum version, but
//    it is built with security level 2, where TLS 1.0 and 1.1 handshakes fail
//    (checked with s_server/s_client -tls1, -tls1_1).
#include <algorithm>
#include <map>
#include <set>

#include "openssl_config.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

// OPENSSL_load_builtin_modules() in registration order (prefix matches take the first).
constexpr std::string_view kModules[] = {"oid_section", "stbl_section", "engines", "alg_section",
                                         "ssl_conf",    "providers",    "random"};

// Commands of OpenSSL 3.0.19's ssl_conf_cmds[] with a file name (listed from
// the library with SSL_CONF_cmd_value_type), and those that need
// SSL_CONF_FLAG_CERTIFICATE.
constexpr std::string_view kCommands[] = {"SignatureAlgorithms",
                                          "ClientSignatureAlgorithms",
                                          "Curves",
                                          "Groups",
                                          "ECDHParameters",
                                          "CipherString",
                                          "Ciphersuites",
                                          "Protocol",
                                          "MinProtocol",
                                          "MaxProtocol",
                                          "Options",
                                          "VerifyMode",
                                          "RecordPadding",
                                          "NumTickets"};
constexpr std::string_view kCertificateCommands[] = {
    "Certificate",  "PrivateKey",     "ServerInfoFile", "ChainCAPath",   "ChainCAFile",  "ChainCAStore",
    "VerifyCAPath", "VerifyCAFile",   "VerifyCAStore",  "RequestCAFile", "ClientCAFile", "RequestCAPath",
    "ClientCAPath", "RequestCAStore", "ClientCAStore",  "DHParameters"};

// Debian 12's libssl3 without any configuration (SSL_CTX_new(TLS_method())
// with OPENSSL_CONF=/dev/null): no version bounds, OSSL_default_cipher_list()
// and OSSL_default_ciphersuites(), security level 2.
struct Default {
  std::string_view command;
  std::string_view value;
};
constexpr Default kDefaults[] = {
    {"MinProtocol", "None"},
    {"MaxProtocol", "None"},
    {"CipherString", "DEFAULT"},
    {"Ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"},
    {"SecurityLevel", "2"},
};

// min_max_proto()'s names for a TLS context (DTLS names only bound DTLS ones).
bool tls_protocol_name(std::string_view v) {
  for (auto n : {"None", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}) {
    if (v == n) return true;
  }
  return false;
}

// Commands whose later occurrence replaces an earlier one share a slot;
// Options, Protocol and VerifyMode add flags and never replace.
std::string slot_of(const std::string& command) {
  if (command == "Curves") return "Groups";
  return command;
}
bool cumulative(const std::string& command) {
  return command == "Options" || command == "Protocol" || command == "VerifyMode";
}

// NCONF_get_number(): leading decimal digits, 0 when there are none.
bool diagnostics_on(std::string_view v) {
  std::int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') break;
    n = std::min<std::int64_t>(n * 10 + (c - '0'), 1'000'000);
  }
  return n != 0;
}

class Evaluation {
 public:
  explicit Evaluation(const OpensslConf& conf) : conf_(conf) {}

  OpensslConfigReport run() {
    if (conf_.loaded) modules();
    if (!conf_.loaded) {
      issue(conf_.load_error +
            " — OpenSSL loads no configuration: every program runs with the compiled-in "
            "defaults");
    }
    roles();
    commands();
    for (std::size_t i = 0; i < conf_.values.size(); ++i) {
      const ConfValue& v = conf_.values[i];
      OpensslConfigRow row{v.section,    v.name,      v.value,
                           v.file,       v.line,      role(v.section),
                           std::nullopt, v.effective, in_force_.count(i) != 0,
                           false};
      if (row.role == "system_default" || row.role == "ssl_application")
        row.command = ssl_conf_command(v.name);
      out_.rows.push_back(std::move(row));
      if (derived_ && derived_->first == i) {
        out_.rows.push_back(OpensslConfigRow{v.section, "@SECLEVEL", std::to_string(derived_->second), v.file,
                                             v.line, "system_default", "SecurityLevel", true, true, false});
      }
    }
    for (const auto& d : kDefaults) {
      const bool overridden = d.command == "SecurityLevel" ? derived_.has_value()
                                                           : forced_slots_.count(std::string(d.command)) != 0;
      const bool on = !refused_ && !overridden;
      out_.rows.push_back(OpensslConfigRow{std::nullopt, std::string(d.command), std::string(d.value), "", 0,
                                           "system_default", std::string(d.command), on, on, true});
    }
    return std::move(out_);
  }

 private:
  void issue(std::string message, const ConfValue* at = nullptr) {
    out_.issues.push_back(ConfIssue{at ? at->file : std::string(), at ? at->line : 0, std::move(message)});
  }

  const ConfValue* get(std::string_view section, std::string_view name) const {
    for (const auto& v : conf_.values) {
      if (v.effective && v.section == section && v.name == name) return &v;
    }
    return nullptr;
  }
  // NCONF_get_section(): the section's kept values in their order, or nullopt when it does not exist.
  std::optional<std::vector<std::size_t>> section(std::string_view name) const {
    if (std::find(conf_.sections.begin(), conf_.sections.end(), name) == conf_.sections.end())
      return std::nullopt;
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < conf_.values.size(); ++i) {
      if (conf_.values[i].effective && conf_.values[i].section == name) out.push_back(i);
    }
    return out;
  }

  std::string_view module_of(std::string_view name) const {
    const auto dot = name.rfind('.');
    const std::string_view prefix = dot == std::string_view::npos ? name : name.substr(0, dot);
    for (auto m : kModules) {
      if (m.substr(0, prefix.size()) == prefix) return m;
    }
    return {};
  }

  void modules() {
    const ConfValue* diag = get("default", "config_diagnostics");
    const bool diagnostics = diag != nullptr && diagnostics_on(diag->value);
    const ConfValue* init = get("default", "openssl_conf");
    if (init == nullptr) return;
    init_ = init->value;
    std::string failure;
    const ConfValue* failed_at = init;
    const auto init_values = section(init->value);
    if (!init_values) {
      failure = "openssl_conf names the missing section [" + init->value + "]: no module is configured";
    } else {
      for (std::size_t i : *init_values) {
        const ConfValue& m = conf_.values[i];
        failed_at = &m;
        const std::string_view module = module_of(m.name);
        if (module.empty()) {
          failure = "'" + m.name + "' is no module OpenSSL knows (it tries to load lib" + m.name +
                    ".so and fails): the modules after it in [" + init->value + "] are not run";
          break;
        }
        const auto values = section(m.value);
        if (!values) {
          failure = std::string(module) + " names the missing section [" + m.value +
                    "]: it and the modules " + "after it are not run";
          break;
        }
        if (module != "ssl_conf") continue;
        if (values->empty()) {
          failure = "ssl_conf section [" + m.value + "] is empty: no SSL_CONF command applies";
          ssl_.reset();
          break;
        }
        bool ok = true;
        for (std::size_t j : *values) {
          const ConfValue& e = conf_.values[j];
          const auto cmds = section(e.value);
          if (!cmds || cmds->empty()) {
            failure = "[" + m.value + "] " + e.name + " names the " + (cmds ? "empty" : "missing") +
                      " section [" + e.value + "]: the ssl_conf module fails and no SSL_CONF command applies";
            failed_at = &e;
            ok = false;
            break;
          }
        }
        if (!ok) {
          ssl_.reset();
          break;
        }
        ssl_ = m.value;  // a later ssl_conf module replaces the names of an earlier one
      }
    }
    if (failure.empty()) return;
    refused_ = diagnostics;
    issue(failure + (diagnostics ? "; with config_diagnostics set, OpenSSL's initialisation fails and "
                                   "SSL_CTX_new() refuses to create any TLS context"
                                 : ""),
          failed_at);
  }

  void roles() {
    for (const auto& v : conf_.values) {
      if (v.effective && v.section == "default" && v.name == "openssl_conf") {
        mark(v.value, "init");
        if (auto init = section(v.value)) {
          for (std::size_t i : *init) {
            const ConfValue& m = conf_.values[i];
            const std::string_view module = module_of(m.name);
            if (module.empty()) continue;
            if (module != "ssl_conf") {
              mark(m.value, "module");
              continue;
            }
            mark(m.value, "ssl_conf");
            if (auto names = section(m.value)) {
              for (std::size_t j : *names) {
                const ConfValue& e = conf_.values[j];
                const bool system = ssl_ && *ssl_ == m.value && e.name == "system_default";
                mark(e.value, system ? "system_default" : "ssl_application");
                if (system) system_default_ = e.value;
              }
            }
          }
        }
      }
    }
  }

  // Highest role wins when a section is reached twice.
  void mark(const std::string& section_name, const std::string& role_name) {
    static constexpr std::string_view kRank[] = {"module", "ssl_application", "init", "ssl_conf",
                                                 "system_default"};
    const auto rank = [](std::string_view r) {
      for (std::size_t i = 0; i < std::size(kRank); ++i) {
        if (kRank[i] == r) return static_cast<int>(i);
      }
      return -1;
    };
    auto& cur = roles_[section_name];
    if (rank(role_name) > rank(cur)) cur = role_name;
  }

  std::string role(const std::string& section_name) const {
    auto it = roles_.find(section_name);
    if (it != roles_.end()) return it->second;
    return section_name == "default" ? "default_section" : "other";
  }

  void commands() {
    if (!conf_.loaded || refused_ || !system_default_ || !ssl_) return;
    const auto values = section(*system_default_);
    if (!values) return;
    std::map<std::string, std::size_t> last;  // slot -> value index
    for (std::size_t i : *values) {
      const ConfValue& v = conf_.values[i];
      bool certificate = false;
      const auto cmd = ssl_conf_command(v.name, &certificate);
      if (!cmd) {
        issue("'" + v.name + "' is no SSL_CONF command of OpenSSL 3.0; it is ignored", &v);
        continue;
      }
      if (certificate) {
        issue(*cmd + " needs a program's own configuration; OpenSSL ignores it in the system default", &v);
        continue;
      }
      if ((*cmd == "MinProtocol" || *cmd == "MaxProtocol") && !tls_protocol_name(v.value)) {
        issue(*cmd + " '" + v.value +
                  "' is not None, SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3 (names are case-sensitive; DTLS "
                  "names only bound DTLS contexts): not applied to TLS contexts",
              &v);
        continue;
      }
      if (cumulative(*cmd)) {
        in_force_.insert(i);
      } else {
        last[slot_of(*cmd)] = i;
      }
      forced_slots_.insert(slot_of(*cmd));
    }
    for (const auto& [slot, i] : last) {
      in_force_.insert(i);
      if (slot == "CipherString") {
        if (auto level = cipher_string_seclevel(conf_.values[i].value)) derived_ = std::make_pair(i, *level);
      }
    }
  }

  const OpensslConf& conf_;
  OpensslConfigReport out_;
  std::optional<std::string> init_;
  std::optional<std::string> ssl_;
  std::optional<std::string> system_default_;
  std::map<std::string, std::string> roles_;
  std::set<std::size_t> in_force_;
  std::set<std::string> forced_slots_;
  std::optional<std::pair<std::size_t, int>> derived_;
  bool refused_ = false;
};

}  // namespace

std::optional<std::string> ssl_conf_command(std::string_view key, bool* certificate) {
  if (certificate != nullptr) *certificate = false;
  for (auto c : kCommands) {
    if (iequals(c, key)) return std::string(c);
  }
  for (auto c : kCertificateCommands) {
    if (iequals(c, key)) {
      if (certificate != nullptr) *certificate = true;
      return std::string(c);
    }
  }
  return std::nullopt;
}

std::optional<int> cipher_string_seclevel(std::string_view s) {
  // A rule is a run of [A-Za-z0-9._=-]; "@SECLEVEL=n" with one digit 0-5 sets the level.
  const auto rule_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '=';
  };
  std::optional<int> level;
  constexpr std::string_view kTag = "@SECLEVEL=";
  for (auto pos = s.find(kTag); pos != std::string_view::npos; pos = s.find(kTag, pos + 1)) {
    const std::size_t d = pos + kTag.size();
    if (d >= s.size() || s[d] < '0' || s[d] > '5') continue;
    if (d + 1 < s.size() && rule_char(s[d + 1])) continue;
    level = s[d] - '0';
  }
  return level;
}

OpensslConfigReport evaluate_openssl_config(const OpensslConf& conf) {
  return Evaluation(conf).run();
}

}  // namespace vigil::collectors
