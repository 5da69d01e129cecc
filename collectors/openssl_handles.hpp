// unique_ptr aliases for the OpenSSL handles Vigil uses, each with its free
// function, so that no handle outlives its owner or is freed twice.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace vigil::collectors {

struct OpensslFree {
  void operator()(X509* p) const noexcept { X509_free(p); }
  void operator()(BIO* p) const noexcept { BIO_free_all(p); }
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
  void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
  void operator()(ASN1_TIME* p) const noexcept { ASN1_TIME_free(p); }
  void operator()(EC_GROUP* p) const noexcept { EC_GROUP_free(p); }
  void operator()(EC_POINT* p) const noexcept { EC_POINT_free(p); }
};

// Buffers OpenSSL allocates for the caller (PEM_read_bio names and data,
// BN_bn2hex text): released with OPENSSL_free.
struct OpensslBufferFree {
  void operator()(void* p) const noexcept { OPENSSL_free(p); }
};

using X509Ptr = std::unique_ptr<X509, OpensslFree>;
using BioPtr = std::unique_ptr<BIO, OpensslFree>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpensslFree>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslFree>;
using BignumPtr = std::unique_ptr<BIGNUM, OpensslFree>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpensslFree>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OpensslFree>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, OpensslFree>;
using EcPointPtr = std::unique_ptr<EC_POINT, OpensslFree>;
using OpensslCharPtr = std::unique_ptr<char, OpensslBufferFree>;
using OpensslBytePtr = std::unique_ptr<unsigned char, OpensslBufferFree>;

}  // namespace vigil::collectors
