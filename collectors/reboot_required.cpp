// The `reboot_required` table: one row saying whether a reboot is pending.
// The hooks only ever create /run/reboot-required (its text is a fixed
// banner) and append to /run/reboot-required.pkgs; the readers test -f
// (update-motd, unattended-upgrades' os.path.isfile), so the fact is "a
// regular file is there", its mtime says since when. /run is a tmpfs: a
// reboot empties it, and an image or a stopped container's root has none,
// which run_present reports so that "no file" is not read as "no reboot due".
#include "reboot_required.hpp"

#include <algorithm>
#include <exception>

#include "collector.hpp"
#include "host.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

constexpr std::size_t kPkgsCap = 1024u * 1024u;  // a line per package: a few hundred bytes in practice
constexpr std::size_t kMaxWarnings = 20;

// Debian policy 5.6.1, loosely: a name hooks could have written.
bool package_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.' || c == ':' || c == '_';
  });
}

Status collect(CollectContext& ctx, std::vector<Row>& rows) {
  const Host& host = ctx.host();
  const std::string flag(kRebootRequiredFile);
  const std::string pkgs_path(kRebootRequiredPkgs);

  const auto run = host.stat("/run", true);
  const bool run_present = run && run->type == FileType::directory;
  if (!run_present)
    ctx.warn(
        "/run",
        "no /run directory under this root (an image, a stopped container?): required = 0 means unknown");

  bool required = false;
  Value mtime = null_value();
  const auto st = host.stat(flag, true);
  if (st && st->type == FileType::regular) {
    required = true;
    mtime = int_value(st->mtime);
  } else if (st) {
    ctx.warn(flag, std::string("is a ") + file_type_name(st->type) +
                       ", not a regular file; the hooks and "
                       "their readers test -f, so no reboot is flagged");
  } else if (!st.is(Errc::not_found)) {
    return make_error(st.error().code, flag + ": " + st.error().message);
  }

  Value packages = null_value();
  auto content = host.read_file(pkgs_path, ReadOptions{.max_bytes = kPkgsCap});
  if (content) {
    const RebootPackages parsed = parse_reboot_required_pkgs(content->data);
    for (std::size_t i = 0; i < parsed.issues.size() && i < kMaxWarnings; ++i) {
      ctx.warn(pkgs_path + ":" + std::to_string(parsed.issues[i].line), parsed.issues[i].message);
    }
    if (!parsed.names.empty()) packages = text_value(sanitize_utf8(join(parsed.names, " ")));
    if (!required && !parsed.names.empty()) {
      ctx.warn(pkgs_path, "lists packages but " + flag + " is not there: no reboot is flagged");
    }
  } else if (!content.is(Errc::not_found)) {
    ctx.warn(pkgs_path, "cannot be read: " + content.error().message);
  }

  rows.push_back(Row{bool_value(required), packages, text_value(flag), mtime, bool_value(run_present)});
  return Status::success();
}

TableDef reboot_required_table() {
  using T = ColumnType;
  return TableDef{
      "reboot_required",
      "One row: whether a package asked for a reboot that has not happened, as the Debian/Ubuntu hooks "
      "record it in /run/reboot-required (update-notifier-common, unattended-upgrades) with the packages in "
      "/run/reboot-required.pkgs. No file is required = 0, a fact and no warning. A kernel installed but not "
      "running shows in the `kernel` table whether or not a hook wrote the file.",
      {
          {"required", T::integer,
           "1 when /run/reboot-required is a regular file (symlinks followed in the root)"},
          {"packages", T::text,
           "the names in /run/reboot-required.pkgs, space-separated, each once, in file order; NULL when the "
           "file is absent or lists none"},
          {"file", T::text, "/run/reboot-required"},
          {"mtime", T::integer, "when the file was last written, seconds since the epoch; NULL when absent"},
          {"run_present", T::integer,
           "1 when the root has a /run directory; 0 for an image or a stopped container, where required = 0 "
           "means unknown"},
      },
      collect,
  };
}

}  // namespace

RebootPackages parse_reboot_required_pkgs(std::string_view text) {
  RebootPackages out;
  int number = 0;
  for (std::string_view line : split_lines(text)) {
    ++number;
    const std::string_view name = trim(line);
    if (name.empty()) continue;
    if (!package_name(name)) {
      out.issues.push_back(ParseIssue{number, "not a package name; skipped"});
      continue;
    }
    if (std::find(out.names.begin(), out.names.end(), name) == out.names.end()) out.names.emplace_back(name);
  }
  return out;
}

VIGIL_REGISTER_TABLE(reboot_required_table());

}  // namespace vigil::collectors
