// Debian version ordering and syntax (deb-version(7)). Written from the
// manual page's description of the algorithm, not from dpkg's source.
#include "debversion.hpp"

#include <algorithm>

namespace vigil {

namespace {

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view strip(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Weight of one character of a non-digit run. The end of the run weighs 0,
// so '~' (negative) sorts even before it and everything else after it;
// letters sort before all other characters. Bytes are taken as unsigned.
int weight(std::string_view run, std::size_t i) noexcept {
  if (i >= run.size()) return 0;
  char c = run[i];
  if (c == '~') return -1;
  auto byte = static_cast<unsigned char>(c);
  return is_alpha(c) ? byte : byte + 256;
}

int compare_text_runs(std::string_view a, std::string_view b) noexcept {
  std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    int d = weight(a, i) - weight(b, i);
    if (d != 0) return d;
  }
  return 0;
}

// Numeric order of two digit runs of any length (an empty run is 0).
int compare_digit_runs(std::string_view a, std::string_view b) noexcept {
  a.remove_prefix(std::min(a.find_first_not_of('0'), a.size()));
  b.remove_prefix(std::min(b.find_first_not_of('0'), b.size()));
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Takes the leading run of characters for which pred(c) == digits.
std::string_view take_run(std::string_view& s, bool digits) noexcept {
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i]) == digits) ++i;
  std::string_view run = s.substr(0, i);
  s.remove_prefix(i);
  return run;
}

// One part (epoch, upstream or revision): alternating non-digit and digit
// runs, each pair compared in turn until one differs.
int compare_part(std::string_view a, std::string_view b) noexcept {
  while (!a.empty() || !b.empty()) {
    if (int c = compare_text_runs(take_run(a, false), take_run(b, false)); c != 0) return c;
    if (int c = compare_digit_runs(take_run(a, true), take_run(b, true)); c != 0) return c;
  }
  return 0;
}

struct Parts {
  std::string_view epoch;
  std::string_view upstream;
  std::string_view revision;
  bool has_epoch = false;
  bool has_revision = false;
};

Parts split_version(std::string_view v) noexcept {
  Parts p;
  if (std::size_t colon = v.find(':'); colon != std::string_view::npos) {
    p.epoch = v.substr(0, colon);
    p.has_epoch = true;
    v.remove_prefix(colon + 1);
  }
  if (std::size_t dash = v.rfind('-'); dash != std::string_view::npos) {
    p.revision = v.substr(dash + 1);
    p.has_revision = true;
    v = v.substr(0, dash);
  }
  p.upstream = v;
  return p;
}

DebVersionCheck refuse(std::string message) {
  return DebVersionCheck{DebVersionSyntax::error, std::move(message)};
}

}  // namespace

int deb_version_compare(std::string_view a, std::string_view b) noexcept {
  Parts pa = split_version(strip(a));
  Parts pb = split_version(strip(b));
  if (int c = compare_part(pa.epoch, pb.epoch); c != 0) return c;
  if (int c = compare_part(pa.upstream, pb.upstream); c != 0) return c;
  return compare_part(pa.revision, pb.revision);
}

DebVersionCheck deb_version_check(std::string_view v) {
  v = strip(v);
  if (v.empty()) return refuse("version string is empty");
  if (std::any_of(v.begin(), v.end(), is_space)) return refuse("version string has embedded spaces");
  Parts p = split_version(v);
  if (p.has_epoch) {
    if (p.epoch.empty()) return refuse("epoch in version is empty");
    if (!std::all_of(p.epoch.begin(), p.epoch.end(), is_digit))
      return refuse("epoch in version is not number");
    // dpkg keeps the epoch in an int.
    if (compare_digit_runs(p.epoch, "2147483647") > 0) return refuse("epoch in version is too big");
    if (p.upstream.empty() && !p.has_revision) return refuse("nothing after colon in version number");
  }
  if (p.has_revision && p.revision.empty()) return refuse("revision number is empty");
  if (p.upstream.empty()) return refuse("version number is empty");
  auto upstream_char = [](char c) {
    return is_digit(c) || is_alpha(c) || c == '.' || c == '+' || c == '~' || c == '-' || c == ':';
  };
  auto revision_char = [](char c) { return is_digit(c) || is_alpha(c) || c == '.' || c == '+' || c == '~'; };
  if (!std::all_of(p.upstream.begin(), p.upstream.end(), upstream_char)) {
    return refuse("invalid character in version number");
  }
  if (!std::all_of(p.revision.begin(), p.revision.end(), revision_char)) {
    return refuse("invalid character in revision number");
  }
  if (!is_digit(p.upstream.front())) {
    return DebVersionCheck{DebVersionSyntax::warning, "version number does not start with digit"};
  }
  return DebVersionCheck{};
}

bool deb_version_valid(std::string_view v) {
  return deb_version_check(v).syntax != DebVersionSyntax::error;
}

}  // namespace vigil
