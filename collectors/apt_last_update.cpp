// The `apt_last_update` table: when APT's package lists were last updated.
//
// No single file says so. apt sets a downloaded file's mtime to the server's
// Last-Modified, and an unchanged file (an If-Modified-Since hit) keeps its
// old one, so a list's mtime is a lower bound of the last fetch, not the
// fetch. Every source here is such a lower bound: the newest Date a
// repository signed into a Release file we hold (it cannot have been fetched
// before it was signed), the mtime of the lists directory (apt renames new
// files into it), the newest Release file mtime, and the stamps that
// apt.systemd.daily and update-notifier-common touch after an update. The
// newest of them is `last_update`, so its age can only be over-estimated:
// a check over it can fail a fresh host, never pass a stale one.
#include <optional>
#include <string>

#include "apt.hpp"
#include "apt_internal.hpp"
#include "collector.hpp"

namespace vigil::collectors {

using namespace apt_detail;

namespace {

constexpr std::string_view kSuccessStamp = "/var/lib/apt/periodic/update-success-stamp";
constexpr std::string_view kUpdateStamp = "/var/lib/apt/periodic/update-stamp";

std::optional<std::int64_t> mtime_of(CollectContext& ctx, std::string_view path) {
  auto st = ctx.host().stat(path, true);
  if (st) return st->mtime;
  if (!st.is(Errc::not_found)) ctx.warn(std::string(path), st.error().message);
  return std::nullopt;
}

Value opt_int(const std::optional<std::int64_t>& v) {
  return v ? int_value(*v) : null_value();
}

Status collect_last_update(CollectContext& ctx, std::vector<Row>& rows) {
  std::optional<std::int64_t> newest_date, newest_mtime;
  std::string date_file;
  for (const auto& r : load_releases(ctx)) {
    if (r.problem) continue;
    if (r.mtime && (!newest_mtime || *r.mtime > *newest_mtime)) newest_mtime = r.mtime;
    const auto date = r.release.date ? parse_release_date(*r.release.date) : std::nullopt;
    if (date && (!newest_date || *date > *newest_date)) {
      newest_date = date;
      date_file = r.file;
    }
  }
  const auto dir = mtime_of(ctx, kListsDir.substr(0, kListsDir.size() - 1));
  const auto success = mtime_of(ctx, kSuccessStamp);
  const auto update = mtime_of(ctx, kUpdateStamp);

  std::optional<std::int64_t> last;
  std::string source;
  const auto consider = [&](const std::optional<std::int64_t>& t, std::string what) {
    if (t && (!last || *t > *last)) {
      last = t;
      source = std::move(what);
    }
  };
  consider(newest_date, "Date of " + date_file);
  consider(newest_mtime, "Release file mtime");
  consider(dir, "mtime of /var/lib/apt/lists");
  consider(success, std::string(kSuccessStamp));
  consider(update, std::string(kUpdateStamp));
  rows.push_back(Row{opt_int(last), last ? text_value(source) : null_value(), opt_int(newest_date),
                     newest_date ? text_value(date_file) : null_value(), opt_int(newest_mtime), opt_int(dir),
                     opt_int(success), opt_int(update)});
  return Status::success();
}

TableDef last_update_table() {
  using T = ColumnType;
  return TableDef{
      "apt_last_update",
      "One row: when the APT package lists were last updated, as the newest of several lower bounds (apt "
      "gives a downloaded file the server's Last-Modified time, so no single mtime is the fetch time): the "
      "newest Release Date, the newest Release file mtime, the mtime of /var/lib/apt/lists, and the "
      "update-success-stamp / update-stamp of /var/lib/apt/periodic. The age is never under-estimated.",
      {
          {"last_update", T::integer,
           "seconds since the epoch: the newest of the other columns; NULL when there is no evidence at all"},
          {"source", T::text, "which evidence gave last_update"},
          {"newest_release_date", T::integer, "the newest Date of a usable Release or InRelease file"},
          {"newest_release_file", T::text, "the file holding that Date"},
          {"newest_release_mtime", T::integer, "the newest mtime of a usable Release or InRelease file"},
          {"lists_dir_mtime", T::integer, "mtime of /var/lib/apt/lists (apt renames fetched files into it)"},
          {"success_stamp_mtime", T::integer,
           "mtime of /var/lib/apt/periodic/update-success-stamp (touched after a successful update where "
           "update-notifier-common is installed); NULL when absent"},
          {"update_stamp_mtime", T::integer,
           "mtime of /var/lib/apt/periodic/update-stamp (apt.systemd.daily's daily update); NULL when "
           "absent"},
      },
      collect_last_update,
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(last_update_table());

}  // namespace vigil::collectors
