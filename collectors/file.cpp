// The `file` table-valued function: type, mode, ownership, size and link
// target of one host path per call, as lstat(2) sees the last component.
// Owner and group names come from the host's own /etc/passwd and /etc/group,
// never from the scanning machine's NSS, because the root may be an image.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "accounts.hpp"
#include "collector.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

enum Col : std::size_t {
  kPath,
  kType,
  kMode,
  kModeInt,
  kUid,
  kGid,
  kOwner,
  kGroupName,
  kSize,
  kMtime,
  kLinkTarget,
  kNlink,
  kColumnCount
};

using IdNames = std::map<std::uint32_t, std::string>;

std::optional<std::string> read_db(CollectContext& ctx, const char* path) {
  auto r = ctx.host().read_file(path);
  if (r) return std::move(r->data);
  // Without the database a name is unknown (NULL); only a real failure is worth a warning.
  if (!r.is(Errc::not_found)) ctx.warn(path, r.error().message);
  return std::nullopt;
}

Value name_of(const IdNames& names, std::uint32_t id) {
  auto it = names.find(id);
  return it == names.end() ? null_value() : text_value(sanitize_utf8(it->second));
}

Status collect_file(CollectContext& ctx, std::vector<Row>& rows) {
  const auto& args = ctx.args();
  const std::string* arg = args.empty() ? nullptr : std::get_if<std::string>(&args.front());
  if (arg == nullptr) {
    return make_error(Errc::invalid, "file: the path argument must be text, e.g. file('/etc/shadow')");
  }
  const std::string& path = *arg;
  if (path.empty() || path.front() != '/') {
    return make_error(Errc::invalid, "file: path must be absolute: '" + path + "'");
  }

  Row row(kColumnCount, null_value());
  row[kPath] = text_value(path);

  auto st = ctx.host().stat(path, false);
  if (!st) {
    if (!st.is(Errc::not_found)) return std::move(st).error();
    row[kType] = text_value("absent");
    rows.push_back(std::move(row));
    return Status::success();
  }

  row[kType] = text_value(file_type_name(st->type));
  row[kMode] = text_value(mode_octal(st->mode));
  row[kModeInt] = int_value(static_cast<std::int64_t>(st->mode));
  row[kUid] = int_value(static_cast<std::int64_t>(st->uid));
  row[kGid] = int_value(static_cast<std::int64_t>(st->gid));
  row[kSize] = int_value(st->size);
  row[kMtime] = int_value(st->mtime);
  row[kNlink] = int_value(static_cast<std::int64_t>(st->nlink));

  if (auto text = read_db(ctx, "/etc/passwd")) {
    // glibc's files backend answers getpwuid/getgrgid with the first matching
    // line, so emplace (which keeps the first) mirrors what the host would say.
    IdNames users;
    for (const auto& e : parse_passwd(*text)) users.emplace(e.uid, e.name);
    row[kOwner] = name_of(users, st->uid);
  }
  if (auto text = read_db(ctx, "/etc/group")) {
    IdNames groups;
    for (const auto& e : parse_group(*text)) groups.emplace(e.gid, e.name);
    row[kGroupName] = name_of(groups, st->gid);
  }

  if (st->type == FileType::symlink) {
    auto target = ctx.host().read_link(path);
    if (target) {
      row[kLinkTarget] = text_value(sanitize_utf8(*target));
    } else {
      // Replaced between lstat and readlink: the rest of the row still holds.
      ctx.warn(path, target.error().message);
    }
  }
  rows.push_back(std::move(row));
  return Status::success();
}

TableDef file_table() {
  using T = ColumnType;
  std::vector<Column> cols(kColumnCount);
  cols[kPath] = {"path", T::text, "absolute path on the host (the argument: file('/etc/shadow'))", true};
  cols[kType] = {"type", T::text,
                 "regular, directory, symlink, char_device, block_device, fifo, socket, unknown, or absent "
                 "when nothing exists at the path"};
  cols[kMode] = {"mode", T::text, "permission and special bits in octal, e.g. '0640'; NULL if absent"};
  cols[kModeInt] = {"mode_int", T::integer, "the same bits as an integer, for bitwise tests (mode_int & 2)"};
  cols[kUid] = {"uid", T::integer, "owner user id"};
  cols[kGid] = {"gid", T::integer, "owner group id"};
  cols[kOwner] = {"owner", T::text, "user name of uid in the host's /etc/passwd; NULL when no such user"};
  cols[kGroupName] = {"group_name", T::text,
                      "group name of gid in the host's /etc/group; NULL when no such group"};
  cols[kSize] = {"size", T::integer, "size in bytes (of the link itself for a symlink)"};
  cols[kMtime] = {"mtime", T::integer, "last modification, seconds since the epoch"};
  cols[kLinkTarget] = {"link_target", T::text, "target of a symlink as written in it; NULL otherwise"};
  cols[kNlink] = {"nlink", T::integer, "number of hard links"};
  return TableDef{
      "file",
      "One row per path: what exists there, seen like lstat(2) (a symlink is reported as a symlink; "
      "symlinks on the way are followed inside the host root). A missing path is a row of type 'absent'.",
      std::move(cols),
      collect_file,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(file_table());

}  // namespace vigil::collectors
