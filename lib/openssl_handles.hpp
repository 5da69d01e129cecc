// unique_ptr aliases for the OpenSSL handles lib/crypto uses, each with its
// free function, so that no handle outlives its owner or is freed twice.
// (collectors/openssl_handles.hpp has the X.509 ones, in vigil::collectors.)
#pragma once

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

namespace vigil::crypto {

struct OpensslFree {
  void operator()(BIO* p) const noexcept { BIO_free_all(p); }
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
  void operator()(unsigned char* p) const noexcept { OPENSSL_free(p); }
};

using BioPtr = std::unique_ptr<BIO, OpensslFree>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpensslFree>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslFree>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpensslFree>;
using OpensslBytePtr = std::unique_ptr<unsigned char, OpensslFree>;

}  // namespace vigil::crypto
