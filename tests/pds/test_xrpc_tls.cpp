// TLS verification is always on: against a local HTTPS server with a self-signed certificate
// the client refuses to talk (ErrorKind::tls, permanent), and trusts it only when the
// certificate is given as ca_file. The server is a few lines of OpenSSL on 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "pds/xrpc_client.h"

namespace acid::pds {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509 *x) const { X509_free(x); }
};
struct CtxFree {
  void operator()(SSL_CTX *c) const { SSL_CTX_free(c); }
};

// A self-signed certificate for 127.0.0.1 (SAN IP), valid for a day.
bool make_cert(std::unique_ptr<EVP_PKEY, PkeyFree> &key, std::unique_ptr<X509, X509Free> &cert,
               const std::string &common_name, const std::string &san) {
  key.reset(EVP_EC_gen("P-256"));
  cert.reset(X509_new());
  if (!key || !cert) return false;
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME *name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char *>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  if (!ext) return false;
  X509_add_ext(cert.get(), ext, -1);
  X509_EXTENSION_free(ext);
  X509_EXTENSION *bc =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
  if (!bc) return false;
  X509_add_ext(cert.get(), bc, -1);
  X509_EXTENSION_free(bc);
  return X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
}

// Serves describeServer over TLS to every connection until stopped.
class TlsServer {
 public:
  TlsServer(EVP_PKEY *key, X509 *cert) {
    // SSL_write/SSL_accept write with write(2): a client hanging up mid-handshake (as the refusing
    // client does) must not kill the test process with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    ctx_.reset(SSL_CTX_new(TLS_server_method()));
    SSL_CTX_use_certificate(ctx_.get(), cert);
    SSL_CTX_use_PrivateKey(ctx_.get(), key);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    ::listen(fd_, 8);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~TlsServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  int handshakes_ok() const { return ok_.load(); }

 private:
  void run() {
    while (!stopping_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      SSL *ssl = SSL_new(ctx_.get());
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) == 1) {
        ++ok_;
        char buf[4096];
        std::string request;
        while (request.find("\r\n\r\n") == std::string::npos) {
          const int n = SSL_read(ssl, buf, sizeof buf);
          if (n <= 0) break;
          request.append(buf, static_cast<std::size_t>(n));
        }
        const std::string body =
            R"({"did":"did:web:tls.test","availableUserDomains":[".tls.test"],"inviteCodeRequired":false})";
        const std::string reply =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
        SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
        SSL_shutdown(ssl);
      }
      SSL_free(ssl);
      ::close(c);
    }
  }

  std::unique_ptr<SSL_CTX, CtxFree> ctx_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> ok_{0};
  std::thread thread_;
};

std::string write_pem(X509 *cert) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("acid-xrpc-tls-" + std::to_string(::getpid()) + ".pem");
  FILE *f = std::fopen(path.c_str(), "w");
  if (!f) return {};
  PEM_write_X509(f, cert);
  std::fclose(f);
  return path.string();
}

std::unique_ptr<XrpcClient> client_for(int port, const std::string &ca_file) {
  ClientOptions o;
  o.base_url = "https://127.0.0.1:" + std::to_string(port);
  o.ca_file = ca_file;
  o.retry.max_attempts = 3;
  auto c = XrpcClient::create(o);
  EXPECT_TRUE(c) << c.error().message;
  return c ? std::move(*c) : nullptr;
}

TEST(XrpcTlsTest, UntrustedCertificateIsRefused) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key;
  std::unique_ptr<X509, X509Free> cert;
  ASSERT_TRUE(make_cert(key, cert, "127.0.0.1", "IP:127.0.0.1"));
  TlsServer server(key.get(), cert.get());
  auto c = client_for(server.port(), "");
  ASSERT_TRUE(c);
  auto r = c->describe_server();
  ASSERT_FALSE(r);
  EXPECT_EQ(kind_of(r.error()), ErrorKind::tls) << r.error().message;
  EXPECT_EQ(r.error().code, Code::pds);
  EXPECT_FALSE(is_transient(r.error()));
  EXPECT_EQ(inspect(r.error()).attempts, 1);  // a certificate problem is not retried
}

TEST(XrpcTlsTest, TrustedCertificateWorks) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key;
  std::unique_ptr<X509, X509Free> cert;
  ASSERT_TRUE(make_cert(key, cert, "127.0.0.1", "IP:127.0.0.1"));
  const std::string pem = write_pem(cert.get());
  ASSERT_FALSE(pem.empty());
  TlsServer server(key.get(), cert.get());
  auto c = client_for(server.port(), pem);
  ASSERT_TRUE(c);
  auto r = c->describe_server();
  std::filesystem::remove(pem);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->did, "did:web:tls.test");
  EXPECT_GE(server.handshakes_ok(), 1);
}

TEST(XrpcTlsTest, HostnameIsVerifiedEvenWithATrustedCertificate) {
  // Trusted issuer, wrong name: the certificate is for another host.
  std::unique_ptr<EVP_PKEY, PkeyFree> key;
  std::unique_ptr<X509, X509Free> cert;
  ASSERT_TRUE(make_cert(key, cert, "pds.example.com", "DNS:pds.example.com"));
  const std::string pem = write_pem(cert.get());
  ASSERT_FALSE(pem.empty());
  TlsServer server(key.get(), cert.get());
  auto c = client_for(server.port(), pem);
  ASSERT_TRUE(c);
  auto r = c->describe_server();
  std::filesystem::remove(pem);
  ASSERT_FALSE(r);
  EXPECT_EQ(kind_of(r.error()), ErrorKind::tls) << r.error().message;
}

}  // namespace
}  // namespace acid::pds
