// Enrolling this host with vigil-store (POST /v1/enroll, docs/store-api.md
// "Enrollment") and the record of it, STATE_DIR/enrollment.json, that
// `vigil ship` and `vigil status` read. The request logic is written against
// HttpTransport so it is tested without a store.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "crypto.hpp"
#include "http_client.hpp"
#include "result.hpp"

namespace vigil::agent {

inline constexpr const char* kEnrollmentFile = "enrollment.json";
inline constexpr std::size_t kMaxEnrollmentFileBytes = 64 * 1024;

struct Enrollment {
  std::string store;  // the store URL as given to vigil enroll
  std::string host_id, key_id;
  std::string host;  // the host identity the statements carry
  std::string enrolled_at;
  TlsOptions tls;  // file paths absolute
};

std::string enrollment_to_json(const Enrollment& e);
// Errc::parse naming where and the field.
Result<Enrollment> parse_enrollment(std::string_view text, const std::string& where);
// STATE_DIR/enrollment.json, atomically (temporary file and rename), 0644.
Status save_enrollment(const std::string& state_dir, const Enrollment& e);
// Errc::not_found when the host is not enrolled (no file).
Result<Enrollment> load_enrollment(const std::string& state_dir);

struct EnrollRequest {
  std::string token;
  std::string host;           // host identity (host_identity of the system_info row)
  boost::json::object facts;  // hostname, os, machine_id, agent_version
};

// "vigil-enroll-v1\n" + host + "\n" + token: what the proof signs.
std::string enroll_proof_message(std::string_view host, std::string_view token);
Result<std::string> enroll_request_body(const crypto::HostKey& key, const EnrollRequest& req);

// Sends the request and checks the answer (201 new, 200 already enrolled
// with this key); the Enrollment has host_id, key_id, host and enrolled_at
// (the caller adds the store URL and TLS options). 401 and 409 come back as
// Errc::invalid with the store's message and what to do.
Result<Enrollment> enroll_host(HttpTransport& transport, const crypto::HostKey& key,
                               const EnrollRequest& req);

}  // namespace vigil::agent
