// modprobe.d as kmod 30 reads it, and the kernel_modules / modprobe_config
// tables on fixture hosts. Expected orders and values were checked against
// Debian 12's `modprobe -c` over the same files.
#include "kernel_modules.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace vigil::collectors;
using vigil::collectors::Value;
using vigil::test::collect_ok;
using vigil::test::collect_table;
using vigil::test::CollectedTable;
using vigil::test::fixture_host;
using vigil::test::TempDir;

using namespace std::string_literals;

namespace {

std::vector<std::string> summary(const ModprobeConf& c) {
  std::vector<std::string> out;
  for (const auto& d : c.directives) {
    out.push_back(d.command + " " + d.module + (d.value ? "=" + *d.value : "") + "@" +
                  std::to_string(d.line));
  }
  return out;
}

CollectedTable module(const std::string& root, const std::string& name) {
  auto t = collect_ok(root, "kernel_modules", {Value{name}});
  REQUIRE(t.rows.size() == 1);
  CHECK(t.text(0, "module") == name);
  return t;
}

}  // namespace

TEST_CASE("kmod_underscores reads '-' as '_' outside brackets", "[kernel_modules]") {
  CHECK(kmod_underscores("usb-storage") == "usb_storage");
  CHECK(kmod_underscores("snd-hda-intel") == "snd_hda_intel");
  CHECK(kmod_underscores("my-Mod*") == "my_Mod*");
  CHECK(kmod_underscores("a[b-c]d-e") == "a[b-c]d_e");
  CHECK(kmod_underscores("x]y") == std::nullopt);
  CHECK(kmod_underscores("x[y") == std::nullopt);
}

TEST_CASE("parse_modprobe_conf reads lines as kmod_config_parse does", "[kernel_modules]") {
  const auto c = parse_modprobe_conf(
      "install usb-storage /bin/false\n"
      "blacklist usb-storage\n"
      "  # indented comment\n"
      "\tblacklist\tfire-wire\n"
      "options snd-hda  a=1\tb=2 \\\n"
      "  c=3\n"
      "alias  my-Mod*  real-mod\n"
      "softdep x-y pre: a-b post: c\n"
      "install\n"
      "blacklist\n"
      "foo bar\n"
      "install cramfs  /bin/true  # comment?\n"
      "blacklist a[b-c]d\n"
      "blacklist x]y\n"
      "options lonely\n"
      "options trailing \n"
      "include /etc/other.conf\n"
      "blacklist crlf\r\n"
      "#blacklist commented\n"
      "blacklist nul\0tail\n"
      "   \n"
      "blacklist last-line"s);
  CHECK(summary(c) == std::vector<std::string>{"install usb_storage=/bin/false@1", "blacklist usb_storage@2",
                                               "blacklist fire_wire@4", "options snd_hda= a=1 b=2   c=3@5",
                                               "alias my_Mod*=real_mod@7", "softdep x_y=pre: a-b post: c@8",
                                               "install cramfs= /bin/true  # comment?@12",
                                               "blacklist a[b-c]d@13", "blacklist crlf\r@18",
                                               "blacklist nul@20", "blacklist last_line@22"});
  std::vector<int> lines;
  for (const auto& i : c.issues) lines.push_back(i.line);
  CHECK(lines == std::vector<int>{3, 9, 10, 11, 14, 15, 16, 17});
}

TEST_CASE("parse_kernel_cmdline takes module parameters as kmod 30 does", "[kernel_modules]") {
  const auto k = parse_kernel_cmdline(
      "BOOT_IMAGE=/vmlinuz-6.1.0-13-amd64 root=UUID=ab.cd ro quiet a-b.c=d ab.c.d=e a.b=c.d e.f=\"g h\" "
      "\"q-x.p=1 2\" m.\"n=o\" x.flag modprobe.blacklist=m1,m-2 module_blacklist=rds,usb-storage\n");
  std::vector<std::string> got;
  for (const auto& s : k.settings) got.push_back(s.module + " " + s.param);
  CHECK(got == std::vector<std::string>{"a-b c=d", "a b=c.d", "e f=\"g h\"", "q-x p=\"1 2\"", "x flag",
                                        "modprobe blacklist=m1,m-2"});
  CHECK(k.module_blacklist == std::vector<std::string>{"rds", "usb-storage"});
  CHECK(parse_kernel_cmdline("").settings.empty());
}

TEST_CASE("order_modprobe_files: one lexical order, earlier directories mask", "[kernel_modules]") {
  std::vector<ConfDir> dirs{
      {"/etc/modprobe.d",
       true,
       false,
       {{"zz.conf", false},
        {"dup.conf", false},
        {".hidden.conf", false},
        {"noext", false},
        {"x.alias", false},
        {"dir.conf", true},
        {".conf", false},
        {"old.conf.dpkg-old", false}}},
      {"/run/modprobe.d", true, false, {{"dup.conf", false}, {"aa.conf", false}}},
      {"/usr/local/lib/modprobe.d", false, false, {}},
      {"/lib/modprobe.d", true, false, {{"b.conf", false}, {"a.conf", false}}},
  };
  const auto o = order_modprobe_files(dirs);
  std::vector<std::string> got;
  for (const auto& f : o.files) got.push_back(f.path);
  CHECK(got == std::vector<std::string>{"/lib/modprobe.d/a.conf", "/run/modprobe.d/aa.conf",
                                        "/lib/modprobe.d/b.conf", "/etc/modprobe.d/dup.conf",
                                        "/etc/modprobe.d/x.alias", "/etc/modprobe.d/zz.conf"});
  REQUIRE(o.masked.size() == 1);
  CHECK(o.masked[0].first == "/run/modprobe.d/dup.conf");
  CHECK(o.masked[0].second == "/etc/modprobe.d/dup.conf");
  REQUIRE(o.notes.size() == 1);
  CHECK(o.notes[0].first == "/etc/modprobe.d/dir.conf");
}

TEST_CASE("install_disables knows the commands that load nothing", "[kernel_modules]") {
  for (const char* c : {"/bin/false", "/bin/true", " /usr/bin/false", "/usr/bin/true", "false", "true",
                        "/bin/true  # disabled", "/bin/false usb-storage", "/bin/true\t"}) {
    INFO(c);
    CHECK(install_disables(c));
  }
  for (const char* c : {"", "/bin/echo disabled", "/sbin/modprobe --ignore-install usb-storage",
                        "/bin/true; /sbin/modprobe --ignore-install usb-storage", "/bin/true && modprobe x",
                        "/bin/true $(modprobe x)", "/bin/true\r", "/bin/truex", "/bin/false#x"}) {
    INFO(c);
    CHECK_FALSE(install_disables(c));
  }
}

TEST_CASE("module_names_in_list reads modules.builtin and modules.dep", "[kernel_modules]") {
  CHECK(module_names_in_list("kernel/drivers/usb/storage/usb-storage.ko\nkernel/fs/ext4/ext4.ko\n") ==
        std::vector<std::string>{"usb_storage", "ext4"});
  CHECK(module_names_in_list("kernel/fs/cramfs/cramfs.ko.xz:\nkernel/a/b-c.ko.zst: kernel/x.ko\n\n") ==
        std::vector<std::string>{"cramfs", "b_c"});
}

TEST_CASE("kernel_modules on a CIS-hardened host", "[kernel_modules]") {
  const std::string root = fixture_host("modprobe-hardened");
  auto usb = module(root, "usb-storage");
  CHECK(usb.text(0, "name") == "usb_storage");
  CHECK(usb.text(0, "install_command") == "/bin/false");
  CHECK(usb.integer(0, "disabled_by_install") == 1);
  CHECK(usb.integer(0, "blacklisted") == 1);
  CHECK(usb.text(0, "blacklisted_at") == "/etc/modprobe.d/cis.conf:11");
  CHECK(usb.integer(0, "kernel_blacklisted") == 0);  // module_blacklist= compares names exactly
  CHECK(usb.integer(0, "loaded") == 0);
  CHECK(usb.integer(0, "builtin") == 0);
  CHECK(usb.integer(0, "available") == 1);
  CHECK(usb.text(0, "file") == "/etc/modprobe.d/cis.conf");
  CHECK(usb.integer(0, "line") == 10);
  CHECK(usb.warned("/etc/modprobe.d/dir.conf", "a directory"));
  CHECK(usb.warned("/lib/modprobe.d/systemd.conf", "masked by /etc/modprobe.d/systemd.conf"));

  // The first install whose pattern matches wins: /run's squash* before /usr/local's squashfs.
  auto squash = module(root, "squashfs");
  CHECK(squash.text(0, "install_command") == "/bin/true");
  CHECK(squash.text(0, "file") == "/run/modprobe.d/10-squash.conf");
  CHECK(squash.integer(0, "blacklisted") == 1);

  CHECK(module(root, "dccp").text(0, "blacklisted_at") == "/proc/cmdline:1");
  CHECK(module(root, "dccp").integer(0, "disabled_by_install") == 1);  // "/bin/true   # disabled"
  CHECK(module(root, "sctp").integer(0, "disabled_by_install") == 1);
  CHECK(module(root, "rds").is_null(0, "disabled_by_install"));  // /bin/echo: another command
  CHECK(module(root, "rds").integer(0, "kernel_blacklisted") == 1);
  CHECK(module(root, "tipc").is_null(0, "disabled_by_install"));
  auto fw = module(root, "firewire-ohci");
  CHECK(fw.integer(0, "blacklisted") == 1);
  CHECK(fw.is_null(0, "install_command"));
  CHECK(fw.integer(0, "disabled_by_install") == 0);
  CHECK(fw.integer(0, "kernel_blacklisted") == 0);

  // A CRLF file: "blacklist thunderbolt\r" names no module, "/bin/true\r" is not /bin/true to sh.
  auto tb = module(root, "thunderbolt");
  CHECK(tb.integer(0, "blacklisted") == 0);
  CHECK(tb.text(0, "install_command") == "/bin/true\r");
  CHECK(tb.is_null(0, "disabled_by_install"));
  CHECK(tb.warned("/etc/modprobe.d/thunderbolt.conf:2", "carriage return"));

  // A softdep beside the install command: kmod may skip the command.
  auto hfs = module(root, "hfsplus");
  CHECK(hfs.text(0, "softdep") == "pre: nls_utf8");
  CHECK(hfs.is_null(0, "disabled_by_install"));
  CHECK(module(root, "hfs").is_null(0, "softdep"));
  CHECK(module(root, "hfs").integer(0, "disabled_by_install") == 1);

  // Nothing mentions ext4: still a row. Built in, loaded, and no module file.
  auto ext4 = module(root, "ext4");
  CHECK(ext4.is_null(0, "install_command"));
  CHECK(ext4.integer(0, "disabled_by_install") == 0);
  CHECK(ext4.integer(0, "blacklisted") == 0);
  CHECK(ext4.integer(0, "loaded") == 1);
  CHECK(ext4.integer(0, "builtin") == 1);
  CHECK(ext4.integer(0, "available") == 0);
  CHECK(ext4.is_null(0, "file"));
}

TEST_CASE("kernel_modules on a stock Debian 12 host", "[kernel_modules]") {
  const std::string root = fixture_host("modprobe-debian12");
  auto usb = module(root, "usb_storage");
  CHECK(usb.warnings.empty());
  CHECK(usb.is_null(0, "install_command"));
  CHECK(usb.integer(0, "disabled_by_install") == 0);
  CHECK(usb.integer(0, "blacklisted") == 0);
  CHECK(usb.integer(0, "loaded") == 1);
  CHECK(usb.integer(0, "available") == 1);
  CHECK(module(root, "cramfs").integer(0, "loaded") == 0);

  auto conf = collect_ok(root, "modprobe_config");
  CHECK(conf.warnings.empty());
  CHECK(conf.rows.size() == 10);  // aliases.conf: 5 options, 2 softdeps; systemd.conf: 3 options
  CHECK(conf.text(0, "file") == "/lib/modprobe.d/aliases.conf");
  CHECK(conf.text(0, "module") == "snd_pcsp");
  CHECK(conf.integer(0, "seq") == 1);
  CHECK(conf.text(9, "file") == "/lib/modprobe.d/systemd.conf");
  CHECK(conf.text(9, "value") == "numifbs=0");
}

TEST_CASE("modprobe_config on a hardened host: reading order and /proc/cmdline", "[kernel_modules]") {
  auto t = collect_ok(fixture_host("modprobe-hardened"), "modprobe_config");
  REQUIRE(t.rows.size() == 35);
  CHECK(t.text(0, "file") == "/run/modprobe.d/10-squash.conf");
  CHECK(t.text(2, "file") == "/usr/local/lib/modprobe.d/50-squashfs.conf");
  CHECK(t.text(3, "file") == "/lib/modprobe.d/aliases.conf");
  auto bonding = t.rows_where("module", "bonding");
  REQUIRE(bonding.size() == 1);
  CHECK(t.text(bonding[0], "value") == "max_bonds=2");
  auto cmd = t.rows_where("file", "/proc/cmdline");
  REQUIRE(cmd.size() == 5);
  CHECK(t.text(cmd[1], "module") == "usb-storage");  // as written: kmod does not normalise these
  CHECK(t.text(cmd[2], "command") == "options");
  CHECK(t.text(cmd[2], "value") == "authorized_default=0");
  CHECK(t.text(cmd[3], "command") == "module_blacklist");
  CHECK(t.rows_where("module", "hidden").empty());
  CHECK(t.rows_where("module", "old").empty());
  CHECK(t.rows_where("module", "never").empty());
}

TEST_CASE("kernel_modules: no configuration, no /proc, odd files", "[kernel_modules]") {
  TempDir d;
  d.mkdir("etc");
  auto bare = module(d.path(), "usb-storage");
  CHECK(bare.integer(0, "blacklisted") == 0);
  CHECK(bare.is_null(0, "loaded"));
  CHECK(bare.is_null(0, "builtin"));
  CHECK(bare.is_null(0, "available"));
  CHECK(bare.is_null(0, "kernel_blacklisted"));
  CHECK(bare.warned("/proc/modules", "absent"));
  CHECK(collect_ok(d.path(), "modprobe_config").rows.empty());

  auto bad = collect_table(d.path(), "kernel_modules", {Value{}});
  CHECK_FALSE(bad.status.ok());
  CHECK_FALSE(collect_table(d.path(), "kernel_modules", {Value{std::int64_t{3}}}).status.ok());

  // A fifo and a dangling link in modprobe.d never block and are not read.
  d.write("etc/modprobe.d/a.conf", "blacklist usb-storage\n");
  REQUIRE(::mkfifo((d.path() + "/etc/modprobe.d/b.conf").c_str(), 0644) == 0);
  d.symlink("etc/modprobe.d/c.conf", "/dev/null");
  d.symlink("etc/modprobe.d/d.conf", "../../../outside.conf");
  d.write("etc/modprobe.d/e.conf", std::string("\xff\xfe\0garbage\r\n", 12) + "blacklist cramfs\n");
  auto t = collect_ok(d.path(), "modprobe_config");
  CHECK(t.warned("/etc/modprobe.d/b.conf", "fifo"));
  CHECK(t.warned("/etc/modprobe.d/c.conf", "not read"));
  CHECK(t.warned("/etc/modprobe.d/d.conf", "not read"));
  REQUIRE(t.rows.size() == 2);
  CHECK(t.text(0, "module") == "usb_storage");
  CHECK(t.text(1, "module") == "cramfs");
  CHECK(t.integer(1, "line") == 2);

  // A file too large to read makes the configuration unknowable.
  d.write("etc/modprobe.d/huge.conf", std::string(17u * 1024u * 1024u, '#'));
  CHECK_FALSE(collect_table(d.path(), "modprobe_config").status.ok());
}
