// Certificates for the TLS tests, made at test time with /usr/bin/openssl
// (no shell): a CA, a server certificate from it for 127.0.0.1 and
// localhost, a client certificate from it (mTLS), a certificate for another
// name from the same CA, and a second, unrelated CA with a server
// certificate for 127.0.0.1 (the "wrong CA" case). All EC P-256, PEM.
#pragma once

#include <string>

namespace vigil::test {

struct TestPki {
  std::string dir;
  std::string ca_cert, ca_key;
  std::string server_cert, server_key;          // CN=vigil-store, SAN IP:127.0.0.1, DNS:localhost
  std::string client_cert, client_key;          // CN=vigil-agent-test, clientAuth
  std::string wrong_name_cert, wrong_name_key;  // same CA, SAN DNS:store.example.invalid only
  std::string other_ca_cert;                    // an unrelated CA
  std::string other_server_cert, other_server_key;  // from other_ca, SAN IP:127.0.0.1
};

// Writes the files into dir (which must exist); fails the test (REQUIRE) when
// openssl does. Takes about a quarter of a second.
TestPki make_test_pki(const std::string& dir);

}  // namespace vigil::test
