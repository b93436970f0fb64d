/* The public header, alone, in strict C99: every declaration must be valid C. */
#include <acidentity/acidentity.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
  char code[ACID_USER_CODE_SIZE];
  int major = 0;
  if (opts.version != ACID_CLIENT_OPTIONS_VERSION) return 1;
  if (strcmp(acid_version(&major, NULL, NULL), ACID_VERSION_STRING) != 0) return 2;
  if (acid_user_code_check("ac25xadeh") != ACID_OK) return 3;
  if (acid_user_code_parse("AC25XADEH", 9, code) != ACID_OK || strcmp(code, "ac25xadeh") != 0) {
    return 4;
  }
  if (acid_error_last() == NULL) return 5;
  printf("C99 consumer ok: libacidentity %d\n", major);
  return 0;
}
