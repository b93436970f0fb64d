/*
 * provision: hands one Auth0 log-stream delivery (a payload file) to libacidentity and prints the
 * HTTP answer the webhook would give. Linked through pkg-config (see Makefile).
 *
 *   AUTH0_LOG_TOKEN=... ACID_STORE=sqlite:store.db ./provision payload.json
 *
 * Settings come from the environment (ACID_STORE, AUTH0_LOG_TOKEN, ...). The request carries the
 * configured token as its Authorization header, as Auth0 sends it; ACID_EXAMPLE_AUTHORIZATION
 * overrides it (to see a 403). Exit status: 0 for HTTP 200, 1 for another answer, 2 when the
 * library failed.
 */
#include <stdio.h>
#include <stdlib.h>

#include <acidentity/acidentity.h>

static int fail(const char *what) {
  const acid_error *e = acid_error_last();
  fprintf(stderr, "%s: %s (%s) %s\n", what, e->message, acid_status_name(e->code), e->detail_json);
  return 2;
}

/* Reads a whole file into a malloc'd buffer. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t cap = 0;
  *len = 0;
  if (f == NULL) return NULL;
  for (;;) {
    if (*len == cap) {
      char *grown = realloc(buf, cap ? cap * 2 : 4096);
      if (grown == NULL) break;
      buf = grown;
      cap = cap ? cap * 2 : 4096;
    }
    size_t n = fread(buf + *len, 1, cap - *len, f);
    *len += n;
    if (n == 0) {
      if (ferror(f)) break;
      fclose(f);
      return buf;
    }
  }
  fclose(f);
  free(buf);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PAYLOAD_FILE\n", argv[0]);
    return 64;
  }
  size_t len = 0;
  char *body = read_file(argv[1], &len);
  if (body == NULL) {
    perror(argv[1]);
    return 2;
  }

  acid_client *client = NULL;
  if (acid_client_create(&client, NULL) != ACID_OK) {
    free(body);
    return fail("acid_client_create");
  }
  const char *authorization = getenv("ACID_EXAMPLE_AUTHORIZATION");
  if (authorization == NULL) authorization = getenv("AUTH0_LOG_TOKEN");

  int status = 0;
  char *answer = NULL;
  int rc = acid_handle_log_stream(client, ACID_TENANT_AESTHETIC, authorization, body, len, &status,
                                  &answer);
  free(body);
  if (rc != ACID_OK) {
    rc = fail("acid_handle_log_stream");
    acid_client_destroy(client);
    return rc;
  }
  printf("HTTP %d\n%s\n", status, answer);
  acid_free(answer);
  acid_client_destroy(client);
  return status == 200 ? 0 : 1;
}
