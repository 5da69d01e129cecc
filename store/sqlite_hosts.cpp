// SqliteStorage: enrollment (the token check, its use and the host row in one
// transaction), re-key permission, host reads.
#include "sqlite_storage.hpp"
#include "sqlite_util.hpp"

namespace vigil::store {

using namespace sqlite;

namespace {

constexpr const char* kHostColumns =
    "SELECT id, identity, public_key_pem, key_id, facts, scope, enrolled_at_ms, rekey_allowed, epoch,"
    " last_seen_ms, last_scan_ms FROM hosts ";

HostRecord host_from_row(const sql::Statement& s) {
  HostRecord h;
  h.id = s.column_text(0);
  h.identity = s.column_text(1);
  h.public_key_pem = s.column_text(2);
  h.key_id = s.column_text(3);
  h.facts_json = s.column_text(4);
  h.scope = scope_from_json(s.column_text(5));
  h.enrolled_at_ms = s.column_int(6);
  h.rekey_allowed = s.column_int(7) != 0;
  h.epoch = s.column_int(8);
  h.last_seen_ms = opt_int(s, 9);
  h.last_scan_ms = opt_int(s, 10);
  return h;
}

Result<std::optional<HostRecord>> host_where(const sql::Database& db, const char* where, std::string_view v) {
  auto st = query(db, std::string(kHostColumns) + where, {v});
  if (!st) return std::move(st).error();
  if (st->step()) return std::optional<HostRecord>(host_from_row(*st));
  if (!st->succeeded()) return step_error(db, "hosts");
  return std::optional<HostRecord>();
}

struct EnrollToken {
  std::string id, name;
  bool usable = false;  // not expired, uses left
  std::string why;      // when not usable
};

// The enrollment token with this hash that is not revoked, or nullopt.
Result<std::optional<EnrollToken>> find_enroll_token(const sql::Database& db, const std::string& hash,
                                                     std::int64_t now_ms) {
  auto st = query(db,
                  "SELECT id, name, expires_at_ms, max_uses, uses FROM tokens"
                  " WHERE hash = ?1 AND role = 'enroll' AND revoked_at_ms IS NULL",
                  {std::string_view(hash)});
  if (!st) return std::move(st).error();
  if (!st->step()) {
    if (!st->succeeded()) return step_error(db, "tokens");
    return std::optional<EnrollToken>();
  }
  EnrollToken t{st->column_text(0), st->column_text(1), true, ""};
  auto expires = opt_int(*st, 2);
  auto max_uses = opt_int(*st, 3);
  if (expires && *expires <= now_ms)
    t = EnrollToken{t.id, t.name, false, "enrollment token expired"};
  else if (max_uses && st->column_int(4) >= *max_uses)
    t = EnrollToken{t.id, t.name, false, "enrollment token used up"};
  return std::optional<EnrollToken>(std::move(t));
}

Status take_use(const sql::Database& db, const std::string& token_id) {
  return run(db, "UPDATE tokens SET uses = uses + 1 WHERE id = ?1", {std::string_view(token_id)});
}

AuditEntry with(AuditEntry a, std::string action, std::string target, std::string detail) {
  a.action = std::move(action);
  a.target = std::move(target);
  a.detail = std::move(detail);
  return a;
}

Result<EnrollOutcome> enroll_in_tx(const sql::Database& db, const EnrollInput& in, const AuditEntry& audit) {
  auto token = find_enroll_token(db, in.token_hash, in.now_ms);
  if (!token) return std::move(token).error();
  if (!*token) return EnrollOutcome{EnrollStatus::bad_token, {}, "unknown or revoked enrollment token"};
  auto host = host_where(db, "WHERE identity = ?1", in.identity);
  if (!host) return std::move(host).error();
  // The same host and key again (a retried enrollment): no use is taken, so
  // an agent whose answer was lost can retry with a one-time token.
  if (*host && (*host)->key_id == in.key_id) return EnrollOutcome{EnrollStatus::unchanged, **host, ""};
  if (!(*token)->usable) return EnrollOutcome{EnrollStatus::bad_token, {}, (*token)->why};
  AuditEntry a = audit;
  a.actor = Actor{"enroll", (*token)->id, (*token)->name, "enroll"};
  if (*host) {
    if (!(*host)->rekey_allowed)
      return EnrollOutcome{EnrollStatus::conflict,
                           {},
                           "host '" + in.identity + "' is enrolled with another key (" + (*host)->key_id +
                               "); an admin must allow re-enrollment (vigil-store host allow-rekey " +
                               (*host)->id + ")"};
    Status s = run(db,
                   "UPDATE hosts SET public_key_pem = ?2, key_id = ?3, facts = ?4, rekey_allowed = 0,"
                   " epoch = epoch + 1 WHERE id = ?1",
                   {std::string_view((*host)->id), std::string_view(in.public_key_pem),
                    std::string_view(in.key_id), std::string_view(in.facts_json)});
    if (s) s = take_use(db, (*token)->id);
    if (s)
      s = insert_audit(db, with(a, "host.rekey", (*host)->id, "key " + (*host)->key_id + " -> " + in.key_id));
    if (!s) return s.error();
    auto after = host_where(db, "WHERE id = ?1", (*host)->id);
    if (!after) return std::move(after).error();
    return EnrollOutcome{EnrollStatus::rekeyed, **after, ""};
  }
  Status s = run(db,
                 "INSERT INTO hosts (id, identity, public_key_pem, key_id, facts, scope, enrolled_at_ms)"
                 " VALUES (?1,?2,?3,?4,?5,?6,?7)",
                 {std::string_view(in.new_host_id), std::string_view(in.identity),
                  std::string_view(in.public_key_pem), std::string_view(in.key_id),
                  std::string_view(in.facts_json), std::string_view(scope_to_json(in.scope)), in.now_ms});
  if (s) s = take_use(db, (*token)->id);
  if (s)
    s = insert_audit(db,
                     with(a, "host.enroll", in.new_host_id, "identity " + in.identity + " key " + in.key_id));
  if (!s) return s.error();
  auto after = host_where(db, "WHERE id = ?1", in.new_host_id);
  if (!after) return std::move(after).error();
  return EnrollOutcome{EnrollStatus::created, **after, ""};
}

}  // namespace

Result<EnrollOutcome> SqliteStorage::enroll(const EnrollInput& in, const AuditEntry& audit) {
  auto lease = acquire();
  if (!lease) return lease.error();
  const auto& db = lease->db();
  return in_write_tx(db, [&] { return enroll_in_tx(db, in, audit); });
}

Result<bool> SqliteStorage::allow_rekey(const std::string& host_id, const AuditEntry& audit) {
  auto lease = acquire();
  if (!lease) return lease.error();
  const auto& db = lease->db();
  return in_write_tx(db, [&]() -> Result<bool> {
    Status s = run(db, "UPDATE hosts SET rekey_allowed = 1 WHERE id = ?1", {std::string_view(host_id)});
    if (!s) return s.error();
    if (db.changes() == 0) return false;
    if (auto a = insert_audit(db, audit); !a) return a.error();
    return true;
  });
}

Result<std::optional<HostRecord>> SqliteStorage::find_host(const std::string& host_id) {
  auto lease = acquire();
  if (!lease) return lease.error();
  return host_where(lease->db(), "WHERE id = ?1", host_id);
}

Result<std::vector<HostRecord>> SqliteStorage::list_hosts() {
  auto lease = acquire();
  if (!lease) return lease.error();
  auto st = query(lease->db(), std::string(kHostColumns) + "ORDER BY identity");
  if (!st) return std::move(st).error();
  std::vector<HostRecord> out;
  while (st->step()) out.push_back(host_from_row(*st));
  if (!st->succeeded()) return step_error(lease->db(), "hosts");
  return out;
}

}  // namespace vigil::store
