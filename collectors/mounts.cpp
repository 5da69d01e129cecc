// The `mounts` table: the host's mounts as the kernel has them now
// (/proc/mounts) and as /etc/fstab persists them, one table with an `origin`
// column, so a check can compare both in one query (e.g. /tmp nodev live and
// in fstab). Both are read by the shared mount_table parser. systemd's
// tmp.mount is not read: a /tmp it mounts shows in the live rows only.
#include <map>

#include "collector.hpp"
#include "host.hpp"
#include "mount_table.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

enum Col : std::size_t {
  kOrigin,
  kMountPoint,
  kSource,
  kFstype,
  kOptions,
  kOptionsExpanded,
  kNodev,
  kNosuid,
  kNoexec,
  kRo,
  kNoauto,
  kFreq,
  kPassno,
  kVisible,
  kFile,
  kLine,
  kColumnCount
};

// Reads one table; a missing file is a warning and no rows.
void add_table(CollectContext& ctx, std::string_view path, bool live, std::vector<Row>& rows) {
  std::string file(path);
  auto text = live ? read_live_mounts(ctx.host(), file) : ctx.host().read_file(path, ReadOptions{.max_bytes = kMountTableCap});
  if (!text) {
    ctx.warn(file, text.is(Errc::not_found)
                       ? (live ? "absent (no /proc under this root): the live mounts are unknown"
                               : "absent: nothing is mounted from fstab at boot")
                       : "cannot be read: " + text.error().message);
    return;
  }
  const MountTable table = parse_mount_table(text->data);
  for (const auto& i : table.issues) ctx.warn(file + ":" + std::to_string(i.line), i.message);
  // The last mount of a mount point is the one paths there resolve to.
  std::map<std::string, std::size_t> last;
  for (std::size_t i = 0; i < table.entries.size(); ++i) last[table.entries[i].mount_point] = i;
  for (std::size_t i = 0; i < table.entries.size(); ++i) {
    const MountEntry& e = table.entries[i];
    // An fstab line without options means "defaults" to mount(8).
    const std::string opts = e.options.value_or(live ? "" : "defaults");
    const MountFlags f = mount_option_flags(opts);
    Row r(kColumnCount, null_value());
    r[kOrigin] = text_value(live ? "live" : "fstab");
    r[kMountPoint] = text_value(sanitize_utf8(e.mount_point));
    r[kSource] = text_value(sanitize_utf8(e.source));
    r[kFstype] = text_value(sanitize_utf8(e.fstype));
    r[kOptions] = e.options ? text_value(sanitize_utf8(*e.options)) : null_value();
    r[kOptionsExpanded] = text_value(sanitize_utf8(expand_mount_defaults(opts)));
    r[kNodev] = bool_value(f.nodev);
    r[kNosuid] = bool_value(f.nosuid);
    r[kNoexec] = bool_value(f.noexec);
    r[kRo] = bool_value(f.ro);
    if (!live) r[kNoauto] = bool_value(f.noauto);
    r[kFreq] = int_value(e.freq);
    r[kPassno] = int_value(e.passno);
    if (live) r[kVisible] = bool_value(last[e.mount_point] == i);
    r[kFile] = text_value(file);
    r[kLine] = int_value(e.line);
    rows.push_back(std::move(r));
  }
}

Status collect(CollectContext& ctx, std::vector<Row>& rows) {
  add_table(ctx, kProcMountsPath, true, rows);
  add_table(ctx, kFstabPath, false, rows);
  return Status::success();
}

TableDef mounts_table() {
  using T = ColumnType;
  std::vector<Column> c(kColumnCount);
  c[kOrigin] = {
      "origin", T::text,
      "'live' for a mount in the host's /proc/mounts (the kernel's table now), 'fstab' for a line of "
      "/etc/fstab (what boot mounts)"};
  c[kMountPoint] = {"mount_point", T::text, "where it is mounted, octal escapes undone ('\\040' is a space)"};
  c[kSource] = {"source", T::text,
                "what is mounted as written: /dev/sda1, /dev/mapper/vg-root, UUID=..., tmpfs, srv:/export"};
  c[kFstype] = {"fstype", T::text, "filesystem type (ext4, tmpfs, nfs4, swap, auto...)"};
  c[kOptions] = {"options", T::text,
                 "the options field as written; NULL when an fstab line has none (mount reads 'defaults')"};
  c[kOptionsExpanded] = {"options_expanded", T::text,
                         "the options with 'defaults' replaced by rw,suid,dev,exec,auto,nouser,async (a "
                         "missing fstab field counts as defaults)"};
  c[kNodev] = {"nodev", T::integer,
               "1 when the options in force, read left to right with later ones winning, say nodev: set by "
               "nodev and by user, users, owner or group; cleared by dev and defaults. For live rows the "
               "kernel lists each flag that is set, so 0 means device files work there"};
  c[kNosuid] = {"nosuid", T::integer,
                "1 when nosuid is in force (likewise: user, users, owner, group set it; suid, defaults clear "
                "it)"};
  c[kNoexec] = {"noexec", T::integer,
                "1 when noexec is in force (user and users set it; exec, defaults clear it)"};
  c[kRo] = {"ro", T::integer,
            "1 when mounted (or to be mounted) read-only: ro in force (rw, defaults clear it)"};
  c[kNoauto] = {"noauto", T::integer,
                "fstab rows: 1 when noauto is in force (not mounted at boot or by mount -a); NULL for live "
                "rows"};
  c[kFreq] = {"freq", T::integer, "fs_freq (dump); 0 when missing"};
  c[kPassno] = {"passno", T::integer, "fs_passno (fsck order); 0 when missing"};
  c[kVisible] = {"visible", T::integer,
                 "live rows: 1 for the last mount of its mount point (the one paths there reach), 0 when "
                 "mounted over; NULL for fstab rows"};
  c[kFile] = {"file", T::text, "/proc/mounts or /etc/fstab"};
  c[kLine] = {"line", T::integer, "1-based line"};
  return TableDef{
      "mounts",
      "The host's mounts with their options: one row per line of /proc/mounts (origin 'live', the "
      "kernel's table now, in mount order) and of /etc/fstab (origin 'fstab', persisted), read as "
      "util-linux 2.38 libmount reads them. Flags are computed from the options in order, as mount(8) "
      "applies them. Blank, comment and malformed lines (fewer than three fields, a freq or passno that "
      "is not a number) are not rows; malformed ones are warnings. A /tmp that systemd's tmp.mount mounts "
      "appears only among the live rows. An absent file gives no rows of its origin and a warning.",
      std::move(c),
      collect,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(mounts_table());

}  // namespace vigil::collectors
