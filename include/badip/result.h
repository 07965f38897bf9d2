#pragma once
// An expected-style result for everything that touches the OS or libbpf:
// either a value or an Error carrying the errno and what was being done.
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace badip {

struct Error {
  int code = 0;         // errno value (positive), 0 when not an OS error
  std::string context;  // what failed, e.g. "attach tracepoint sock:inet_sock_set_state"

  std::string message() const {
    if (code == 0) return context;
    return context + ": " + std::strerror(code);
  }
  static Error from_errno(std::string context) { return Error{errno, std::move(context)}; }
  // libbpf returns -errno (or NULL with errno set); normalise both here.
  static Error from_libbpf(int rc, std::string context) {
    return Error{rc < 0 ? -rc : (rc > 0 ? rc : errno), std::move(context)};
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), ok_(false) {}
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace badip
