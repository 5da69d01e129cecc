// The SQLite backend of Storage (store/storage.hpp). Concurrency: a small
// pool of connections to one WAL database file; a server thread borrows one
// per call, so readers run in parallel while every write transaction starts
// with BEGIN IMMEDIATE and SQLite serialises writers (a writer waits up to
// busy_timeout for the lock). Several vigil-store processes may share the
// file the same way. ":memory:" is refused: every pooled connection would
// see its own empty database.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sqlite.hpp"
#include "storage.hpp"

namespace vigil::store {

inline constexpr std::int64_t kStoreSchemaVersion = 3;

class SqliteStorage;

// A connection borrowed from the pool, returned when it goes out of scope.
class Lease {
 public:
  Lease(SqliteStorage& owner, sql::Database db) : owner_(&owner), db_(std::move(db)) {}
  Lease(Lease&& o) noexcept : owner_(o.owner_), db_(std::move(o.db_)) { o.owner_ = nullptr; }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  const sql::Database& db() const { return db_.value(); }

 private:
  SqliteStorage* owner_;
  std::optional<sql::Database> db_;
};

class SqliteStorage final : public Storage {
  struct Passkey {
    explicit Passkey() = default;
  };

 public:
  // Opens (creating when missing) and migrates the database.
  static Result<std::unique_ptr<SqliteStorage>> open(const std::string& path,
                                                     std::chrono::milliseconds busy_timeout);
  // For open() only (make_unique needs it public; the passkey keeps it so).
  SqliteStorage(Passkey, std::string path, std::chrono::milliseconds busy_timeout)
      : path_(std::move(path)), busy_timeout_(busy_timeout) {}

  Status create_token(const TokenRecord& token, const std::string& hash, const AuditEntry& audit) override;
  Result<std::optional<TokenRecord>> find_person_token(const std::string& hash, std::int64_t now_ms) override;
  Result<std::vector<TokenRecord>> list_tokens() override;
  Result<bool> revoke_token(const std::string& id, const AuditEntry& audit) override;

  Result<EnrollOutcome> enroll(const EnrollInput& in, const AuditEntry& audit) override;
  Result<bool> allow_rekey(const std::string& host_id, const AuditEntry& audit) override;
  Result<std::optional<HostRecord>> find_host(const std::string& host_id) override;
  Result<std::vector<HostRecord>> list_hosts() override;

  Result<std::vector<IngestOutcome>> ingest(const std::string& host_id, std::span<const IngestItem> items,
                                            std::int64_t now_ms) override;
  Result<ChainState> chain_state(const std::string& host_id) override;
  Result<std::vector<StoredResult>> latest_results(const std::string& host_id) override;
  Result<std::vector<StoredResult>> period_results(const std::string& host_id, std::int64_t from_ms,
                                                   std::int64_t to_ms) override;
  Result<std::vector<Transition>> drift(const DriftFilter& f) override;
  Result<std::vector<std::string>> envelopes(const std::string& host_id, std::int64_t from_ms,
                                             std::int64_t to_ms) override;
  Result<std::optional<std::string>> envelope(const std::string& host_id, std::int64_t epoch,
                                              std::int64_t sequence) override;

  Status create_waiver(const Waiver& w, const AuditEntry& audit) override;
  Result<std::vector<Waiver>> list_waivers() override;
  Result<bool> revoke_waiver(const std::string& id, const AuditEntry& audit) override;

  Status ping() override;
  Status append_audit(const AuditEntry& e) override;
  Result<std::vector<AuditRecord>> list_audit(std::int64_t since_ms, std::size_t limit) override;

 private:
  friend class Lease;
  Result<Lease> acquire();
  void release(sql::Database db);
  Result<sql::Database> connect() const;

  std::string path_;
  std::chrono::milliseconds busy_timeout_;
  std::mutex mu_;
  std::vector<sql::Database> idle_;  // at most kMaxIdle kept
};

// Schema migrations (sqlite_schema.cpp).
Status migrate_store(const sql::Database& db, const std::string& path);

}  // namespace vigil::store
