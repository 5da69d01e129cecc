// Tests of the OpenSSL 3.0 configuration reader (in-memory files), of the
// module step that decides what every TLS context starts with, and of the
// `openssl_config` table over fixture hosts. Expected values were checked
// against Debian 12's libcrypto/libssl 3.0.19: NCONF_load() dumps for the
// reader, SSL_CTX_new() under OPENSSL_CONF=<file> for the module step.
#include "openssl_config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "collector.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::Errc;

namespace {

struct MemFs {
  std::map<std::string, std::string> files;
  std::set<std::string> dirs;
  std::set<std::string> fifos;

  bool is_dir(const std::string& p) const {
    if (dirs.count(p) != 0) return true;
    const std::string prefix = p + "/";
    for (const auto& [f, _] : files) {
      if (f.compare(0, prefix.size(), prefix) == 0) return true;
    }
    return false;
  }

  OpensslConfLoader loader() const {
    OpensslConfLoader l;
    l.stat = [this](const std::string& p) -> vigil::Result<ConfPathInfo> {
      std::uint64_t ino = 1;
      for (const auto& [f, _] : files) {
        if (f == p) return ConfPathInfo{ConfPathKind::regular, 1, ino};
        ++ino;
      }
      if (fifos.count(p) != 0) return ConfPathInfo{ConfPathKind::other, 1, 9999};
      if (is_dir(p)) return ConfPathInfo{ConfPathKind::directory, 1, 10000};
      return vigil::make_error(Errc::not_found, "no such file");
    };
    l.read = [this](const std::string& p) -> vigil::Result<std::string> {
      auto it = files.find(p);
      if (it == files.end()) return vigil::make_error(Errc::not_found, "no such file");
      return it->second;
    };
    l.list_dir = [this](const std::string& p) -> vigil::Result<std::vector<std::string>> {
      std::set<std::string> names;
      const std::string prefix = p + "/";
      for (const auto& [f, _] : files) {
        if (f.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string rest = f.substr(prefix.size());
        names.insert(rest.substr(0, rest.find('/')));
      }
      for (const auto& d : dirs) {
        if (d.compare(0, prefix.size(), prefix) == 0 && d.find('/', prefix.size()) == std::string::npos)
          names.insert(d.substr(prefix.size()));
      }
      for (const auto& d : fifos) {
        if (d.compare(0, prefix.size(), prefix) == 0) names.insert(d.substr(prefix.size()));
      }
      return std::vector<std::string>(names.begin(), names.end());
    };
    return l;
  }

  OpensslConf load() const {
    auto r = load_openssl_conf(loader(), "/etc/ssl/openssl.cnf");
    if (!r) FAIL(r.error().message);
    return std::move(r).value();
  }
};

OpensslConf load_text(std::string text) {
  MemFs fs;
  fs.files["/etc/ssl/openssl.cnf"] = std::move(text);
  return fs.load();
}

// The value OpenSSL keeps for section and name, or "<none>".
std::string kept(const OpensslConf& c, std::string_view section, std::string_view name) {
  for (const auto& v : c.values) {
    if (v.effective && v.section == section && v.name == name) return v.value;
  }
  return "<none>";
}

// "section.name=value" of the kept values of a section, in OpenSSL's order.
std::vector<std::string> section_of(const OpensslConf& c, std::string_view section) {
  std::vector<std::string> out;
  for (const auto& v : c.values) {
    if (v.effective && v.section == section) out.push_back(v.name + "=" + v.value);
  }
  return out;
}

bool has_issue(const std::vector<ConfIssue>& issues, std::string_view part) {
  for (const auto& i : issues) {
    if (i.message.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("OpenSSL conf values: quotes, escapes, variables, sections", "[openssl_config]") {
  struct Case {
    std::string line;
    std::string section;
    std::string name;
    std::string value;
  };
  const std::string prelude = "v = base\n[other]\nk = v2\n[default]\n";
  const std::vector<Case> cases{
      {"a = b", "default", "a", "b"},
      {"  a=b  ", "default", "a", "b"},
      {"q = \"a b\" c", "default", "q", "a b c"},
      {"q = 'x#y' # comment", "default", "q", "x#y"},
      {"q = a\\#b", "default", "q", "a#b"},
      {"q = `bt`", "default", "q", "bt"},
      {"q = tab\\tend", "default", "q", "tab\tend"},
      {"q = $v/x ${v}y $(v)z", "default", "q", "base/x basey basez"},
      {"q = $other::k ${default::v}", "default", "q", "v2 base"},
      {"q = \"unterminated", "default", "q", "unterminated"},
      {"q = a = b", "default", "q", "a = b"},
      {"other::q = $k", "other", "q", "v2"},  // variables resolve in the target section
      {"dir/x.y-z = 1", "default", "dir/x.y-z", "1"},
      {"[ sp ace ]\nq = 1", "sp ace", "q", "1"},
      {"q = long \\\n  continued", "default", "q", "long   continued"},
      {"q = two\\\\\nr = 1", "default", "q", "two\\"},  // an escaped backslash does not continue
      {"q = 1\r", "default", "q", "1"},
      {".pragma dollarid:on\nd$1 = y", "default", "d$1", "y"},
      {".pragma dollarid:on\nq = a$v", "default", "q", "a$v"},
      {".pragma = dollarid : on\n.pragma = dollarid : off\nq = a$v", "default", "q", "abase"},
      {".pragma unknown:x\nq = 1", "default", "q", "1"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    const auto conf = load_text(prelude + c.line + "\n");
    CHECK(conf.loaded);
    CHECK(kept(conf, c.section, c.name) == c.value);
  }
}

TEST_CASE("OpenSSL conf lines the loader refuses fail the whole file", "[openssl_config]") {
  for (const char* text : {"a = $nope\n", "caf\xc3\xa9 = 1\n", "[unclosed\n", "[a(b]\n", "[$v]\n",
                           "just words\n", ".pragma foo\n", ".pragmax = 1\n", ".pragma dollarid:maybe\n",
                           "a = ${v\n", ".pragma abspath:on\n.include rel.cnf\n"}) {
    INFO(text);
    const auto conf = load_text(std::string("ok = 1\n") + text + "after = 2\n");
    CHECK_FALSE(conf.loaded);
    const auto lines = std::count(text, text + std::strlen(text), '\n');
    CHECK(conf.load_error.find("/etc/ssl/openssl.cnf:" + std::to_string(lines + 1) + ":") == 0);
    CHECK(kept(conf, "default", "ok") == "1");  // read before the error, reported but not applied
    CHECK(kept(conf, "default", "after") == "<none>");
  }
}

TEST_CASE("OpenSSL conf: a later value replaces an earlier one and moves last", "[openssl_config]") {
  const auto conf = load_text("[s]\na = 1\nb = 2\na = 3\n");
  CHECK(section_of(conf, "s") == std::vector<std::string>{"b=2", "a=3"});
  REQUIRE(conf.values.size() == 3);
  CHECK_FALSE(conf.values[0].effective);
  CHECK(conf.values[2].line == 4);
}

TEST_CASE("OpenSSL conf: BOM, CRLF, long lines and NUL bytes as fgets() reads them", "[openssl_config]") {
  const auto crlf = load_text(
      "\xEF\xBB\xBF"
      "a = 1\r\nb = 2 \r\n");
  CHECK(kept(crlf, "default", "a") == "1");
  CHECK(kept(crlf, "default", "b") == "2");
  const std::string long_value(2000, 'x');
  const auto longline = load_text("a = " + long_value + "\nb = 2\n");
  CHECK(kept(longline, "default", "a") == long_value);
  CHECK(longline.values[1].line == 2);
  // A NUL drops the rest of its line and joins the next line to it.
  const auto nul = load_text(std::string("a = x\0junk\nb = y\nc = 3\n", 23));
  CHECK(kept(nul, "default", "a") == "xb = y");
  CHECK(kept(nul, "default", "c") == "3");
  CHECK(has_issue(nul.issues, "NUL byte"));
  // A NUL at the start of a line ends the file.
  const auto stop = load_text(std::string("a = 1\n\0b = 2\nc = 3\n", 19));
  CHECK(kept(stop, "default", "a") == "1");
  CHECK(kept(stop, "default", "c") == "<none>");
  CHECK(has_issue(stop.issues, "stops reading"));
  // Binary junk: one NUL warning per file however many NULs it holds.
  std::string junk;
  for (int i = 0; i < 2000; ++i) junk += std::string("a = 1\0\x01\xff\n", 10);
  const auto binary = load_text(junk);
  CHECK(std::count_if(binary.issues.begin(), binary.issues.end(),
                      [](const ConfIssue& i) { return i.message.find("NUL") != std::string::npos; }) == 1);
}

TEST_CASE("OpenSSL conf: $ENV:: depends on the program", "[openssl_config]") {
  const auto conf = load_text("a = $ENV::HOME/x\n[ENV]\nFOO = bar\n[s]\nb = ${ENV::FOO}\n");
  REQUIRE(conf.values.size() == 3);
  CHECK(conf.values[0].value == "$ENV::HOME/x");
  CHECK(conf.values[0].env_dependent);
  CHECK(kept(conf, "s", "b") == "bar");  // the file's own [ENV] comes before getenv()
  CHECK_FALSE(conf.values[2].env_dependent);
  CHECK(has_issue(conf.issues, "environment"));
}

TEST_CASE("OpenSSL conf .include: files, directories and their quirks", "[openssl_config]") {
  MemFs fs;
  fs.files["/etc/ssl/openssl.cnf"] =
      "a = main1\n.include /etc/ssl/d\nafter = main\n.include = /nonexistent.cnf\n.include rel.cnf\n";
  fs.files["/etc/ssl/d/1.cnf"] = "[s1]\nx = one\n.include /etc/ssl/f.cnf\nx_after = one\n";
  fs.files["/etc/ssl/d/2.CONF"] = "[s2]\ny = two\n";
  fs.files["/etc/ssl/d/3.txt"] = "[s3]\nz = three\n";
  fs.files["/etc/ssl/d/.cnf"] = "[hidden]\nh = 1\n";  // the name must be longer than the suffix
  fs.files["/etc/ssl/d/4.cnf"] = "[s4]\nw = four\n.include /etc/ssl/d2\n";
  fs.files["/etc/ssl/d2/x.cnf"] = "[sd2]\nq = d2\n";
  fs.files["/etc/ssl/f.cnf"] = "[sf]\nf = fromf\n";
  const auto c = fs.load();
  CHECK(c.loaded);
  CHECK(section_of(c, "s1") == std::vector<std::string>{"x=one"});
  CHECK(section_of(c, "s2") == std::vector<std::string>{"y=two"});
  CHECK(section_of(c, "sf") == std::vector<std::string>{"f=fromf"});
  CHECK(section_of(c, "s3").empty());
  CHECK(section_of(c, "hidden").empty());
  CHECK(section_of(c, "sd2").empty());  // a directory include inside a directory's file is refused
  CHECK(has_issue(c.issues, "recursive directory include"));
  // After f.cnf ends, OpenSSL goes on with the directory's next file (2.CONF, then 4.cnf) before it
  // returns to 1.cnf, and the section of the last file read carries over to its includers.
  CHECK(section_of(c, "s4") == std::vector<std::string>{"w=four", "x_after=one", "after=main"});
  CHECK(has_issue(c.issues, "readdir() order"));
  CHECK(has_issue(c.issues, "does not exist"));
  CHECK(has_issue(c.issues, "working directory"));
  CHECK(c.files == std::vector<std::string>{"/etc/ssl/openssl.cnf", "/etc/ssl/d/1.cnf", "/etc/ssl/f.cnf",
                                            "/etc/ssl/d/2.CONF", "/etc/ssl/d/4.cnf"});
}

TEST_CASE("OpenSSL conf .pragma includedir and abspath", "[openssl_config]") {
  MemFs fs;
  fs.files["/etc/ssl/openssl.cnf"] = ".pragma includedir:/etc/ssl/conf.d\n.include extra.cnf\n";
  fs.files["/etc/ssl/conf.d/extra.cnf"] = "b = 2\n";
  CHECK(kept(fs.load(), "default", "b") == "2");
}

TEST_CASE("OpenSSL conf include loops nest until a cap, directories end them", "[openssl_config]") {
  MemFs fs;
  fs.files["/etc/ssl/openssl.cnf"] = "a = 1\n.include /etc/ssl/b.cnf\nb = after_a\n";
  fs.files["/etc/ssl/b.cnf"] = "c = 2\n.include /etc/ssl/openssl.cnf\nd = after_b\n";
  const auto c = fs.load();
  CHECK(c.loaded);
  // What libcrypto 3.0.19 keeps once fopen() fails with EMFILE.
  CHECK(section_of(c, "default") == std::vector<std::string>{"a=1", "c=2", "d=after_b", "b=after_a"});
  CHECK(has_issue(c.issues, "include loop"));
  CHECK(has_issue(c.issues, "nests 64 files deep"));

  MemFs fan;  // each file including the other twice: exponential, stopped by the file cap
  fan.files["/etc/ssl/openssl.cnf"] = ".include /etc/ssl/b.cnf\n.include /etc/ssl/b.cnf\n";
  fan.files["/etc/ssl/b.cnf"] = ".include /etc/ssl/openssl.cnf\n.include /etc/ssl/openssl.cnf\n";
  auto r = load_openssl_conf(fan.loader(), "/etc/ssl/openssl.cnf");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::too_large);
}

TEST_CASE("OpenSSL conf: a fifo is an error, an absent main file a fact", "[openssl_config]") {
  MemFs fs;
  fs.files["/etc/ssl/openssl.cnf"] = ".include /etc/ssl/d\n";
  fs.fifos.insert("/etc/ssl/d/pipe.cnf");
  fs.dirs.insert("/etc/ssl/d");
  auto r = load_openssl_conf(fs.loader(), "/etc/ssl/openssl.cnf");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::not_regular);
  MemFs none;
  const auto c = none.load();
  CHECK_FALSE(c.main_file_found);
  CHECK(c.values.empty());
}

namespace {

const std::string kBase =
    "openssl_conf = init\n[init]\nssl_conf = ssl_sect\n[ssl_sect]\nsystem_default = sd\n";

// "Command=value" of what is in force, file rows then defaults ("*Command=value").
std::vector<std::string> in_force(const OpensslConfigReport& r) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) {
    if (!row.in_force) continue;
    out.push_back((row.is_default ? "*" : "") + row.command.value_or("?" + row.key) + "=" + row.value);
  }
  return out;
}

std::vector<std::string> eval(const std::string& text) {
  return in_force(evaluate_openssl_config(load_text(text)));
}

const std::vector<std::string> kAllDefaults{
    "*MinProtocol=None", "*MaxProtocol=None", "*CipherString=DEFAULT",
    "*Ciphersuites=TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
    "*SecurityLevel=2"};

std::vector<std::string> with_defaults(std::vector<std::string> rows, const std::set<std::string>& replaced) {
  for (const auto& d : kAllDefaults) {
    const std::string cmd = d.substr(1, d.find('=') - 1);
    if (replaced.count(cmd) == 0) rows.push_back(d);
  }
  return rows;
}

}  // namespace

TEST_CASE("openssl_config: what every TLS context starts with", "[openssl_config]") {
  struct Case {
    std::string name;
    std::string text;
    std::vector<std::string> expected;
  };
  const auto min13 = with_defaults({"MinProtocol=TLSv1.3"}, {"MinProtocol"});
  const std::vector<Case> cases{
      {"no configuration", "", kAllDefaults},
      {"hardened", kBase + "[sd]\nMinProtocol = TLSv1.3\nCipherString = DEFAULT@SECLEVEL=3\n",
       with_defaults({"MinProtocol=TLSv1.3", "CipherString=DEFAULT@SECLEVEL=3", "SecurityLevel=3"},
                     {"MinProtocol", "CipherString", "SecurityLevel"})},
      {"unknown command ignored", kBase + "[sd]\nMinProtocol = TLSv1.3\nBogus = 1\n", min13},
      {"unknown command, diagnostics",
       "config_diagnostics = 1\n" + kBase + "[sd]\nMinProtocol = TLSv1.3\nBogus = 1\n", min13},
      {"bad value skipped", kBase + "[sd]\nMinProtocol = TLSv9\nMaxProtocol = TLSv1.2\n",
       with_defaults({"MaxProtocol=TLSv1.2"}, {"MaxProtocol"})},
      {"names case-insensitive", kBase + "[sd]\nminprotocol = TLSv1.3\n", min13},
      {"values case-sensitive", kBase + "[sd]\nMinProtocol = tlsv1.3\n", kAllDefaults},
      {"DTLS names do not bound TLS", kBase + "[sd]\nMinProtocol = DTLSv1.2\n", kAllDefaults},
      {"last of a name wins", kBase + "[sd]\nMinProtocol = TLSv1.3\nMinProtocol = TLSv1.2\n",
       with_defaults({"MinProtocol=TLSv1.2"}, {"MinProtocol"})},
      {"last of a command wins", kBase + "[sd]\nMinProtocol = TLSv1.3\nminprotocol = None\n",
       with_defaults({"MinProtocol=None"}, {"MinProtocol"})},
      {"a bad later value leaves the earlier", kBase + "[sd]\nMinProtocol = TLSv1.2\nminprotocol = TLS1.3\n",
       with_defaults({"MinProtocol=TLSv1.2"}, {"MinProtocol"})},
      {"Curves and Groups are one", kBase + "[sd]\nGroups = P-256\nCurves = X25519\n",
       with_defaults({"Curves=X25519"}, {})},
      {"Options add up", kBase + "[sd]\nOptions = -SessionTicket\noptions = ServerPreference\n",
       with_defaults({"Options=-SessionTicket", "Options=ServerPreference"}, {})},
      {"certificate commands ignored", kBase + "[sd]\nMinProtocol = TLSv1.3\nCertificate = /x.pem\n", min13},
      {"missing command section", kBase + "other = nosuch\n[sd]\nMinProtocol = TLSv1.3\n", kAllDefaults},
      {"missing command section, diagnostics",
       "config_diagnostics=1\n" + kBase + "other = nosuch\n[sd]\nMinProtocol = TLSv1.3\n",
       {}},
      {"empty system_default section", kBase + "[sd]\n", kAllDefaults},
      {"syntax error", kBase + "[sd]\nMinProtocol = TLSv1.3\nthis is bad\n", kAllDefaults},
      {"syntax error, diagnostics",
       "config_diagnostics=1\n" + kBase + "[sd]\nMinProtocol = TLSv1.3\nbad line\n", kAllDefaults},
      {"unknown module first",
       "openssl_conf = init\n[init]\nbogus_mod = x\nssl_conf = s\n[s]\nsystem_default = sd\n[x]\na=b\n[sd]\n"
       "MinProtocol = TLSv1.3\n",
       kAllDefaults},
      {"unknown module after ssl_conf",
       "openssl_conf = init\n[init]\nssl_conf = s\nbogus_mod = x\n[s]\nsystem_default = sd\n[x]\na=b\n[sd]\n"
       "MinProtocol = TLSv1.3\n",
       min13},
      {"unknown module, diagnostics",
       "config_diagnostics = 1\nopenssl_conf = init\n[init]\nssl_conf = s\nbogus_mod = "
       "x\n[s]\nsystem_default = "
       "sd\n[x]\na=b\n[sd]\nMinProtocol = TLSv1.3\n",
       {}},
      {"diagnostics reads leading digits", "config_diagnostics = 1x\nopenssl_conf = nosuch\n", {}},
      {"diagnostics yes is 0", "config_diagnostics = yes\nopenssl_conf = nosuch\n", kAllDefaults},
      {"module section missing",
       "openssl_conf = init\n[init]\nproviders = nosuch\nssl_conf = s\n[s]\nsystem_default = sd\n[sd]\n"
       "MinProtocol = TLSv1.3\n",
       kAllDefaults},
      {"module names match by prefix",
       "openssl_conf = init\n[init]\nssl = s\n[s]\nsystem_default = sd\n[sd]\nMinProtocol = TLSv1.3\n",
       min13},
      {"module names lose a .suffix",
       "openssl_conf = init\n[init]\nssl_conf.1 = s\n[s]\nsystem_default = sd\n[sd]\nMinProtocol = TLSv1.3\n",
       min13},
      {"module names are case-sensitive",
       "openssl_conf = init\n[init]\nSSL_CONF = s\n[s]\nsystem_default = sd\n[sd]\nMinProtocol = TLSv1.3\n",
       kAllDefaults},
      {"system_default is case-sensitive",
       "openssl_conf = init\n[init]\nssl_conf = s\n[s]\nSystem_Default = sd\n[sd]\nMinProtocol = TLSv1.3\n",
       kAllDefaults},
      {"the last ssl_conf module wins",
       "openssl_conf = init\n[init]\nssl_conf = a\nssl_conf.2 = b\n[a]\nsystem_default = "
       "sa\n[b]\nsystem_default = "
       "sb\n[sa]\nMinProtocol = TLSv1.3\n[sb]\nMaxProtocol = TLSv1.2\n",
       with_defaults({"MaxProtocol=TLSv1.2"}, {"MaxProtocol"})},
      {"the last @SECLEVEL wins", kBase + "[sd]\nCipherString = DEFAULT@SECLEVEL=1:@SECLEVEL=3\n",
       with_defaults({"CipherString=DEFAULT@SECLEVEL=1:@SECLEVEL=3", "SecurityLevel=3"},
                     {"CipherString", "SecurityLevel"})},
      {"openssl_conf names a missing section", "openssl_conf = nosuch\n", kAllDefaults},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(eval(c.text) == c.expected);
  }
}

TEST_CASE("cipher_string_seclevel reads @SECLEVEL=n as libssl does", "[openssl_config]") {
  CHECK(cipher_string_seclevel("DEFAULT@SECLEVEL=2") == 2);
  CHECK(cipher_string_seclevel("HIGH:!aNULL:@SECLEVEL=0") == 0);
  CHECK(cipher_string_seclevel("@SECLEVEL=1:@SECLEVEL=3") == 3);
  CHECK_FALSE(cipher_string_seclevel("DEFAULT").has_value());
  CHECK_FALSE(cipher_string_seclevel("@SECLEVEL=9").has_value());
  CHECK_FALSE(cipher_string_seclevel("@SECLEVEL=22").has_value());
  CHECK(ssl_conf_command("ciphersuites") == "Ciphersuites");
  bool cert = false;
  CHECK(ssl_conf_command("VERIFYCAFILE", &cert) == "VerifyCAFile");
  CHECK(cert);
  CHECK_FALSE(ssl_conf_command("SecurityLevel").has_value());
}

namespace {

std::vector<std::size_t> in_force_rows(const vigil::test::CollectedTable& t) {
  std::vector<std::size_t> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    if (t.integer(r, "in_force") == 1) out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("openssl_config on a stock Debian 12 host: only the compiled-in defaults", "[openssl_config]") {
  const auto t = vigil::test::collect_ok(vigil::test::fixture_host("openssl-debian12"), "openssl_config");
  CHECK(t.warnings.empty());
  const auto forced = in_force_rows(t);
  REQUIRE(forced.size() == 5);
  for (auto r : forced) {
    CHECK(t.integer(r, "is_default") == 1);
    CHECK(t.is_null(r, "section"));
    CHECK(t.is_null(r, "file"));
    CHECK(t.text(r, "role") == "system_default");
  }
  const auto level = t.rows_where("command", "SecurityLevel");
  REQUIRE(level.size() == 1);
  CHECK(t.text(level[0], "value") == "2");
  CHECK(t.text(t.rows_where("command", "MinProtocol").at(0), "value") == "None");
  const auto init = t.rows_where("key", "openssl_conf");
  REQUIRE(init.size() == 1);
  CHECK(t.text(init[0], "value") == "openssl_init");
  CHECK(t.text(init[0], "section") == "default");
  CHECK(t.text(init[0], "role") == "default_section");
  CHECK(t.text(init[0], "file") == "/etc/ssl/openssl.cnf");  // named as the link resolves
  CHECK(t.integer(init[0], "line") == 17);
  const auto certs = t.rows_where("key", "certs");
  REQUIRE(certs.size() == 2);                            // [CA_default] and [tsa_config1]
  CHECK(t.text(certs[0], "value") == "./demoCA/certs");  // $dir expanded
  CHECK(t.text(certs[0], "role") == "other");
  CHECK(t.rows_where("key", "tsa_policy1").size() == 1);
  CHECK(t.rows_where("role", "system_default").size() == 5);
}

TEST_CASE("openssl_config on a hardened host: ssl_conf -> system_default", "[openssl_config]") {
  const auto t = vigil::test::collect_ok(vigil::test::fixture_host("openssl-hardened"), "openssl_config");
  CHECK(t.warnings.empty());
  const auto min = t.rows_where("command", "MinProtocol");
  REQUIRE(min.size() == 2);
  CHECK(t.text(min[0], "value") == "TLSv1.2");
  CHECK(t.text(min[0], "section") == "system_default_sect");
  CHECK(t.text(min[0], "role") == "system_default");
  CHECK(t.integer(min[0], "in_force") == 1);
  CHECK(t.integer(min[0], "effective") == 1);
  CHECK(t.integer(min[0], "is_default") == 0);
  CHECK(t.integer(min[1], "is_default") == 1);
  CHECK(t.integer(min[1], "in_force") == 0);
  const auto level = t.rows_where("command", "SecurityLevel");
  REQUIRE(level.size() == 2);
  CHECK(t.text(level[0], "key") == "@SECLEVEL");
  CHECK(t.text(level[0], "value") == "2");
  CHECK(t.integer(level[0], "in_force") == 1);
  CHECK(t.integer(level[0], "line") == t.integer(t.rows_where("command", "CipherString").at(0), "line"));
  CHECK(t.text(t.rows_where("key", "ssl_conf").at(0), "role") == "init");
  CHECK(t.text(t.rows_where("key", "system_default").at(0), "role") == "ssl_conf");
}

TEST_CASE("openssl_config: a directory of drop-ins and a loop back to the main file", "[openssl_config]") {
  const auto t = vigil::test::collect_ok(vigil::test::fixture_host("openssl-include"), "openssl_config");
  std::map<std::string, std::string> forced;
  for (auto r : in_force_rows(t)) {
    forced[t.text(r, "command")] = t.text(r, "value") + (t.integer(r, "is_default") ? " (default)" : "");
  }
  // libssl 3.0.19 gives min 0x301 for this tree: re-reading the main file from 20-loop.conf puts its
  // MinProtocol = TLSv1 after 10-tls.cnf's TLSv1.2.
  CHECK(forced == std::map<std::string, std::string>{{"MinProtocol", "TLSv1"},
                                                     {"MaxProtocol", "None (default)"},
                                                     {"CipherString", "DEFAULT@SECLEVEL=3"},
                                                     {"Groups", "X25519:P-256"},
                                                     {"Ciphersuites", "TLS_AES_256_GCM_SHA384"},
                                                     {"SecurityLevel", "3"}});
  const auto min = t.rows_where("command", "MinProtocol");
  REQUIRE(min.size() == 4);  // main:14, 10-tls.cnf:2, main:14 again, and the default
  CHECK(t.text(min[1], "file") == "/etc/ssl/openssl.cnf.d/10-tls.cnf");
  CHECK(t.integer(min[1], "effective") == 0);
  CHECK(t.text(min[2], "file") == "/etc/ssl/openssl.cnf");
  CHECK(t.integer(min[2], "line") == 14);
  CHECK(t.integer(min[2], "in_force") == 1);
  CHECK(t.warned("/etc/ssl/openssl.cnf.d/20-loop.conf:2", "include loop"));
  CHECK(t.warned("/etc/ssl/openssl.cnf:15", "readdir() order"));
  CHECK(t.warned("/etc/ssl/openssl.cnf:15", "reads it as empty"));  // the directory sub.cnf
  CHECK(t.warned("/etc/ssl/openssl.cnf:15", "recursive directory include"));
  // The re-read main file's first lines land in [system_default_sect]: unknown commands there.
  CHECK(t.warned("/etc/ssl/openssl.cnf:3", "'HOME' is no SSL_CONF command"));
  for (auto r : t.rows_where("key", "MaxProtocol"))
    CHECK(t.integer(r, "is_default") == 1);  // README, 30-notes.txt unread
}

TEST_CASE("openssl_config: absent file, a fifo, a huge include", "[openssl_config]") {
  vigil::test::TempDir dir;
  dir.mkdir("etc/ssl");
  const auto none = vigil::test::collect_ok(dir.path(), "openssl_config");
  CHECK(none.warned("/usr/lib/ssl/openssl.cnf", "absent"));
  CHECK(none.rows.size() == 5);
  CHECK(in_force_rows(none).size() == 5);

  dir.symlink("usr/lib/ssl/openssl.cnf", "/etc/ssl/openssl.cnf");
  dir.write("etc/ssl/openssl.cnf", ".include /etc/ssl/conf.d\n");
  dir.mkdir("etc/ssl/conf.d");
  REQUIRE(::mkfifo((dir.path() + "/etc/ssl/conf.d/pipe.cnf").c_str(), 0644) == 0);
  const auto fifo = vigil::test::collect_table(dir.path(), "openssl_config");
  REQUIRE_FALSE(fifo.status.ok());
  CHECK(fifo.status.error().message.find("pipe.cnf") != std::string::npos);

  vigil::test::TempDir big;
  big.symlink("usr/lib/ssl/openssl.cnf", "/etc/ssl/openssl.cnf");
  big.write("etc/ssl/openssl.cnf", ".include /etc/ssl/huge.cnf\n");
  big.write("etc/ssl/huge.cnf", std::string(17u * 1024u * 1024u, '#'));
  const auto huge = vigil::test::collect_table(big.path(), "openssl_config");
  REQUIRE_FALSE(huge.status.ok());
  CHECK(huge.status.error().code == Errc::too_large);
}
