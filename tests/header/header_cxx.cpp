// The public header, alone, in C++ with -pedantic: usable from C++ without any wrapper.
#include <acidentity/acidentity.h>

#include <cstdio>
#include <cstring>

int main() {
  acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
  if (opts.version != ACID_CLIENT_OPTIONS_VERSION) return 1;
  if (acid_user_code_check("ac25xadeh") != ACID_OK) return 2;
  const acid_error *err = acid_error_last();
  if (err == nullptr) return 3;
  std::printf("C++ consumer ok: %s\n", acid_version(nullptr, nullptr, nullptr));
  return 0;
}
