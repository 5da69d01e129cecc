// Tests of the APT configuration evaluator over an in-memory tree (reading
// order, #clear, #include, errors, caps) and of the `apt_config` and
// `apt_config_files` tables over fixture hosts and hostile trees. The reader
// of one file is tested in apt_config_parse_test.cpp.
#include "apt_config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "collector.hpp"
#include "mem_fs.hpp"
#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::Errc;

namespace {

using vigil::test::MemFs;

// "key=value@effective" (list items "key[i]=value@effective") in reading order.
std::vector<std::string> values(const AptConfig& c, std::string_view key_lower) {
  std::vector<std::string> out;
  for (const auto& v : c.values) {
    if (v.key_lower != key_lower) continue;
    out.push_back(v.key + (v.list_index ? "[" + std::to_string(*v.list_index) + "]" : "") + "=" + v.value +
                  (v.effective ? "@1" : "@0"));
  }
  return out;
}

const AptConfFile* file_row(const AptConfig& c, std::string_view path) {
  for (const auto& f : c.files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

const std::string kParts = "/etc/apt/apt.conf.d/";

}  // namespace

TEST_CASE("apt config: parts in name order, then apt.conf, the last scalar wins", "[apt_config]") {
  MemFs fs;
  fs.files[kParts + "20auto-upgrades"] =
      "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n";
  fs.files[kParts + "10early"] = "APT::Periodic::Unattended-Upgrade \"0\";\n";
  fs.files[kParts + "99late.conf"] = "apt::periodic::UNATTENDED-upgrade \"2\";\n";
  fs.files[kParts + "99zz.bak"] = "APT::Periodic::Unattended-Upgrade \"9\";\n";
  fs.files["/etc/apt/apt.conf"] = "APT { Periodic { Unattended-Upgrade \"3\"; }; };\n";
  const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
  CHECK(c.loads);
  CHECK(values(c, "apt::periodic::unattended-upgrade") ==
        std::vector<std::string>{
            "APT::Periodic::Unattended-Upgrade=0@0", "APT::Periodic::Unattended-Upgrade=1@0",
            "apt::periodic::UNATTENDED-upgrade=2@0", "APT::Periodic::Unattended-Upgrade=3@1"});
  CHECK(values(c, "apt::periodic::update-package-lists") ==
        std::vector<std::string>{"APT::Periodic::Update-Package-Lists=1@1"});
  const auto* bak = file_row(c, kParts + "99zz.bak");
  REQUIRE(bak != nullptr);
  CHECK(bak->status == "ignored");
  CHECK(file_row(c, "/etc/apt/apt.conf")->read_order == 4);
  CHECK(file_row(c, kParts + "10early")->read_order == 1);
}

TEST_CASE("apt config: list items accumulate until #clear empties the tree", "[apt_config]") {
  MemFs fs;
  fs.files[kParts + "50unattended-upgrades"] =
      "Unattended-Upgrade::Origins-Pattern {\n  \"origin=Debian,label=Debian-Security\";\n  "
      "\"o=Debian\";\n};\n"
      "Unattended-Upgrade::Mail \"root\";\n";
  fs.files[kParts + "51more"] = "Unattended-Upgrade::Origins-Pattern:: \"o=Extra\";\n";
  fs.files[kParts + "52local"] =
      "#clear Unattended-Upgrade::Origins-Pattern;\nUnattended-Upgrade::Origins-Pattern { \"o=Local\"; };\n";
  SECTION("a #clear of the list") {
    const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
    CHECK(values(c, "unattended-upgrade::origins-pattern") ==
          std::vector<std::string>{
              "Unattended-Upgrade::Origins-Pattern[0]=origin=Debian,label=Debian-Security@0",
              "Unattended-Upgrade::Origins-Pattern[1]=o=Debian@0",
              "Unattended-Upgrade::Origins-Pattern[2]=o=Extra@0",
              "Unattended-Upgrade::Origins-Pattern[0]=o=Local@1"});
    CHECK(values(c, "unattended-upgrade::mail") ==
          std::vector<std::string>{"Unattended-Upgrade::Mail=root@1"});
  }
  SECTION("a #clear of the parent takes the whole subtree") {
    fs.files[kParts + "53all"] = "#clear unattended-upgrade;\n";
    const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
    for (const auto& v : c.values) CHECK_FALSE(v.effective);
    CHECK(c.loads);
  }
  SECTION("#clear of a key no file set is nothing") {
    fs.files[kParts + "53none"] = "#clear No::Such::Tree;\n#clear Unattended-Upgrade::Origins-Pattern::;\n";
    const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
    CHECK(values(c, "unattended-upgrade::origins-pattern").back() ==
          "Unattended-Upgrade::Origins-Pattern[0]=o=Local@1");
  }
}

TEST_CASE("apt config: an error anywhere means apt does not start", "[apt_config]") {
  MemFs fs;
  fs.files[kParts + "20auto-upgrades"] =
      "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n";
  fs.files[kParts + "30broken"] =
      "Acquire::Retries \"3\";\nAcquire::http::Proxy \"http://p:3128\"\n"
      "APT::Get::AllowUnauthenticated \"true\";\n";
  const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
  CHECK_FALSE(c.loads);
  CHECK(values(c, "apt::periodic::unattended-upgrade") ==
        std::vector<std::string>{"APT::Periodic::Unattended-Upgrade=1@0"});
  CHECK(values(c, "acquire::retries") == std::vector<std::string>{"Acquire::Retries=3@0"});
  CHECK(values(c, "apt::get::allowunauthenticated").empty());  // after the error: never read
  const auto* broken = file_row(c, kParts + "30broken");
  REQUIRE(broken != nullptr);
  CHECK(broken->status == "error");
  CHECK(broken->line == 3);
  CHECK(file_row(c, kParts + "20auto-upgrades")->status == "read");
  bool warned = false;
  for (const auto& i : c.issues)
    warned = warned || (i.where == kParts + "30broken:3" && i.message.find("refuses") != std::string::npos);
  CHECK(warned);
}

TEST_CASE("apt config: #include files, directories, missing targets and loops", "[apt_config]") {
  MemFs fs;
  SECTION("a file and a directory, applied where included") {
    fs.files[kParts + "10inc"] =
        "A \"before\";\n#include \"/etc/apt/local.conf\";\nB \"after\";\n"
        "#include /etc/apt/local.d/;\n";
    fs.files["/etc/apt/local.conf"] = "A \"included\";\nB \"included\";\n";
    fs.files["/etc/apt/local.d/1.conf"] = "C \"one\";\n";
    fs.files["/etc/apt/local.d/2.bak"] = "C \"two\";\n";
    const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
    CHECK(c.loads);
    CHECK(values(c, "a") == std::vector<std::string>{"A=before@0", "A=included@1"});
    CHECK(values(c, "b") == std::vector<std::string>{"B=included@0", "B=after@1"});
    CHECK(values(c, "c") == std::vector<std::string>{"C=one@1"});
    const auto* inc = file_row(c, "/etc/apt/local.conf");
    REQUIRE(inc != nullptr);
    CHECK(inc->depth == 1);
    CHECK(inc->included_from == kParts + "10inc:2");
    CHECK(file_row(c, "/etc/apt/local.d/2.bak")->status == "ignored");
  }
  SECTION("a missing include fails the including file") {
    fs.files[kParts + "10inc"] = "#include /etc/apt/nope.conf;\nA \"1\";\n";
    const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
    CHECK_FALSE(c.loads);
    CHECK(file_row(c, kParts + "10inc")->status == "error");
    CHECK(file_row(c, "/etc/apt/nope.conf")->status == "error");
    CHECK(values(c, "a").empty());
  }
  SECTION("an include loop ends at apt's nesting limit, as an error") {
    fs.files[kParts + "10loop"] = "L:: \"x\";\n#include /etc/apt/apt.conf.d/10loop;\n";
    const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
    CHECK_FALSE(c.loads);
    CHECK(values(c, "l").size() == 12);  // depths 0..11, as apt reads them
    CHECK(fs.reads == 12);
    bool loop = false;
    for (const auto& i : c.issues) loop = loop || i.message.find("include loop") != std::string::npos;
    CHECK(loop);
  }
  SECTION("a fan-out of includes hits vigil's cap, not the machine") {
    for (int i = 0; i < 10; ++i) {  // within apt's depth limit, so apt itself would read 2048 files
      fs.files["/etc/apt/f" + std::to_string(i)] = "#include /etc/apt/f" + std::to_string(i + 1) +
                                                   ";\n#include /etc/apt/f" + std::to_string(i + 1) + ";\n";
    }
    fs.files["/etc/apt/f10"] = "A \"1\";\n";
    fs.files[kParts + "10fan"] = "#include /etc/apt/f0;\n";
    const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
    REQUIRE(c.fatal.has_value());
    CHECK(c.fatal->code == Errc::too_large);
    CHECK(fs.reads <= 1000);
  }
  SECTION("a directory of 20 000 leftovers hits vigil's cap") {
    for (int i = 0; i <= 20000; ++i) fs.files[kParts + "x" + std::to_string(i) + ".bak"] = "";
    const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
    REQUIRE(c.fatal.has_value());
    CHECK(c.fatal->message.find("entries") != std::string::npos);
    CHECK(fs.reads == 0);
  }
  SECTION("a long list, then lookups beside it: no quadratic cost") {
    std::string big;
    for (int i = 0; i < 45000; ++i)
      big += "L:: \"" + std::to_string(i) + "\";\nL::Named \"" + std::to_string(i) + "\";\n";
    fs.files[kParts + "10big"] = big;
    const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
    REQUIRE_FALSE(c.fatal.has_value());
    CHECK(c.values.size() == 90000);
    CHECK(c.values[89998].list_index == 44999);
    CHECK(values(c, "l::named").back() == "L::Named=44999@1");
  }
  SECTION("vigil's bounds on one file end the table in an error") {
    std::string deep;
    for (int i = 0; i < 5000; ++i) deep += "a {";
    fs.files[kParts + "10deep"] = deep;
    const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
    REQUIRE(c.fatal.has_value());
    CHECK(c.fatal->message.find("nested deeper") != std::string::npos);
  }
  SECTION("a fifo included is an error, never a read") {
    fs.special["/etc/apt/fifo"] = FileType::fifo;
    fs.files[kParts + "10inc"] = "#include /etc/apt/fifo;\n";
    const auto c = evaluate_apt_config(fs.loader<AptConfLoader>());
    CHECK_FALSE(c.loads);
    CHECK(file_row(c, "/etc/apt/fifo")->status == "error");
  }
}

TEST_CASE("apt_config table: Debian 12 with unattended-upgrades as shipped", "[apt_config]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("aptconf-debian12"), "apt_config");
  CHECK(t.warnings.empty());
  auto only = [&t](std::string_view key_lower) {
    auto rows = t.rows_where("key_lower", key_lower);
    INFO("key " << key_lower);
    REQUIRE(rows.size() == 1);
    CHECK(t.integer(rows[0], "effective") == 1);
    CHECK(t.is_null(rows[0], "list_index"));
    return rows[0];
  };
  const auto uu = only("apt::periodic::unattended-upgrade");
  CHECK(t.text(uu, "value") == "1");
  CHECK(t.text(uu, "key") == "APT::Periodic::Unattended-Upgrade");
  CHECK(t.text(uu, "file") == "/etc/apt/apt.conf.d/20auto-upgrades");
  CHECK(t.integer(uu, "line") == 2);
  CHECK(t.text(only("apt::periodic::update-package-lists"), "value") == "1");
  const auto hook = t.rows_where("key_lower", "dpkg::pre-install-pkgs");  // a list of one
  REQUIRE(hook.size() == 1);
  CHECK(t.integer(hook[0], "list_index") == 0);
  CHECK(t.text(hook[0], "key") == "DPkg::Pre-Install-Pkgs");
  CHECK(t.text(hook[0], "value") == "/usr/sbin/dpkg-preconfigure --apt || true");

  const auto origins = t.rows_where("key_lower", "unattended-upgrade::origins-pattern");
  REQUIRE(origins.size() == 3);
  std::vector<std::string> patterns;
  for (std::size_t i = 0; i < origins.size(); ++i) {
    CHECK(t.integer(origins[i], "list_index") == static_cast<std::int64_t>(i));
    CHECK(t.integer(origins[i], "effective") == 1);
    patterns.push_back(t.text(origins[i], "value"));
  }
  CHECK(patterns ==
        std::vector<std::string>{"origin=Debian,codename=${distro_codename},label=Debian",
                                 "origin=Debian,codename=${distro_codename},label=Debian-Security",
                                 "origin=Debian,codename=${distro_codename}-security,label=Debian-Security"});
  CHECK(t.integer(origins[2], "line") == 33);
  CHECK(t.rows_where("key_lower", "unattended-upgrade::package-blacklist").empty());  // all commented out
  CHECK(t.rows_where("key_lower", "apt::versionedkernelpackages").size() == 5);       // '#' comments skipped
  CHECK(t.rows_where("key_lower", "apt::get::allowunauthenticated").empty());

  auto files = vigil::test::collect_ok(vigil::test::fixture_host("aptconf-debian12"), "apt_config_files");
  const auto main = files.rows_where("file", "/etc/apt/apt.conf");
  REQUIRE(main.size() == 1);
  CHECK(files.text(main[0], "status") == "absent");
  CHECK(files.rows_where("status", "read").size() == 4);
  CHECK(files.rows_where("status", "error").empty());
}

TEST_CASE("apt_config table: the main file turns unattended upgrades off", "[apt_config]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("aptconf-uu-off"), "apt_config");
  const auto rows = t.rows_where("key_lower", "apt::periodic::unattended-upgrade");
  REQUIRE(rows.size() == 2);  // the .bak and the .list are not read
  CHECK(t.integer(rows[0], "effective") == 0);
  CHECK(t.integer(rows[1], "effective") == 1);
  CHECK(t.text(rows[1], "value") == "0");
  CHECK(t.text(rows[1], "key") == "apt::periodic::unattended-upgrade");
  CHECK(t.text(rows[1], "file") == "/etc/apt/apt.conf");
  CHECK(t.integer(rows[1], "line") == 3);
  CHECK(t.warned("/etc/apt/apt.conf.d/99local.list", "notice"));
  CHECK_FALSE(t.warned("/etc/apt/apt.conf.d/99-enable.bak", "notice"));  // ignored silently, as apt does

  auto files = vigil::test::collect_ok(vigil::test::fixture_host("aptconf-uu-off"), "apt_config_files");
  const auto bak = files.rows_where("file", "/etc/apt/apt.conf.d/99-enable.bak");
  REQUIRE(bak.size() == 1);
  CHECK(files.text(bak[0], "status") == "ignored");
  CHECK(files.is_null(bak[0], "read_order"));
  const auto main = files.rows_where("file", "/etc/apt/apt.conf");
  REQUIRE(main.size() == 1);
  CHECK(files.integer(main[0], "read_order") == 5);
}

TEST_CASE("apt_config table: the security origins cleared and replaced", "[apt_config]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("aptconf-cleared"), "apt_config");
  std::vector<std::string> effective;
  for (auto r : t.rows_where("key_lower", "unattended-upgrade::origins-pattern")) {
    if (t.integer(r, "effective") == 1)
      effective.push_back(std::to_string(t.integer(r, "list_index")) + " " + t.text(r, "value"));
  }
  CHECK(effective == std::vector<std::string>{"0 origin=Debian,codename=${distro_codename},label=Debian",
                                              "1 origin=Example Corp,label=internal"});
  CHECK(t.rows_where("key_lower", "unattended-upgrade::origins-pattern").size() == 5);
  CHECK(t.text(t.rows_where("key_lower", "apt::periodic::unattended-upgrade")[0], "value") == "1");
}

TEST_CASE("apt_config table: unauthenticated packages allowed", "[apt_config]") {
  auto t = vigil::test::collect_ok(vigil::test::fixture_host("aptconf-unauth"), "apt_config");
  auto value = [&t](std::string_view key) {
    auto rows = t.rows_where("key_lower", key);
    REQUIRE(rows.size() == 1);
    CHECK(t.integer(rows[0], "effective") == 1);
    CHECK(t.text(rows[0], "file") == "/etc/apt/apt.conf.d/99insecure");
    return t.text(rows[0], "value");
  };
  CHECK(value("apt::get::allowunauthenticated") == "true");
  CHECK(value("acquire::allowinsecurerepositories") == "1");
  CHECK(value("acquire::gzipindexes") == "true");
}

TEST_CASE("apt_config table: absent, broken and hostile trees", "[apt_config]") {
  vigil::test::TempDir dir;
  SECTION("no /etc/apt at all") {
    dir.mkdir("etc");
    auto t = vigil::test::collect_ok(dir.path(), "apt_config");
    CHECK(t.rows.empty());
    CHECK(t.warned("/etc/apt/apt.conf.d/", "cannot be read"));
    auto files = vigil::test::collect_ok(dir.path(), "apt_config_files");
    CHECK(files.rows_where("status", "absent").size() == 2);
  }
  SECTION("a missing ';': apt refuses to start, nothing is effective") {
    dir.write("/etc/apt/apt.conf.d/20auto-upgrades", "APT::Periodic::Unattended-Upgrade \"1\";\n");
    dir.write("/etc/apt/apt.conf", "Acquire::Retries \"3\"\n");
    auto t = vigil::test::collect_ok(dir.path(), "apt_config");
    REQUIRE(t.rows.size() == 1);
    CHECK(t.integer(0, "effective") == 0);
    CHECK(t.warned("/etc/apt/apt.conf:1", "extra junk at end of file"));
    auto files = vigil::test::collect_ok(dir.path(), "apt_config_files");
    const auto main = files.rows_where("file", "/etc/apt/apt.conf");
    REQUIRE(main.size() == 1);
    CHECK(files.text(main[0], "status") == "error");
    CHECK(files.integer(main[0], "line") == 1);
  }
  SECTION("a fifo and a link to /dev/zero in apt.conf.d are never opened") {
    dir.write("/etc/apt/apt.conf.d/20auto-upgrades", "APT::Periodic::Unattended-Upgrade \"1\";\n");
    REQUIRE(::mkfifo((dir.path() + "/etc/apt/apt.conf.d/30fifo").c_str(), 0644) == 0);
    dir.symlink("/etc/apt/apt.conf.d/40zero", "/dev/zero");
    dir.symlink("/etc/apt/apt.conf.d/50escape", "../../../../../../../../etc/passwd");
    auto t = vigil::test::collect_ok(dir.path(), "apt_config");  // must not hang
    REQUIRE(t.rows.size() == 1);
    CHECK(t.integer(0, "effective") == 1);
    CHECK(t.warned("/etc/apt/apt.conf.d/30fifo", "not a regular file"));
    CHECK(t.warned("/etc/apt/apt.conf.d/40zero", "not a regular file"));
    CHECK(t.warned("/etc/apt/apt.conf.d/50escape", "not a regular file"));
  }
  SECTION("a huge file is over the cap: an error, not a truncated reading") {
    dir.write("/etc/apt/apt.conf.d/20auto-upgrades", "APT::Periodic::Unattended-Upgrade \"1\";\n");
    const std::string huge = dir.path() + "/etc/apt/apt.conf.d/90huge";
    dir.write("/etc/apt/apt.conf.d/90huge", "");
    REQUIRE(::truncate(huge.c_str(), 20LL * 1024 * 1024) == 0);
    auto t = vigil::test::collect_table(dir.path(), "apt_config");
    REQUIRE_FALSE(t.status.ok());
    CHECK(t.status.error().message.find("cap") != std::string::npos);
  }
}
