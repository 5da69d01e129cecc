// vigil-store token/host administration on the database (run_admin).
#include <catch2/catch.hpp>
#include <sstream>

#include "cli_admin.hpp"
#include "store/store_support.hpp"
#include "tokens.hpp"

using namespace vigil;
using namespace vigil::store;
using vigil::test::StoreFixture;

namespace {

struct Run {
  int status;
  std::string out, err;
};

Run admin(std::vector<std::string> args, const ConfigLoader& loader = {}) {
  std::ostringstream out, err;
  ConfigLoader l = loader ? loader : [](const std::string& path) -> Result<StoreConfig> {
    return make_error(Errc::not_found, path + ": no config in this test");
  };
  int s = run_admin(args, out, err, l);
  return {s, out.str(), err.str()};
}

}  // namespace

TEST_CASE("admin: token create, list and revoke, audited as cli", "[store-admin]") {
  StoreFixture f;
  const std::string db = f.db_path();
  auto made =
      admin({"token", "create", "--database", db, "--role", "admin", "--name", "root", "--expires", "7d"});
  INFO(made.err);
  REQUIRE(made.status == 0);
  const std::string secret = made.out.substr(0, made.out.find('\n'));
  CHECK(secret.rfind("vst_", 0) == 0);
  CHECK(secret.size() == 4 + 43);  // 32 bytes, base64url without padding
  auto ok = f.get("/v1/tokens", secret);
  REQUIRE(ok.status == 200);

  auto enroll = admin({"token", "create", "--database=" + db, "--uses", "10"});
  REQUIRE(enroll.status == 0);
  CHECK(enroll.out.rfind("vse_", 0) == 0);
  CHECK_THAT(enroll.err, Catch::Contains("uses 10"));

  auto list = admin({"token", "list", "--database", db});
  REQUIRE(list.status == 0);
  CHECK_THAT(list.out, Catch::Contains("root"));
  CHECK(list.out.find(secret) == std::string::npos);

  auto ts = f.storage().list_tokens();
  REQUIRE(ts.ok());
  const std::string id = (*ts)[0].id;
  CHECK(admin({"token", "revoke", id, "--database", db}).status == 0);
  CHECK(f.get("/v1/tokens", secret).status == 401);
  CHECK(admin({"token", "revoke", id, "--database", db}).status == 1);

  auto audit = f.storage().list_audit(0, 100);
  REQUIRE(audit.ok());
  bool revoke_by_cli = false;
  for (const auto& a : *audit)
    revoke_by_cli = revoke_by_cli || (a.entry.action == "token.revoke" && a.entry.actor.kind == "cli");
  CHECK(revoke_by_cli);
}

TEST_CASE("admin: host list and allow-rekey", "[store-admin]") {
  StoreFixture f;
  auto key = crypto::HostKey::generate();
  REQUIRE(key.ok());
  const std::string host = f.enrolled_host(*key, "web-9");
  auto list = admin({"host", "list", "--database", f.db_path()});
  REQUIRE(list.status == 0);
  CHECK_THAT(list.out, Catch::Contains(host) && Catch::Contains("web-9"));
  CHECK(admin({"host", "allow-rekey", host, "--database", f.db_path()}).status == 0);
  auto h = f.storage().find_host(host);
  REQUIRE(h.ok());
  CHECK((*h)->rekey_allowed);
  CHECK(admin({"host", "allow-rekey", "h-nope", "--database", f.db_path()}).status == 1);
}

TEST_CASE("admin: usage errors and --config", "[store-admin]") {
  StoreFixture f;
  struct Case {
    std::vector<std::string> args;
    int status;
    const char* err;
  };
  const std::vector<Case> cases = {
      {{"token"}, 2, "unknown command"},
      {{"token", "burn"}, 2, "unknown command"},
      {{"token", "create", "--database", f.db_path(), "--role", "root"}, 2, "--role must be"},
      {{"token", "create", "--database", f.db_path(), "--role", "admin", "--uses", "3"},
       2,
       "only enrollment"},
      {{"token", "create", "--database", f.db_path(), "--uses", "many"}, 2, "whole number"},
      {{"token", "create", "--database", f.db_path(), "--expires", "yesterday"}, 2, "expiry"},
      {{"token", "list", "--database", f.db_path(), "--role", "admin"}, 2, "token create only"},
      {{"token", "revoke", "--database", f.db_path()}, 2, "one argument"},
      {{"token", "list", "--bogus"}, 2, "unknown option --bogus"},
      {{"token", "list"}, 1, "/etc/vigil/store.yaml"},
  };
  for (const auto& c : cases) {
    auto r = admin(c.args);
    CAPTURE(c.args, r.err);
    CHECK(r.status == c.status);
    CHECK_THAT(r.err, Catch::Contains(c.err));
  }
  CHECK(admin({"--help"}).status == 0);
  auto via_config = admin({"token", "list", "--config", "/x/store.yaml"},
                          [&](const std::string& path) -> Result<StoreConfig> {
                            CHECK(path == "/x/store.yaml");
                            StoreConfig c;
                            c.database.path = f.db_path();
                            return c;
                          });
  CHECK(via_config.status == 0);
}
