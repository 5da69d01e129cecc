#include "store/store_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "json_exact.hpp"
#include "request_auth.hpp"
#include "sqlite_storage.hpp"
#include "strings.hpp"
#include "tokens.hpp"

namespace vigil::test {

crypto::HostKey new_host_key() {
  auto k = crypto::HostKey::generate();
  REQUIRE(k.ok());
  return std::move(*k);
}

using namespace vigil::store;

Request make_request(const std::string& method, const std::string& target, std::string body,
                     std::vector<std::pair<std::string, std::string>> headers) {
  Request r;
  r.method = method;
  r.target = target;
  const auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) {
    for (auto part : split(std::string_view(target).substr(q + 1), '&')) {
      const auto eq = part.find('=');
      r.query.emplace_back(std::string(part.substr(0, eq)),
                           eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1)));
    }
  }
  r.headers = std::move(headers);
  r.raw_body = body;
  r.body = std::move(body);
  r.peer = "127.0.0.1:40000";
  r.request_id = "req-test";
  return r;
}

boost::json::value body_json(const Response& r) {
  // Numbers exact, so evidence compares equal to the signed statement's.
  auto v = agent::parse_json_exact(r.body, "response body");
  INFO(r.body);
  REQUIRE(v.ok());
  return std::move(*v);
}

std::string error_message(const Response& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("error")) return "";
  return std::string(v.at("error").at("message").as_string());
}

StoreFixture::StoreFixture() {
  auto st = SqliteStorage::open(db_path(), std::chrono::milliseconds(5000));
  REQUIRE(st.ok());
  api = Api::with_storage(std::move(*st), [this] { return now; });
}

std::string StoreFixture::person_token(Role role, const std::string& name) {
  AuditEntry a;
  a.time_ms = now;
  a.actor = Actor{"cli", "", "cli", "admin"};
  a.action = "token.create";
  auto t = create_token(storage(), role, name, std::nullopt, std::nullopt, now, a);
  REQUIRE(t.ok());
  return t->secret;
}

std::string StoreFixture::enroll_token(std::optional<std::int64_t> uses, std::optional<std::string> expires) {
  AuditEntry a;
  a.time_ms = now;
  a.actor = Actor{"cli", "", "cli", "admin"};
  a.action = "token.create";
  auto t = create_token(storage(), Role::enroll, "enroll", expires, uses, now, a);
  REQUIRE(t.ok());
  return t->secret;
}

Response StoreFixture::enroll(const crypto::HostKey& key, const std::string& token,
                              const std::string& identity, boost::json::object facts) {
  auto proof = key.sign("vigil-enroll-v1\n" + identity + "\n" + token);
  REQUIRE(proof.ok());
  boost::json::object body{{"token", token},
                           {"host", identity},
                           {"public_key", key.public_key().pem()},
                           {"proof", crypto::base64_encode(*proof)},
                           {"facts", std::move(facts)}};
  return api->handle(make_request("POST", "/v1/enroll", boost::json::serialize(body)));
}

std::string StoreFixture::enrolled_host(const crypto::HostKey& key, const std::string& identity,
                                        boost::json::object facts) {
  auto r = enroll(key, enroll_token(), identity, std::move(facts));
  INFO(r.body);
  REQUIRE(r.status == 201);
  return std::string(body_json(r).at("host_id").as_string());
}

Response StoreFixture::ingest(const std::string& host_id, const crypto::HostKey& key,
                              const std::vector<std::string>& envelopes) {
  boost::json::array envs;
  for (const auto& e : envelopes) envs.emplace_back(e);
  const std::string body =
      boost::json::serialize(boost::json::object{{"host_id", host_id}, {"envelopes", envs}});
  auto auth = request_auth::make_authorization(key, host_id, "POST", "/v1/evidence", body, now / 1000);
  REQUIRE(auth.ok());
  return api->handle(make_request("POST", "/v1/evidence", body, {{"authorization", *auth}}));
}

Response StoreFixture::get(const std::string& target, const std::string& token) {
  return api->handle(make_request("GET", target, "", {{"authorization", "Bearer " + token}}));
}

Response StoreFixture::post(const std::string& target, const boost::json::value& body,
                            const std::string& token) {
  return api->handle(
      make_request("POST", target, boost::json::serialize(body), {{"authorization", "Bearer " + token}}));
}

Response StoreFixture::del(const std::string& target, const std::string& token) {
  return api->handle(make_request("DELETE", target, "", {{"authorization", "Bearer " + token}}));
}

}  // namespace vigil::test
