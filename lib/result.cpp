#include "result.hpp"

namespace vigil {

const char* errc_name(Errc c) noexcept {
  switch (c) {
    case Errc::not_found:
      return "not_found";
    case Errc::not_regular:
      return "not_regular";
    case Errc::too_large:
      return "too_large";
    case Errc::escapes_root:
      return "escapes_root";
    case Errc::loop:
      return "loop";
    case Errc::parse:
      return "parse";
    case Errc::invalid:
      return "invalid";
    case Errc::io:
      return "io";
    case Errc::timeout:
      return "timeout";
    case Errc::sql:
      return "sql";
    case Errc::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace vigil
