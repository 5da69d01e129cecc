// Helpers for the store's tests: an Api over a fresh SQLite file with a
// clock the test sets, people's and enrollment tokens, enrolled hosts, and
// requests built as the server would hand them over (no network).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api.hpp"
#include "crypto.hpp"
#include "http.hpp"
#include "test_support.hpp"

namespace vigil::test {

// The sample scans' host (tests/agent/chain_support: machine_id).
inline constexpr const char* kSampleHost = "0123456789abcdef";
// An hour after the sample scans started.
inline constexpr std::int64_t kSampleNow = 1767225600000 + 3600000;

store::Request make_request(const std::string& method, const std::string& target, std::string body = "",
                            std::vector<std::pair<std::string, std::string>> headers = {});
boost::json::value body_json(const store::Response& r);
// The error message of an error response ("" when it is not one).
std::string error_message(const store::Response& r);
// A fresh Ed25519 host key (REQUIRE that it was made).
crypto::HostKey new_host_key();

struct StoreFixture {
  TempDir dir;
  std::int64_t now = kSampleNow;
  std::unique_ptr<store::Api> api;

  StoreFixture();
  store::Storage& storage() { return api->storage(); }
  std::string db_path() const { return dir.path() + "/store.db"; }

  std::string person_token(store::Role role, const std::string& name = "tester");
  std::string enroll_token(std::optional<std::int64_t> uses = std::nullopt,
                           std::optional<std::string> expires = std::nullopt);
  // POST /v1/enroll with a valid proof by key.
  store::Response enroll(const crypto::HostKey& key, const std::string& token,
                         const std::string& identity = kSampleHost, boost::json::object facts = {});
  // Enrolls with a fresh token and returns the host id (the test fails otherwise).
  std::string enrolled_host(const crypto::HostKey& key, const std::string& identity = kSampleHost,
                            boost::json::object facts = {});
  // POST /v1/evidence signed by key as host_id.
  store::Response ingest(const std::string& host_id, const crypto::HostKey& key,
                         const std::vector<std::string>& envelopes);
  store::Response get(const std::string& target, const std::string& token);
  store::Response post(const std::string& target, const boost::json::value& body, const std::string& token);
  store::Response del(const std::string& target, const std::string& token);
};

}  // namespace vigil::test
