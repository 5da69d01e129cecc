#include "tls_certs.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "runner.hpp"

namespace vigil::test {

namespace {

void openssl(const std::vector<std::string>& args) {
  collectors::RunOptions opts;
  opts.timeout = std::chrono::milliseconds(60000);
  auto r = collectors::run_program("/usr/bin/openssl", args, opts);
  REQUIRE(r.ok());
  INFO(r->err);
  REQUIRE(r->exit_code == 0);
}

void make_ca(const std::string& cert, const std::string& key, const std::string& cn) {
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
           "-out", cert, "-days", "30", "-subj", "/CN=" + cn, "-addext", "basicConstraints=critical,CA:TRUE",
           "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
}

// A leaf signed by the CA; ext is the extensions file text.
void make_leaf(const std::string& dir, const std::string& name, const std::string& ca_cert,
               const std::string& ca_key, const std::string& cn, const std::string& ext) {
  const std::string key = dir + "/" + name + ".key", csr = dir + "/" + name + ".csr",
                    cert = dir + "/" + name + ".pem", extfile = dir + "/" + name + ".ext";
  {
    FILE* f = std::fopen(extfile.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(ext.c_str(), f);
    std::fclose(f);
  }
  openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
           "-out", csr, "-subj", "/CN=" + cn});
  openssl({"x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
           "-days", "30", "-extfile", extfile});
}

}  // namespace

TestPki make_test_pki(const std::string& dir) {
  TestPki p;
  p.dir = dir;
  p.ca_cert = dir + "/ca.pem";
  p.ca_key = dir + "/ca.key";
  p.other_ca_cert = dir + "/other-ca.pem";
  make_ca(p.ca_cert, p.ca_key, "Vigil Test CA");
  make_ca(p.other_ca_cert, dir + "/other-ca.key", "Unrelated Test CA");
  const std::string server_ext =
      "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
      "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  make_leaf(dir, "server", p.ca_cert, p.ca_key, "vigil-store", server_ext);
  make_leaf(dir, "client", p.ca_cert, p.ca_key, "vigil-agent-test",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n");
  make_leaf(dir, "wrong-name", p.ca_cert, p.ca_key, "store.example.invalid",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
            "subjectAltName=DNS:store.example.invalid\n");
  make_leaf(dir, "other-server", p.other_ca_cert, dir + "/other-ca.key", "vigil-store", server_ext);
  p.server_cert = dir + "/server.pem";
  p.server_key = dir + "/server.key";
  p.client_cert = dir + "/client.pem";
  p.client_key = dir + "/client.key";
  p.wrong_name_cert = dir + "/wrong-name.pem";
  p.wrong_name_key = dir + "/wrong-name.key";
  p.other_server_cert = dir + "/other-server.pem";
  p.other_server_key = dir + "/other-server.key";
  return p;
}

}  // namespace vigil::test
