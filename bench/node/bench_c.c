/*
 * The C side of bench/node: the same operations the Node benchmark times, called directly.
 *   bench_c STORE_PATH N_SYNC N_ASYNC THREADS
 * Prints one JSON object of calls per second:
 *   {"isValidUserCode":..,"getUser":..,"getUserThreads":..,"userCodeStats":..,"metrics":..}
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <acidentity/acidentity.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  const acid_error *e = acid_error_last();
  fprintf(stderr, "%s: %s (%s)\n", what, e->message, acid_status_name(e->code));
  exit(2);
}

static acid_client *client;
static long per_thread;

static void get_user_once(void) {
  char *json = NULL;
  if (acid_user_get(client, "auth0|bench", &json) != ACID_OK) die("acid_user_get");
  acid_free(json);
}

static void *get_user_loop(void *arg) {
  (void)arg;
  for (long i = 0; i < per_thread; i++) get_user_once();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s STORE_PATH N_SYNC N_ASYNC THREADS\n", argv[0]);
    return 64;
  }
  const long n_sync = atol(argv[2]), n_async = atol(argv[3]);
  const int threads = atoi(argv[4]);
  char uri[4096];
  snprintf(uri, sizeof uri, "sqlite:%s", argv[1]);

  acid_client_options o;
  if (acid_client_options_init(&o, ACID_CLIENT_OPTIONS_VERSION) != ACID_OK) die("options");
  o.store_uri = uri;
  o.auth0_log_token = "bench-token";
  o.use_environment = 0;
  if (acid_client_create(&client, &o) != ACID_OK) die("acid_client_create");
  const char *body =
      "[{\"log_id\":\"bench-1\",\"data\":{\"type\":\"ss\",\"date\":\"2025-10-14T08:30:00.000Z\","
      "\"user_id\":\"auth0|bench\",\"user_name\":\"bench@example.com\",\"log_id\":\"bench-1\"}}]";
  int status = 0;
  char *answer = NULL;
  if (acid_handle_log_stream(client, ACID_TENANT_AESTHETIC, "bench-token", body, strlen(body),
                             &status, &answer) != ACID_OK ||
      status != 200) {
    die("acid_handle_log_stream");
  }
  acid_free(answer);

  /* Pure helper. The result is accumulated so the loop cannot be dropped. */
  long valid = 0;
  double t0 = now_s();
  for (long i = 0; i < n_sync; i++) valid += acid_user_code_check("ac25xadeh") == ACID_OK;
  double sync_s = now_s() - t0;
  if (valid != n_sync) die("acid_user_code_check");

  for (long i = 0; i < n_async / 10; i++) get_user_once(); /* warm-up */
  t0 = now_s();
  for (long i = 0; i < n_async; i++) get_user_once();
  double get_s = now_s() - t0;

  per_thread = n_async / threads;
  pthread_t tids[64];
  if (threads < 1 || threads > 64) die("threads");
  t0 = now_s();
  for (int i = 0; i < threads; i++) pthread_create(&tids[i], NULL, get_user_loop, NULL);
  for (int i = 0; i < threads; i++) pthread_join(tids[i], NULL);
  double mt_s = now_s() - t0;

  t0 = now_s();
  for (long i = 0; i < n_async; i++) {
    char *json = NULL;
    if (acid_user_code_stats(client, 25, &json) != ACID_OK) die("acid_user_code_stats");
    acid_free(json);
  }
  double stats_s = now_s() - t0;

  /* An in-memory call (no store): what remains in Node is the binding's own round trip. */
  t0 = now_s();
  for (long i = 0; i < n_async; i++) {
    char *text = NULL;
    if (acid_metrics(client, &text) != ACID_OK) die("acid_metrics");
    acid_free(text);
  }
  double metrics_s = now_s() - t0;

  printf(
      "{\"isValidUserCode\":%.0f,\"getUser\":%.0f,\"getUserThreads\":%.0f,\"userCodeStats\":%.0f,"
      "\"metrics\":%.0f}\n",
      (double)n_sync / sync_s, (double)n_async / get_s, (double)(per_thread * threads) / mt_s,
      (double)n_async / stats_s, (double)n_async / metrics_s);
  acid_client_destroy(client);
  return 0;
}
