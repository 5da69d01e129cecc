// Issue 6 end to end: the real `vigil` and `vigil-store` processes on
// 127.0.0.1, certificates made at test time. An agent enrolls, scans a
// fixture host copy, ships; people query the store; the store goes down,
// is killed mid-ingest, refuses bad requests, presents a wrong certificate,
// and checks roles. See docs/architecture.md, "End-to-end tests".
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "store_e2e_support.hpp"

namespace json = boost::json;
using namespace vigil;
using namespace vigil::e2e;
using namespace std::chrono_literals;

TEST_CASE("store e2e: enroll, scan twice with a flipped check, ship, query, export, verify", "[store-e2e]") {
  test::TempDir dir;
  const auto pki = test::make_test_pki(dir.path());
  StoreProcess store(dir, pki);
  store.start();
  AgentHost host("debian12-stock");
  require_enrolled(host.enroll(store, pki, store.create_token("enroll", {"--uses", "1"})));

  host.scan();  // PermitRootLogin is left at its default: fail
  edit_file(host.root_dir(), "/etc/ssh/sshd_config", "#PermitRootLogin prohibit-password",
            "PermitRootLogin no", 0644);
  host.scan();  // pass
  auto shipped = ship_json(host);
  CHECK(shipped.at("exit_code").to_number<int>() == 0);
  CHECK(num(shipped, "accepted") == 2);
  CHECK(num(shipped, "rejected") == 0);
  CHECK(host.outbox_depth() == 0);
  CHECK(host.status().at("last_shipped_at").is_string());

  StoreApi api(store, pki);
  const std::string auditor = store.create_token("auditor");
  const std::string analyst = store.create_token("analyst");
  const std::string id = host.host_id();

  auto hosts = api.get("/v1/hosts", auditor);
  INFO(hosts.body);
  REQUIRE(hosts.status == 200);
  REQUIRE(hosts.json.at("hosts").as_array().size() == 1);
  const auto& h = hosts.json.at("hosts").at(0);
  CHECK(h.at("host_id").as_string() == id);
  CHECK(h.at("identity").as_string() == "3f1e2a9c5b7d4e6f8a0b1c2d3e4f5a6b");  // the fixture's machine id
  CHECK(num(h.at("chain"), "last_sequence") == 2);
  CHECK(h.at("chain").at("status").as_string() == "ok");

  auto one = api.get("/v1/hosts/" + id, analyst);
  INFO(one.body);
  REQUIRE(one.status == 200);
  CHECK(host_check(one, kFlipCheck).at("verdict").as_string() == "pass");
  CHECK(num(host_check(one, kFlipCheck), "sequence") == 2);

  auto controls = api.get("/v1/controls", auditor);
  INFO(controls.body);
  REQUIRE(controls.status == 200);
  bool a85 = false;
  for (const auto& c : controls.json.at("controls").as_array())
    a85 = a85 || c.at("control").as_string() == "A.8.5";
  CHECK(a85);  // ssh.root-login-disabled maps to A.8.5

  auto drift = api.get("/v1/drift?host=" + id, auditor);
  INFO(drift.body);
  REQUIRE(drift.status == 200);
  bool flipped = false;
  for (const auto& t : drift.json.at("transitions").as_array()) {
    if (t.at("check").as_string() == kFlipCheck && t.at("from") == "fail" && t.at("to") == "pass") {
      flipped = true;
      CHECK(num(t, "sequence") == 2);
    }
  }
  CHECK(flipped);

  CHECK(export_and_verify(api, auditor, host, dir) == one_to(2));
  auto oscal = api.get("/v1/export?host=" + id + "&format=oscal", auditor);
  INFO(oscal.body.substr(0, 1000));
  REQUIRE(oscal.status == 200);
  CHECK(oscal.json.at("assessment-results").is_object());
}

TEST_CASE("store e2e: scans while the store is down queue and are delivered once, in order", "[store-e2e]") {
  test::TempDir dir;
  const auto pki = test::make_test_pki(dir.path());
  StoreProcess store(dir, pki);
  store.start();
  AgentHost host("debian12-stock");
  require_enrolled(host.enroll(store, pki, store.create_token("enroll")));
  store.stop();

  host.scan();
  host.scan();
  Run down = host.ship();
  INFO("vigil ship with the store down: " << down.out << down.err);
  CHECK(down.exit_code == 3);
  CHECK_THAT(down.err + down.out, Catch::Contains("try again in"));
  CHECK(host.outbox_depth() == 2);

  store.start();
  auto shipped = ship_json(host);
  CHECK(shipped.at("exit_code").to_number<int>() == 0);
  CHECK(num(shipped, "accepted") == 2);
  CHECK(host.outbox_depth() == 0);
  // Nothing is left to send twice.
  auto again = ship_json(host);
  CHECK(again.at("exit_code").to_number<int>() == 0);
  CHECK(num(again, "sent") == 0);

  StoreApi api(store, pki);
  const std::string auditor = store.create_token("auditor");
  auto h = api.get("/v1/hosts/" + host.host_id(), auditor);
  INFO(h.body);
  REQUIRE(h.status == 200);
  CHECK(num(h.json.at("chain"), "last_sequence") == 2);
  CHECK(h.json.at("chain").at("gaps").as_array().empty());
  CHECK(export_and_verify(api, auditor, host, dir) == one_to(2));
}

TEST_CASE("store e2e: the store killed mid-ingest and restarted loses and doubles nothing", "[store-e2e]") {
  test::TempDir dir;
  const auto pki = test::make_test_pki(dir.path());
  StoreProcess store(dir, pki);
  store.start();
  AgentHost host("debian12-stock");
  require_enrolled(host.enroll(store, pki, store.create_token("enroll")));
  constexpr std::int64_t kScans = 24;
  for (std::int64_t i = 0; i < kScans; ++i) host.scan();
  REQUIRE(host.cache_outbox_depth() == kScans);

  // One envelope a request, so the store is killed between acknowledgements.
  test::BackgroundProcess ship(
      {VIGIL_BINARY, "ship", "--state-dir", host.state_dir(), "--batch-count", "1", "--timeout", "30"},
      test::BackgroundOutput{dir.path() + "/ship.out", dir.path() + "/ship.err"});
  // Kill the store once the agent has marked its first acknowledgement.
  bool acknowledged = false;
  for (int i = 0; i < 30000; ++i) {
    if (host.cache_outbox_depth() < kScans) {
      acknowledged = true;
      break;
    }
    if (!ship.running()) break;
    std::this_thread::sleep_for(1ms);
  }
  store.kill();
  const int rc = ship.wait_exit();
  INFO("vigil ship: " << read_text(dir.path() + "/ship.out") << read_text(dir.path() + "/ship.err"));
  REQUIRE(acknowledged);
  const std::int64_t left = host.cache_outbox_depth();
  INFO(left << " envelopes left after the kill");
  CHECK(left > 0);  // it was killed mid-ingest, not after it
  CHECK(rc == (left > 0 ? 3 : 0));

  store.start();
  // The envelope the store stored but whose answer was lost is a duplicate now.
  auto shipped = ship_json(host, {"--batch-count", "5"});
  CHECK(shipped.at("exit_code").to_number<int>() == 0);
  CHECK(num(shipped, "accepted") + num(shipped, "duplicate") == left);
  CHECK(num(shipped, "rejected") == 0);
  auto st = host.status();
  CHECK(num(st, "outbox_depth") == 0);
  CHECK(num(st, "set_aside") == 0);

  StoreApi api(store, pki);
  const std::string auditor = store.create_token("auditor");
  auto h = api.get("/v1/hosts/" + host.host_id(), auditor);
  INFO(h.body);
  REQUIRE(h.status == 200);
  CHECK(num(h.json.at("chain"), "last_sequence") == kScans);
  CHECK(h.json.at("chain").at("status").as_string() == "ok");
  CHECK(export_and_verify(api, auditor, host, dir) == one_to(kScans));
}

TEST_CASE("store e2e: a host with a new key is refused until an admin allows the re-key", "[store-e2e]") {
  test::TempDir dir;
  const auto pki = test::make_test_pki(dir.path());
  StoreProcess store(dir, pki);
  store.start();
  const std::string token = store.create_token("enroll");
  AgentHost old_key("debian12-stock");
  require_enrolled(old_key.enroll(store, pki, token));
  old_key.scan();
  REQUIRE(ship_json(old_key).at("exit_code").to_number<int>() == 0);

  // The same host (machine id) after losing its state directory: a new key.
  AgentHost new_key("debian12-stock");
  Run refused = new_key.enroll(store, pki, token);
  INFO("vigil enroll: " << refused.out << refused.err);
  CHECK(refused.exit_code == 4);
  CHECK_THAT(refused.err, Catch::Contains("allow-rekey"));
  CHECK_FALSE(std::filesystem::exists(new_key.state_dir() + "/enrollment.json"));

  Run allowed = store.admin({"host", "allow-rekey", old_key.host_id()});
  INFO("vigil-store host allow-rekey: " << allowed.out << allowed.err);
  REQUIRE(allowed.exit_code == 0);
  require_enrolled(new_key.enroll(store, pki, token));
  CHECK(new_key.host_id() == old_key.host_id());
  new_key.scan();
  auto shipped = ship_json(new_key);
  CHECK(shipped.at("exit_code").to_number<int>() == 0);
  CHECK(num(shipped, "accepted") == 1);

  // The old key no longer authenticates requests: its next batch is
  // refused as a whole (401, a person must act), nothing is marked.
  old_key.scan();
  auto stale = ship_json(old_key);
  INFO(json::serialize(stale));
  CHECK(stale.at("exit_code").to_number<int>() == 4);
  CHECK_THAT(std::string(stale.at("error").as_string()), Catch::Contains("401"));
  CHECK(old_key.outbox_depth() == 1);

  StoreApi api(store, pki);
  const std::string auditor = store.create_token("auditor");
  auto h = api.get("/v1/hosts/" + new_key.host_id(), auditor);
  INFO(h.body);
  REQUIRE(h.status == 200);
  CHECK(num(h.json.at("chain"), "epoch") == 2);
  CHECK(num(h.json.at("chain"), "last_sequence") == 1);
  // Exports are of the current key's chain, verified with the new key.
  CHECK(export_and_verify(api, auditor, new_key, dir) == one_to(1));
}

TEST_CASE("store e2e: hosts shipping at the same time are all stored, each chain whole", "[store-e2e]") {
  test::TempDir dir;
  const auto pki = test::make_test_pki(dir.path());
  StoreProcess store(dir, pki);
  store.start();
  const std::string token = store.create_token("enroll");
  constexpr int kHosts = 4;
  constexpr std::int64_t kScans = 6;
  std::vector<std::unique_ptr<AgentHost>> hosts;
  for (int i = 0; i < kHosts; ++i) {
    hosts.push_back(
        std::make_unique<AgentHost>("debian12-stock", std::string(32, static_cast<char>('a' + i))));
    require_enrolled(hosts.back()->enroll(store, pki, token));
    for (std::int64_t s = 0; s < kScans; ++s) hosts.back()->scan();
  }
  // One envelope a request, all hosts at once: concurrent writers on one database.
  std::vector<std::unique_ptr<test::BackgroundProcess>> ships;
  for (int i = 0; i < kHosts; ++i) {
    const std::string out = dir.path() + "/ship" + std::to_string(i);
    ships.push_back(std::make_unique<test::BackgroundProcess>(
        std::vector<std::string>{VIGIL_BINARY, "ship", "--state-dir",
                                 hosts[static_cast<std::size_t>(i)]->state_dir(), "--batch-count", "1",
                                 "--timeout", "30"},
        test::BackgroundOutput{out + ".out", out + ".err"}));
  }
  StoreApi api(store, pki);
  const std::string auditor = store.create_token("auditor");
  for (int i = 0; i < kHosts; ++i) {
    const auto& host = *hosts[static_cast<std::size_t>(i)];
    const std::string out = dir.path() + "/ship" + std::to_string(i);
    const int rc = ships[static_cast<std::size_t>(i)]->wait_exit();
    INFO("host " << i << ": vigil ship: " << read_text(out + ".out") << read_text(out + ".err")
                 << "\nstore log:\n"
                 << store.log());
    CHECK(rc == 0);
    CHECK(host.cache_outbox_depth() == 0);
    auto h = api.get("/v1/hosts/" + host.host_id(), auditor);
    REQUIRE(h.status == 200);
    CHECK(num(h.json.at("chain"), "last_sequence") == kScans);
    CHECK(h.json.at("chain").at("status").as_string() == "ok");
  }
  auto all = api.get("/v1/hosts", auditor);
  REQUIRE(all.status == 200);
  CHECK(all.json.at("hosts").as_array().size() == static_cast<std::size_t>(kHosts));
}

TEST_CASE("store e2e: envelopes retention removed before shipping arrive as an explained gap",
          "[store-e2e]") {
  test::TempDir dir;
  const auto pki = test::make_test_pki(dir.path());
  StoreProcess store(dir, pki);
  store.start();
  AgentHost host("debian12-stock");
  require_enrolled(host.enroll(store, pki, store.create_token("enroll")));
  store.stop();
  // Five scans while the store is down, keeping two: the three oldest
  // unshipped envelopes are removed and covered by signed gap records.
  for (int i = 0; i < 5; ++i) host.scan({"--keep-scans", "2"});
  store.start();
  auto shipped = ship_json(host);
  CHECK(shipped.at("exit_code").to_number<int>() == 0);
  CHECK(num(shipped, "rejected") == 0);
  CHECK(host.outbox_depth() == 0);

  StoreApi api(store, pki);
  const std::string auditor = store.create_token("auditor");
  auto h = api.get("/v1/hosts/" + host.host_id(), auditor);
  INFO(h.body);
  REQUIRE(h.status == 200);
  const auto& chain = h.json.at("chain");
  CHECK(chain.at("status").as_string() == "ok");
  // Each retention run after a scan removed one envelope and signed its gap.
  REQUIRE(chain.at("gaps").as_array().size() == 3);
  for (const auto& g : chain.at("gaps").as_array()) {
    CHECK(g.at("explained").as_bool());
    CHECK_THAT(std::string(g.at("reason").as_string()), Catch::Contains("retention"));
  }
  CHECK(chain.at("forks").as_array().empty());
  const auto held = export_and_verify(api, auditor, host, dir);
  CHECK(held.size() == host.envelopes().size());
}
