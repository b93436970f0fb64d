/* A program that knows libacidentity only from its installed header and library. */
#include <acidentity/acidentity.h>

#include <stdio.h>

int main(int argc, char **argv) {
  acid_client_options opts = ACID_CLIENT_OPTIONS_INIT;
  acid_client *client = NULL;
  char code[ACID_USER_CODE_SIZE];
  if (argc != 2) return 64;
  opts.store_uri = argv[1];
  if (acid_client_create(&client, &opts) != ACID_OK) {
    fprintf(stderr, "create: %s\n", acid_error_last()->message);
    return 1;
  }
  if (acid_user_code_allocate(client, 1760400000000LL, code) != ACID_OK) {
    fprintf(stderr, "allocate: %s\n", acid_error_last()->message);
    acid_client_destroy(client);
    return 1;
  }
  printf("allocated %s with libacidentity %s\n", code, acid_version(NULL, NULL, NULL));
  acid_client_destroy(client);
  return 0;
}
