// vigil-store's storage interface: everything the API keeps, behind one
// abstract class so a PostgreSQL backend can follow the SQLite one. The store
// keeps no state outside the database (several replicas may serve one
// fleet): token use counts, chain positions, gaps, forks, waivers and the
// audit log are rows, and every check-then-change (a token use, a chain
// link, a re-key) happens inside one transaction of the backend. No SQL
// leaves an implementation; every method returns a Result or Status.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace vigil::store {

enum class Role { admin, analyst, auditor, enroll };
const char* role_name(Role r) noexcept;
std::optional<Role> parse_role(std::string_view s) noexcept;

using ScopeTags = std::map<std::string, std::string>;

// Who did something: a person's token, an enrolled host, the admin CLI, or
// an enrollment token (before a host exists).
struct Actor {
  std::string kind;  // "token", "host", "cli", "enroll"
  std::string id;    // token id or host id ("" for cli)
  std::string name;  // the token's name, the host's identity
  std::string role;  // the token's role ("" for hosts)
};

struct AuditEntry {
  std::int64_t time_ms = 0;
  Actor actor;
  std::string action;  // "token.create", "host.enroll", "evidence.ingest", ...
  std::string target;  // the token, host or waiver id
  std::string detail;  // short text, never a secret
  std::string request_id;
  std::string peer;
};

struct AuditRecord {
  std::int64_t id = 0;
  AuditEntry entry;
};

struct TokenRecord {
  std::string id;  // "tok-<hex>": public, names the token in lists and the audit log
  Role role = Role::auditor;
  std::string name;
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> expires_at_ms;
  std::optional<std::int64_t> max_uses;  // enrollment tokens; nullopt: unlimited
  std::int64_t uses = 0;
  std::optional<std::int64_t> revoked_at_ms;
};

struct HostRecord {
  std::string id;        // "h-<hex>"
  std::string identity;  // the statements' subject without "host:"
  std::string public_key_pem;
  std::string key_id;
  std::string facts_json;  // as enrolled
  ScopeTags scope;         // from enrollment, then from the latest scan
  std::int64_t enrolled_at_ms = 0;
  bool rekey_allowed = false;
  // Incremented by every re-key: the chain starts over with the new key.
  std::int64_t epoch = 1;
  std::optional<std::int64_t> last_seen_ms;
  std::optional<std::int64_t> last_scan_ms;
};

struct EnrollInput {
  std::string token_hash;  // SHA-256 hex of the enrollment token
  std::string identity;
  std::string public_key_pem;
  std::string key_id;
  std::string facts_json;
  ScopeTags scope;
  std::string new_host_id;  // used when the host is new
  std::int64_t now_ms = 0;
};

enum class EnrollStatus {
  created,    // a new host (a token use taken)
  unchanged,  // enrolled with this key already (no use taken)
  rekeyed,    // an admin allowed a new key (a use taken, audited)
  bad_token,  // unknown, revoked, expired, used up or not an enrollment token
  conflict,   // enrolled with another key and no re-key allowed
};

struct EnrollOutcome {
  EnrollStatus status = EnrollStatus::bad_token;
  HostRecord host;      // created, unchanged, rekeyed
  std::string message;  // bad_token, conflict
};

// Where a result's evidence lies in its envelope's payload (the statement
// the signature covers, in canonical form): the store keeps this, not a
// copy of the text (resolve_evidence in evidence.hpp reads it back).
struct EvidenceSpan {
  std::int64_t offset = 0, size = 0;
};

// One result of a scan statement, as indexed for queries.
struct ResultRow {
  std::string check, policy, title, severity, verdict, message;
  // The evidence's JSON text: given inline when there is no span (a result
  // without evidence: "{}"; rows stored before schema v2), and otherwise
  // empty until resolve_evidence fills it in from the envelope.
  std::string evidence_json;
  std::vector<std::string> controls;  // ISO 27001:2022
  std::optional<EvidenceSpan> evidence_span;
};

enum class EnvelopeKind { scan, gap };

// A verified envelope ready for the chain rules: the backend checks its
// position and stores it, all in one transaction.
struct IngestItem {
  std::string bytes;   // verbatim
  std::string digest;  // SHA-256 hex of bytes
  EnvelopeKind kind = EnvelopeKind::scan;
  std::int64_t sequence = 0;
  std::string previous_digest;
  std::int64_t time_ms = 0;  // scan started / gap recorded
  std::vector<ResultRow> results;
  std::optional<ScopeTags> scope;
  std::int64_t gap_first = 0, gap_last = 0;  // kind == gap
  std::string gap_reason;
};

enum class IngestStatus { accepted, duplicate, rejected };
struct IngestOutcome {
  IngestStatus status = IngestStatus::rejected;
  std::string reason;
};

struct GapRecord {
  std::int64_t first_sequence = 0, last_sequence = 0;
  std::optional<std::int64_t> explained_by;  // the gap record's sequence
  std::string reason;                        // the gap record's reason
};
struct ForkRecord {
  std::int64_t sequence = 0;
  std::string digest;
  std::string reason;
  std::int64_t at_ms = 0;
};
struct ChainState {
  std::int64_t epoch = 1;
  std::optional<std::int64_t> last_sequence;
  std::string last_digest;
  std::vector<GapRecord> gaps;
  std::vector<ForkRecord> forks;
  bool ok() const;  // no unexplained gap and no fork
};

struct StoredResult {
  std::string host_id;
  std::int64_t epoch = 1, sequence = 0, time_ms = 0;
  ResultRow row;
};

struct Transition {
  std::string host_id, check;
  std::optional<std::string> from;  // nullopt: the check's first result
  std::string to;
  std::int64_t sequence = 0, time_ms = 0;
  std::string message;
};
struct DriftFilter {
  std::int64_t since_ms = 0;
  std::optional<std::string> host_id, check;
  std::size_t limit = 1000;
};

struct Waiver {
  std::string id;  // "w-<hex>"
  std::string check;
  std::string selector;  // host id, "*", or "scope:KEY=VALUE"
  std::string owner, reason, created_by;
  std::int64_t created_at_ms = 0, expires_at_ms = 0;
  std::optional<std::int64_t> revoked_at_ms;
  bool active(std::int64_t now_ms) const noexcept { return !revoked_at_ms && expires_at_ms > now_ms; }
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Tokens. create_token stores only the hash; audit goes in the same transaction.
  virtual Status create_token(const TokenRecord& token, const std::string& hash, const AuditEntry& audit) = 0;
  // A person's token (admin/analyst/auditor) that is not revoked or expired.
  virtual Result<std::optional<TokenRecord>> find_person_token(const std::string& hash,
                                                               std::int64_t now_ms) = 0;
  virtual Result<std::vector<TokenRecord>> list_tokens() = 0;
  // false when there is no such token (or it was revoked already).
  virtual Result<bool> revoke_token(const std::string& id, const AuditEntry& audit) = 0;

  // Hosts. enroll checks the token, takes a use and creates or re-keys the
  // host in one transaction, auditing what changed.
  virtual Result<EnrollOutcome> enroll(const EnrollInput& in, const AuditEntry& audit) = 0;
  virtual Result<bool> allow_rekey(const std::string& host_id, const AuditEntry& audit) = 0;
  virtual Result<std::optional<HostRecord>> find_host(const std::string& host_id) = 0;
  virtual Result<std::vector<HostRecord>> list_hosts() = 0;

  // Evidence: the chain rules of docs/store-api.md for a request's verified
  // envelopes of one host, in order, all in one write transaction (each
  // envelope sees the ones before it); an outcome per item. A rejection
  // leaves nothing but the fork flag; an error leaves nothing of the batch.
  virtual Result<std::vector<IngestOutcome>> ingest(const std::string& host_id,
                                                    std::span<const IngestItem> items, std::int64_t now_ms) = 0;
  virtual Result<ChainState> chain_state(const std::string& host_id) = 0;
  // The latest result per (host, check); host_id "" = all. Evidence kept
  // as a span is not read: see resolve_evidence.
  virtual Result<std::vector<StoredResult>> latest_results(const std::string& host_id) = 0;
  // Every result of scans started in [from_ms, to_ms]; host_id "" = all.
  virtual Result<std::vector<StoredResult>> period_results(const std::string& host_id, std::int64_t from_ms,
                                                           std::int64_t to_ms) = 0;
  virtual Result<std::vector<Transition>> drift(const DriftFilter& f) = 0;
  // Envelopes of the current epoch whose time lies in [from_ms, to_ms], in
  // sequence order, byte for byte.
  virtual Result<std::vector<std::string>> envelopes(const std::string& host_id, std::int64_t from_ms,
                                                     std::int64_t to_ms) = 0;
  // One envelope, byte for byte, if stored.
  virtual Result<std::optional<std::string>> envelope(const std::string& host_id, std::int64_t epoch,
                                                      std::int64_t sequence) = 0;

  // Waivers.
  virtual Status create_waiver(const Waiver& w, const AuditEntry& audit) = 0;
  virtual Result<std::vector<Waiver>> list_waivers() = 0;
  virtual Result<bool> revoke_waiver(const std::string& id, const AuditEntry& audit) = 0;

  // The database answers (GET /v1/health).
  virtual Status ping() = 0;

  // The audit log.
  virtual Status append_audit(const AuditEntry& e) = 0;
  virtual Result<std::vector<AuditRecord>> list_audit(std::int64_t since_ms, std::size_t limit) = 0;
};

}  // namespace vigil::store
