// The `certificates` table: X.509 certificates in the files and directories
// a policy names, parsed with OpenSSL 3.0.
//  - A root is a file or a directory; a directory is walked recursively in
//    name order through Host (list_dir is lstat-based). A symlink to a file
//    is read (its target resolved inside the host root, as every Host read
//    is) and reported under the link's path, so a certificate reached through
//    two links is two rows (Debian's /etc/ssl/certs has a name link and a
//    hash link per CA); a symlink to a directory is not entered (loops,
//    fan-out), a warning says so.
//  - Files over 1 MiB, fifos, devices and sockets are not read; a warning is
//    given only when the name says certificate (.pem .crt .cer .der), as for
//    a file of that name that does not parse. Keys and requests in PEM are
//    no certificates and no warning.
//  - More than 10 000 entries or 16 levels below a root make the set of
//    certificates unknowable: an error, never a silently short table.
#include "certificates.hpp"

#include <ctime>
#include <exception>

#include "collector.hpp"
#include "host.hpp"
#include "path_list.hpp"
#include "strings.hpp"

namespace vigil::collectors {

namespace {

struct Walk {
  CollectContext& ctx;
  const Value& arg;
  std::vector<Row>& rows;
  const CertWalkOptions& opts;
  std::size_t entries = 0;
  std::size_t linked_dirs = 0;
  std::string first_linked_dir;
  std::int64_t now = 0;
  CertMemo memo;

  void file(const std::string& path) {
    const std::string shown = sanitize_utf8(path);
    const bool named = certificate_file_name(path.substr(path.rfind('/') + 1));
    auto content = ctx.host().read_file(path, ReadOptions{.max_bytes = kCertMaxFileBytes});
    if (!content) {
      if (named) ctx.warn(shown, "not read: " + content.error().message);
      return;
    }
    const CertFile parsed = parse_certificate_file(content->data, &memo);
    if (!parsed.error.empty() && (named || parsed.bad_blocks > 0)) ctx.warn(shown, parsed.error);
    for (const auto& c : parsed.certs) {
      rows.push_back(Row{arg,
                         text_value(shown),
                         int_value(c.index),
                         text_value(c.format),
                         text_value(sanitize_utf8(c.subject)),
                         text_value(sanitize_utf8(c.issuer)),
                         text_value(c.serial),
                         int_value(c.not_before),
                         text_value(iso8601_utc(c.not_before)),
                         int_value(c.not_after),
                         text_value(iso8601_utc(c.not_after)),
                         bool_value(c.not_after < now),
                         text_value(c.key_type),
                         c.key_bits ? int_value(*c.key_bits) : null_value(),
                         c.curve ? text_value(*c.curve) : null_value(),
                         text_value(c.signature_algorithm),
                         c.signature_hash ? text_value(*c.signature_hash) : null_value(),
                         text_value(c.sha256),
                         bool_value(c.self_signed),
                         bool_value(c.is_ca)});
    }
  }

  Status directory(const std::string& root) {
    struct Pending {
      std::string path;
      std::size_t depth;
    };
    std::vector<Pending> todo{{root, 0}};
    while (!todo.empty()) {
      Pending dir = std::move(todo.back());
      todo.pop_back();
      auto list = ctx.host().list_dir(dir.path);
      if (!list) {
        ctx.warn(sanitize_utf8(dir.path), "directory not read: " + list.error().message);
        continue;
      }
      const std::string base = dir.path == "/" ? "" : dir.path;
      std::vector<Pending> subdirs;
      for (const auto& e : *list) {
        if (++entries > opts.max_entries) {
          return make_error(Errc::too_large, "certificates: more than " + std::to_string(opts.max_entries) +
                                                 " entries under " + sanitize_utf8(root) +
                                                 "; name narrower paths");
        }
        const std::string path = base + "/" + e.name;
        switch (e.type) {
          case FileType::regular:
            file(path);
            break;
          case FileType::directory:
            if (dir.depth + 1 > opts.max_depth) {
              return make_error(Errc::too_large, "certificates: " + sanitize_utf8(path) + " is more than " +
                                                     std::to_string(opts.max_depth) + " levels below " +
                                                     sanitize_utf8(root));
            }
            subdirs.push_back(Pending{path, dir.depth + 1});
            break;
          case FileType::symlink: {
            auto st = ctx.host().stat(path, true);
            if (st && st->type == FileType::regular) {
              file(path);
            } else if (st && st->type == FileType::directory) {
              if (linked_dirs++ == 0) first_linked_dir = path;
            } else if (certificate_file_name(e.name)) {
              ctx.warn(
                  sanitize_utf8(path),
                  st ? "a link to a " + std::string(file_type_name(st->type)) + "; not read"
                     : "a link that does not resolve inside the host (" + st.error().message + "); not read");
            }
            break;
          }
          default:
            if (certificate_file_name(e.name)) {
              ctx.warn(sanitize_utf8(path), std::string("a ") + file_type_name(e.type) + "; not read");
            }
            break;
        }
      }
      // Depth-first in name order: push the subdirectories reversed.
      for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) todo.push_back(std::move(*it));
    }
    return Status::success();
  }

  Status root(const std::string& path) {
    auto st = ctx.host().stat(path, true);
    if (st.is(Errc::not_found)) {
      ctx.warn(sanitize_utf8(path), "absent on the host: no certificates there");
      return Status::success();
    }
    if (!st) {
      ctx.warn(sanitize_utf8(path), "not read: " + st.error().message);
      return Status::success();
    }
    if (st->type == FileType::regular) {
      file(path);
      return Status::success();
    }
    if (st->type == FileType::directory) return directory(path);
    ctx.warn(sanitize_utf8(path), std::string("a ") + file_type_name(st->type) + "; not read");
    return Status::success();
  }
};

}  // namespace

Status collect_certificates(CollectContext& ctx, std::vector<Row>& rows, const CertWalkOptions& opts) {
  const Value arg = ctx.args().empty() ? null_value() : ctx.args().front();
  const auto* text = std::get_if<std::string>(&arg);
  if (text == nullptr) {
    return make_error(
        Errc::invalid,
        "certificates: expected a JSON array of paths, e.g. certificates('[\"/etc/ssl/certs\"]')");
  }
  auto paths = parse_path_list(*text);
  if (!paths) return make_error(paths.error().code, "certificates paths: " + paths.error().message);
  Walk walk{ctx, arg, rows, opts, 0, 0, {}, static_cast<std::int64_t>(std::time(nullptr)), {}};
  for (const auto& p : *paths) {
    Status st = walk.root(p);
    if (!st) return st;
  }
  if (walk.linked_dirs > 0) {
    ctx.warn(sanitize_utf8(walk.first_linked_dir),
             std::to_string(walk.linked_dirs) +
                 " symlinks to directories were not followed; name their "
                 "targets to include them");
  }
  return Status::success();
}

namespace {

TableDef certificates_table() {
  using T = ColumnType;
  return TableDef{
      "certificates",
      "X.509 certificates in the files and directories named by the argument, a JSON array of absolute host "
      "paths: certificates('[\"/etc/ssl/certs\", \"/etc/nginx/ssl\"]'). One row per certificate: PEM files "
      "may hold several (CA bundles), a DER file one. Directories are walked recursively in name order; "
      "symlinks to files are read and reported under the link's path (so a certificate reached through two "
      "links is two rows, as in /etc/ssl/certs); symlinks to directories are not followed (a warning). Files "
      "that are not certificates (keys, requests, other files) give no row; a .pem/.crt/.cer/.der file that "
      "does not parse, is over 1 MiB or is not a regular file is a warning. More than 10 000 entries or 16 "
      "levels below a path is an error. An absent path is a warning and no rows.",
      {
          {"paths", T::text, "the argument: a JSON array of absolute host paths (files or directories)",
           true},
          {"file", T::text, "host path of the file, as walked (a link's own path)"},
          {"cert_index", T::integer, "1-based position among the file's certificate blocks"},
          {"format", T::text, "'pem' or 'der'"},
          {"subject", T::text, "subject name, RFC 2253 (CN=example.org,O=Example), UTF-8"},
          {"issuer", T::text, "issuer name, RFC 2253"},
          {"serial", T::text, "serial number in upper-case hex, as openssl x509 -serial prints it"},
          {"not_before", T::integer, "start of validity, seconds since the epoch (UTC)"},
          {"not_before_iso", T::text, "start of validity, ISO 8601 UTC: 2001-01-01T00:00:00Z"},
          {"not_after", T::integer, "end of validity, seconds since the epoch (UTC)"},
          {"not_after_iso", T::text, "end of validity, ISO 8601 UTC"},
          {"expired", T::integer, "1 when not_after was before the time of the scan"},
          {"key_type", T::text,
           "public key algorithm: rsa, rsa-pss, ec, ed25519, ed448, dsa, dh...; for a key OpenSSL cannot "
           "load, the short name of its algorithm OID"},
          {"key_bits", T::integer,
           "key size in bits as OpenSSL gives it (RSA modulus; EC field: 256 for P-256; 256 for Ed25519, 456 "
           "for Ed448); NULL if unknown"},
          {"curve", T::text,
           "EC keys: OpenSSL's group name (prime256v1 is NIST P-256, secp384r1 P-384, secp521r1 P-521); NULL "
           "otherwise"},
          {"signature_algorithm", T::text,
           "OpenSSL's long name of the signature algorithm: sha256WithRSAEncryption, ecdsa-with-SHA256, "
           "ED25519, RSASSA-PSS, sha1WithRSAEncryption...; the OID when OpenSSL does not know it"},
          {"signature_hash", T::text,
           "digest of the signature: sha256, sha1, md5...; NULL for Ed25519/Ed448"},
          {"sha256_fingerprint", T::text, "SHA-256 of the DER certificate, 64 lower-case hex digits"},
          {"self_signed", T::integer,
           "1 when the certificate is its own issuer as OpenSSL recognises a trust anchor: subject equals "
           "issuer and the key identifiers agree (X509_self_signed without verifying the signature, which "
           "OpenSSL does not check for an anchor either)"},
          {"is_ca", T::integer, "1 when basicConstraints says CA:TRUE"},
      },
      [](CollectContext& ctx, std::vector<Row>& rows) { return collect_certificates(ctx, rows); },
  };
}

}  // namespace

VIGIL_REGISTER_TABLE(certificates_table());

}  // namespace vigil::collectors
