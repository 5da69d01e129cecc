// vigil-store's API: every endpoint of docs/store-api.md behind one
// Handler-shaped call. The server (store/server) parses and limits the
// request and calls handle() on a pool thread; handle() never throws and
// keeps no state of its own (everything is in Storage), so any number of
// threads and replicas may call it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "config.hpp"
#include "http.hpp"
#include "result.hpp"
#include "storage.hpp"

namespace vigil::store {

class Api {
  struct Passkey {
    explicit Passkey() = default;
  };

 public:
  using Clock = std::function<std::int64_t()>;  // Unix time in milliseconds

  // Opens the configured database (migrating it) with the system clock.
  static Result<std::unique_ptr<Api>> open(const StoreConfig& config);
  // Over a storage and a clock of the caller's (tests).
  static std::unique_ptr<Api> with_storage(std::unique_ptr<Storage> storage, Clock clock);

  // For the factories only (make_unique needs it public; the passkey keeps it so).
  Api(Passkey, std::unique_ptr<Storage> storage, Clock clock)
      : storage_(std::move(storage)), clock_(std::move(clock)) {}

  Response handle(const Request& req);
  Storage& storage() noexcept { return *storage_; }

 private:
  Response dispatch(const Request& req);
  std::unique_ptr<Storage> storage_;
  Clock clock_;
};

// Opens the storage that config.database names (only "sqlite" so far).
Result<std::unique_ptr<Storage>> open_storage(const DatabaseConfig& db);
// The system clock in Unix milliseconds.
std::int64_t system_now_ms();

}  // namespace vigil::store
