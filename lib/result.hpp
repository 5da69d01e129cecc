// Errors as values: Result<T> carries either a value or an Error, so no
// exception crosses a module boundary (see docs/architecture.md).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace vigil {

// Broad classes of failure. Callers branch on the code (a missing file is a
// fact, a refused symlink is an error); the message is for people.
enum class Errc {
  not_found,     // the thing does not exist (a fact for collectors, not a failure)
  not_regular,   // exists but is not a regular file (device, fifo, directory...)
  too_large,     // over a size cap
  escapes_root,  // a path that cannot be resolved inside the host root
  loop,          // symlink or include loop / depth exceeded
  parse,         // malformed input
  invalid,       // invalid argument or configuration
  io,            // operating system error
  timeout,       // a deadline passed
  sql,           // SQLite error
  internal,      // a bug or an unexpected exception
};

const char* errc_name(Errc c) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message;
};

inline Error make_error(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

  bool is(Errc code) const noexcept { return !ok() && std::get<1>(v_).code == code; }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status success() { return Status(); }

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace vigil
