// Tests of the incremental Packages index scan: whatever the pieces the text
// comes in, the entries and issues are those of the whole text at once.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "apt.hpp"
#include "apt_internal.hpp"

using namespace vigil::collectors;

namespace {

// An entry or an issue, as one comparable line.
struct Seen {
  std::vector<std::string> entries, issues;
  std::size_t most_carried = 0;
  bool operator==(const Seen& o) const { return entries == o.entries && issues == o.issues; }
};

std::string show(const Seen& s) {
  std::string out;
  for (const auto& e : s.entries) out += "  entry " + e + "\n";
  for (const auto& i : s.issues) out += "  issue " + i + "\n";
  return out;
}

// Feeds text in the given pieces (their sizes; the rest of the text last).
Seen scan_pieces(std::string_view text, const std::vector<std::size_t>& sizes,
                 std::size_t max_paragraph = kMaxPackagesParagraph) {
  Seen s;
  std::vector<ParseIssue> issues;
  PackagesIndexScanner scanner(
      [&](const PackageIndexEntry& e) {
        s.entries.push_back(std::to_string(e.line) + " [" + std::string(e.name) + "] [" +
                            std::string(e.version) + "] [" + std::string(e.architecture) + "]");
      },
      &issues, max_paragraph);
  std::size_t at = 0;
  for (std::size_t n : sizes) {
    n = std::min(n, text.size() - at);
    scanner.feed(text.substr(at, n));
    s.most_carried = std::max(s.most_carried, scanner.carried());
    at += n;
  }
  scanner.feed(text.substr(at));
  s.most_carried = std::max(s.most_carried, scanner.carried());
  scanner.finish();
  for (const auto& i : issues) s.issues.push_back(std::to_string(i.line) + " " + i.message);
  return s;
}

Seen scan_steps(std::string_view text, std::size_t step, std::size_t max_paragraph = kMaxPackagesParagraph) {
  return scan_pieces(text, std::vector<std::size_t>(text.size() / step + 1, step), max_paragraph);
}

// The reading rules as the generic deb822 reader (read_paragraphs) applies
// them, over the whole text: what the scanner's own line loop must match.
Seen reference(std::string_view text) {
  Seen s;
  std::vector<ParseIssue> issues;
  PackageIndexEntry e;
  bool has_package = false, has_version = false;
  apt_detail::read_paragraphs(
      text, false,
      [&](const apt_detail::Field& f) {
        if (vigil::iequals(f.name, "Package")) {
          e.name = f.value;
          has_package = true;
        } else if (vigil::iequals(f.name, "Version")) {
          e.version = f.value;
          has_version = true;
        } else if (vigil::iequals(f.name, "Architecture")) {
          e.architecture = f.value;
        }
      },
      [&](int line) {
        if (!has_package || e.name.empty() || !has_version || e.version.empty()) {
          apt_detail::add_issue(&issues, line, "paragraph without Package or Version; skipped");
        } else {
          s.entries.push_back(std::to_string(line) + " [" + std::string(e.name) + "] [" +
                              std::string(e.version) + "] [" + std::string(e.architecture) + "]");
        }
        e = PackageIndexEntry{};
        has_package = has_version = false;
      },
      &issues);
  for (const auto& i : issues) s.issues.push_back(std::to_string(i.line) + " " + i.message);
  return s;
}

// Every oddity the reader knows of, in a short text.
const std::string kOdd =
    "\n \t\n"                                                    // blank lines before anything
    " continuation first\n"                                      // 3: before any field
    "Package: a\r\nVersion: 1.0\r\nArchitecture: amd64\r\n\r\n"  // 4: CRLF
    "package:b\nVERSION :  2.0  \nDescription: d\n more\n .\n"   // 8: any case, spaces around
    "Version: 2.1\n"                                             // a later Version wins
    "   \t \n"                                                   // a blank line of spaces
    "Package: c\nVersion: 3.0\n  +multi\narchitecture: all\n"    // 15: a value on two lines
    "no colon here\n"                                            // 19: neither field nor continuation
    "\n\n\n"
    "Package: noversion\nArchitecture: amd64\n\n"  // 23: skipped
    ": no name\nVersion: 4\n\n"                    // 26: neither, then no Package
    "\rPackage: cr\nVersion: 5\n\n"                // 29: a leading CR is trimmed from the name
    "Package: last\nVersion: 6";                   // 32: no newline at the end

}  // namespace

TEST_CASE("PackagesIndexScanner reads the odd text as the rules say", "[apt]") {
  const Seen whole = scan_pieces(kOdd, {});
  const std::vector<std::string> entries{
      "4 [a] [1.0] [amd64]", "8 [b] [2.1] []",   "15 [c] [3.0\n  +multi] [all]",
      "29 [cr] [5] []",      "32 [last] [6] []",
  };
  CHECK(whole.entries == entries);
  const std::vector<std::string> issues{
      "3 continuation line before any field; ignored",
      "19 line is neither a field nor a continuation; ignored",
      "23 paragraph without Package or Version; skipped",
      "26 line is neither a field nor a continuation; ignored",
      "26 paragraph without Package or Version; skipped",
  };
  CHECK(whole.issues == issues);
  CHECK(whole.most_carried < kOdd.size());
}

TEST_CASE("PackagesIndexScanner gives the same result whatever the pieces", "[apt]") {
  const Seen whole = scan_pieces(kOdd, {});
  for (std::size_t step : std::vector<std::size_t>{1, 2, 3, 5, 7, 16, 64}) {
    INFO("pieces of " << step << " bytes");
    const Seen got = scan_steps(kOdd, step);
    INFO(show(got));
    CHECK(got == whole);
  }
  // Two pieces, cut at every byte; three, cut around every byte.
  for (std::size_t cut = 0; cut <= kOdd.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(scan_pieces(kOdd, {cut}) == whole);
    CHECK(scan_pieces(kOdd, {cut, 1, 0, 2}) == whole);
  }
}

TEST_CASE("PackagesIndexScanner skips a paragraph over the limit and holds no more", "[apt]") {
  const std::size_t limit = 64;
  // Units (a paragraph and its blank line) of 63, 64, 65 and 200 bytes, then a normal one.
  auto unit = [](const char* name, std::size_t size) {
    std::string p = std::string("Package: ") + name + "\nVersion: 1\nX: ";
    p += std::string(size - p.size() - 2, 'x') + "\n\n";
    REQUIRE(p.size() == size);
    return p;
  };
  const std::string text = unit("under", 63) + unit("exact", 64) + unit("over", 65) + unit("huge", 200) +
                           "Package: after\nVersion: 2\nBad line\n";
  const Seen whole = scan_pieces(text, {}, limit);
  const std::vector<std::string> entries{"1 [under] [1] []", "5 [exact] [1] []", "17 [after] [2] []"};
  CHECK(whole.entries == entries);
  const std::vector<std::string> issues{
      "9 paragraph of more than 64 bytes; skipped", "13 paragraph of more than 64 bytes; skipped",
      "19 line is neither a field nor a continuation; ignored",  // line numbers go on after them
  };
  CHECK(whole.issues == issues);
  for (std::size_t step : std::vector<std::size_t>{1, 3, 10, 63, 64, 65, 130}) {
    INFO("pieces of " << step << " bytes");
    const Seen got = scan_steps(text, step, limit);
    INFO(show(got));
    CHECK(got == whole);
    CHECK(got.most_carried <= limit);
  }
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    INFO("cut at " << cut);
    const Seen got = scan_pieces(text, {cut, 5}, limit);
    CHECK(got == whole);
    CHECK(got.most_carried <= limit);
  }
  // The last paragraph over the limit, without a blank line after it.
  const Seen tail = scan_steps("Package: a\nVersion: 1\n\n" + unit("big", 100).substr(0, 99), 7, limit);
  CHECK(tail.entries == std::vector<std::string>{"1 [a] [1] []"});
  CHECK(tail.issues == std::vector<std::string>{"4 paragraph of more than 64 bytes; skipped"});
}

TEST_CASE("PackagesIndexScanner reads a large index in place", "[apt]") {
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    text += "Package: p" + std::to_string(i) + "\nVersion: 1." + std::to_string(i) +
            "\nArchitecture: amd64\nDescription: something\n\n";
  }
  const Seen whole = scan_pieces(text, {});
  REQUIRE(whole.entries.size() == 20000);
  CHECK(whole.entries.back() == "99996 [p19999] [1.19999] [amd64]");
  CHECK(whole.issues.empty());
  const Seen pieces = scan_steps(text, 4093);
  CHECK(pieces == whole);
  CHECK(pieces.most_carried < 100);  // only the paragraph a piece cuts
}

TEST_CASE("PackagesIndexScanner reads random text as read_paragraphs does", "[apt]") {
  const std::vector<std::string> tokens{
      "Package", "Version", "Architecture", "pACKAGE", "version", "Description", ":",    ": ",
      " ",       "\t",      "\r",           "\n",      "\n",      "\n\n",        "\r\n", " \n",
      "x",       "1.0",     "amd64",        ".",       "\f"};
  std::uint32_t state = 12345;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;  // an LCG: the same texts on every run
    return state >> 8;
  };
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const std::uint32_t length = next() % 120;
    for (std::uint32_t i = 0; i < length; ++i) text += tokens[next() % tokens.size()];
    INFO("text: " << text);
    const Seen expected = reference(text);
    CHECK(scan_pieces(text, {}) == expected);
    CHECK(scan_pieces(text, {next() % (text.size() + 1), next() % 9, 1}) == expected);
    CHECK(scan_steps(text, 1 + next() % 5) == expected);
  }
}
