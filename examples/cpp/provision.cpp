// provision (C++): the C example's job through CMake's find_package(acidentity), with the C ABI
// wrapped in RAII. Hands one Auth0 log-stream delivery (a payload file) to libacidentity and
// prints the HTTP answer the webhook would give.
//
//   AUTH0_LOG_TOKEN=... ACID_STORE=sqlite:store.db ./provision payload.json
//
// Settings come from the environment; the request carries AUTH0_LOG_TOKEN as its Authorization
// (ACID_EXAMPLE_AUTHORIZATION overrides it). Exit status: 0 for HTTP 200, 1 for another answer,
// 2 when the library failed.
#include <acidentity/acidentity.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

namespace {

struct ClientDeleter {
  void operator()(acid_client *c) const { acid_client_destroy(c); }
};
using Client = std::unique_ptr<acid_client, ClientDeleter>;

struct FreeDeleter {
  void operator()(char *p) const { acid_free(p); }
};
using LibString = std::unique_ptr<char, FreeDeleter>;

int fail(const char *what) {
  const acid_error *e = acid_error_last();
  std::cerr << what << ": " << e->message << " (" << acid_status_name(e->code) << ") "
            << e->detail_json << "\n";
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " PAYLOAD_FILE\n";
    return 64;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << argv[1] << ": cannot open\n";
    return 2;
  }
  const std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};

  acid_client_options options;
  if (acid_client_options_init(&options, ACID_CLIENT_OPTIONS_VERSION) != ACID_OK) {
    return fail("acid_client_options_init");
  }
  acid_client *raw = nullptr;
  if (acid_client_create(&raw, &options) != ACID_OK) return fail("acid_client_create");
  const Client client(raw);

  const char *authorization = std::getenv("ACID_EXAMPLE_AUTHORIZATION");
  if (authorization == nullptr) authorization = std::getenv("AUTH0_LOG_TOKEN");
  int status = 0;
  char *answer = nullptr;
  if (acid_handle_log_stream(client.get(), ACID_TENANT_AESTHETIC, authorization, body.data(),
                             body.size(), &status, &answer) != ACID_OK) {
    return fail("acid_handle_log_stream");
  }
  const LibString owned(answer);
  std::cout << "HTTP " << status << "\n" << owned.get() << "\n";
  return status == 200 ? 0 : 1;
}
