// The `kernel` table: which kernel runs (/proc/sys/kernel/osrelease, and the
// build in /proc/version) and which kernel image packages dpkg has installed
// (/var/lib/dpkg/status, through deb_packages' parser), with /boot/vmlinuz-*
// as evidence that an image is really there. In a container both /proc files
// describe the host's kernel, which no package of the container installs:
// that shows as a running row with no package, a fact for policies to weigh.
#include "kernel.hpp"

#include <algorithm>
#include <exception>

#include "collector.hpp"
#include "debversion.hpp"
#include "host.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

// The same file and cap as the deb_packages table.
constexpr std::string_view kStatusFile = "/var/lib/dpkg/status";
constexpr std::size_t kStatusCap = 64u * 1024u * 1024u;
constexpr std::size_t kProcCap = 64u * 1024u;
constexpr std::size_t kMaxWarnings = 20;

bool starts_with(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
bool digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Characters of a kernel release (uname -r); anything else is not one, and
// never goes into a /boot path.
bool release_text(std::string_view s) {
  return !s.empty() && digit(s.front()) && std::all_of(s.begin(), s.end(), [](char c) {
    return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '+' ||
           c == '_' || c == '~';
  });
}

std::optional<std::string> first_line(CollectContext& ctx, std::string_view path) {
  auto f = ctx.read_optional(path, kProcCap);
  if (!f) return std::nullopt;
  auto lines = split_lines(*f);
  if (lines.empty() || trim(lines.front()).empty()) return std::nullopt;
  return std::string(trim(lines.front()));
}

Value opt_text(const std::optional<std::string>& v) {
  return v ? text_value(sanitize_utf8(*v)) : null_value();
}

Status collect(CollectContext& ctx, std::vector<Row>& rows) {
  const Host& host = ctx.host();
  std::optional<std::string> running = first_line(ctx, kOsReleasePath);
  ProcVersion pv;
  if (auto text = first_line(ctx, kProcVersionPath)) pv = parse_proc_version(*text);
  if (!running) running = pv.release;
  if (!running)
    ctx.warn(std::string(kOsReleasePath), "absent (no /proc under this root): the running kernel is unknown");
  if (running && pv.release && *pv.release != *running) {
    ctx.warn(std::string(kProcVersionPath), "names release " + sanitize_utf8(*pv.release) + ", osrelease " +
                                                sanitize_utf8(*running) + "; the build version is not used");
    pv.debian_version.reset();
  }

  std::vector<DebPackage> packages;
  auto status = host.read_file(kStatusFile, ReadOptions{.max_bytes = kStatusCap});
  if (status) {
    std::vector<ParseIssue> issues;
    packages = parse_dpkg_status(status->data, &issues);
    for (std::size_t i = 0; i < issues.size() && i < kMaxWarnings; ++i) {
      ctx.warn(std::string(kStatusFile) + ":" + std::to_string(issues[i].line), issues[i].message);
    }
  } else if (status.is(Errc::not_found)) {
    ctx.warn(std::string(kStatusFile), "file absent: no dpkg database, so no kernel packages");
  } else {
    return make_error(status.error().code, std::string(kStatusFile) + ": " + status.error().message);
  }

  auto vmlinuz = [&host](const std::string& release) {
    if (!release_text(release)) return false;
    auto st = host.stat("/boot/vmlinuz-" + release, true);
    return st && st->type == FileType::regular;
  };
  for (const auto& k : kernel_rows(packages, running, pv.debian_version, vmlinuz)) {
    const bool from_dpkg = k.package.has_value();
    rows.push_back(
        Row{text_value(sanitize_utf8(k.release)), opt_text(kernel_flavour(k.release)), opt_text(k.package),
            opt_text(k.version), k.running ? bool_value(*k.running) : null_value(), bool_value(k.newest),
            bool_value(k.vmlinuz_present), opt_text(k.running_version),
            text_value(from_dpkg ? kStatusFile : kOsReleasePath), int_value(from_dpkg ? k.line : 1)});
  }
  return Status::success();
}

TableDef kernel_table() {
  using T = ColumnType;
  return TableDef{
      "kernel",
      "One row per installed kernel image package (dpkg state 'installed', held included; meta packages "
      "such as linux-image-amd64 and -dbg packages excluded), plus a row for the running kernel when no "
      "package installs its release (a custom kernel, or a container, whose /proc shows the host's kernel). "
      "No dpkg database: only the running row, and a warning. No /proc: running is NULL.",
      {
          {"release", T::text, "kernel release (uname -r): 6.1.0-13-amd64"},
          {"flavour", T::text,
           "the release after <x.y.z>-<abi>-: amd64, cloud-amd64, rt-amd64, generic; NULL "
           "when the release has another form"},
          {"package", T::text,
           "linux-image-<release>[-unsigned] (Ubuntu: linux-image[-unsigned]-<release>); "
           "NULL for the running kernel when no package installs it"},
          {"version", T::text,
           "the package Version (compare with deb_version_cmp); NULL when package is NULL"},
          {"running", T::integer,
           "1 when release is /proc/sys/kernel/osrelease (else the release in /proc/version); NULL when "
           "neither exists under the root"},
          {"newest", T::integer,
           "1 for the installed package with the greatest Version in dpkg's order (ties: the greater "
           "release), "
           "across all flavours; 0 for the running-only row"},
          {"vmlinuz_present", T::integer, "1 when /boot/vmlinuz-<release> is a regular file"},
          {"running_version", T::text,
           "on running rows of a Debian kernel: the package version the running build came from, as "
           "/proc/version names it ('Debian 6.1.55-1'); when it differs from version, the package was "
           "upgraded in place (same ABI) and the new build is not running. NULL otherwise"},
          {"file", T::text, "/var/lib/dpkg/status, or /proc/sys/kernel/osrelease for the running-only row"},
          {"line", T::integer, "line of the package's stanza; 1 for the running-only row"},
      },
      collect,
  };
}

}  // namespace

std::optional<std::string> kernel_image_release(std::string_view package) {
  constexpr std::string_view kPrefix = "linux-image-";
  if (!starts_with(package, kPrefix)) return std::nullopt;
  std::string_view release = package.substr(kPrefix.size());
  if (ends_with(release, "-dbg") || ends_with(release, "-dbgsym")) return std::nullopt;
  if (starts_with(release, "unsigned-")) release.remove_prefix(9);
  if (ends_with(release, "-unsigned")) release.remove_suffix(9);
  if (!release_text(release)) return std::nullopt;
  return std::string(release);
}

std::optional<std::string> kernel_flavour(std::string_view release) {
  // <digits>.<digits>.<digits>-<abi digits>-<flavour>
  std::size_t i = 0;
  for (int part = 0; part < 3; ++part) {
    const std::size_t start = i;
    while (i < release.size() && digit(release[i])) ++i;
    if (i == start) return std::nullopt;
    const char sep = part < 2 ? '.' : '-';
    if (i >= release.size() || release[i] != sep) return std::nullopt;
    ++i;
  }
  const std::size_t abi = i;
  while (i < release.size() && digit(release[i])) ++i;
  if (i == abi || i >= release.size() || release[i] != '-' || i + 1 == release.size()) return std::nullopt;
  return std::string(release.substr(i + 1));
}

ProcVersion parse_proc_version(std::string_view text) {
  ProcVersion out;
  text = trim(text.substr(0, text.find('\n')));
  constexpr std::string_view kLead = "Linux version ";
  if (!starts_with(text, kLead)) return out;
  std::string_view rest = text.substr(kLead.size());
  const std::string_view release = rest.substr(0, rest.find(' '));
  if (release_text(release)) out.release = std::string(release);
  // After the build number: the compiler part before it names Debian's gcc too.
  const auto hash = rest.rfind('#');
  if (hash == std::string_view::npos) return out;
  std::string_view build = rest.substr(hash);
  constexpr std::string_view kDebian = " Debian ";
  const auto at = build.find(kDebian);
  if (at == std::string_view::npos) return out;
  build = build.substr(at + kDebian.size());
  const std::string_view version = build.substr(0, build.find(' '));
  if (!version.empty() && deb_version_valid(version)) out.debian_version = std::string(version);
  return out;
}

std::vector<KernelRow> kernel_rows(const std::vector<DebPackage>& packages,
                                   const std::optional<std::string>& running_release,
                                   const std::optional<std::string>& running_version,
                                   const std::function<bool(const std::string& release)>& vmlinuz_present) {
  std::vector<KernelRow> out;
  for (const auto& p : packages) {
    if (!p.state || !dpkg_state_installed(*p.state)) continue;
    auto release = kernel_image_release(p.name);
    if (!release) continue;
    KernelRow k;
    k.release = std::move(*release);
    k.package = p.name;
    k.version = p.version;
    k.line = p.line;
    out.push_back(std::move(k));
  }
  // The greatest (version, release) in dpkg's order.
  auto less = [](const KernelRow& a, const KernelRow& b) {
    const int v = vigil::deb_version_compare(a.version.value_or(""), b.version.value_or(""));
    return v != 0 ? v < 0 : vigil::deb_version_compare(a.release, b.release) < 0;
  };
  const auto best = std::max_element(out.begin(), out.end(), less);
  if (best != out.end()) {
    const KernelRow top = *best;
    for (auto& k : out) k.newest = !less(k, top) && !less(top, k);
  }
  bool matched = false;
  for (auto& k : out) {
    if (running_release) k.running = k.release == *running_release;
    matched = matched || k.running.value_or(false);
  }
  if (running_release && !matched) {
    KernelRow k;
    k.release = *running_release;
    k.running = true;
    out.push_back(std::move(k));
  }
  for (auto& k : out) {
    k.vmlinuz_present = vmlinuz_present(k.release);
    if (k.running.value_or(false)) k.running_version = running_version;
  }
  return out;
}

VIGIL_REGISTER_TABLE(kernel_table());

}  // namespace vigil::collectors
