// Pure parsers behind the `time_sync` table (time_sync.cpp), so tests can
// feed them strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil::collectors {

// One directive line of chrony.conf or ntp.conf.
struct TimeConfLine {
  std::string directive;          // lower case (chrony compares directives case-insensitively)
  std::vector<std::string> args;  // the words after it
  int line = 0;
};

// chrony 4.3 conf.c: a line whose first non-blank character is one of
// "!;#%" is a comment; words are separated by blanks; '\r' of a CRLF file is
// a blank.
std::vector<TimeConfLine> parse_chrony_conf(std::string_view text);

// ntpd/ntpsec ntp.conf: '#' starts a comment anywhere; words separated by blanks.
std::vector<TimeConfLine> parse_ntp_conf(std::string_view text);

// Whether a server/pool/peer option list holds `option` (compared
// case-insensitively, as chrony and ntpsec do).
bool has_time_option(const std::vector<std::string>& args, std::string_view option);

}  // namespace vigil::collectors
