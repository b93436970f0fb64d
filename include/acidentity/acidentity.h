/*
 * libacidentity: user codes, account provisioning and ATProto PDS sync for aesthetic.computer.
 *
 * This header is the library's only public surface. Conventions (see docs/abi.md):
 *
 *  - Every fallible call returns an int: ACID_OK (0) on success, a negative ACID_E* code on
 *    failure. Details of the last failure on the calling thread are in acid_error_last().
 *  - Objects are opaque and come in create/destroy pairs; destroy functions accept NULL.
 *  - Option structs start with an `unsigned int version`; initialise them with the matching
 *    ACID_*_OPTIONS_INIT macro or acid_*_options_init(). Fields are only ever appended.
 *  - Strings returned through `char **` out-parameters are allocated by the library and must be
 *    released with acid_free(). Strings returned as `const char *` belong to the library.
 *  - Rich results (summaries, reports) are UTF-8 JSON documents.
 *  - The library never prints, never aborts, and never lets a C++ exception cross this boundary.
 *
 * Compiles as C99 and as C++.
 */
#ifndef ACIDENTITY_H
#define ACIDENTITY_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#if defined(ACID_BUILDING_LIBRARY)
#define ACID_EXTERN __declspec(dllexport)
#else
#define ACID_EXTERN __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define ACID_EXTERN __attribute__((visibility("default")))
#else
#define ACID_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version ------------------------------------------------------------------------------- */

#define ACID_VERSION_MAJOR 0
#define ACID_VERSION_MINOR 1
#define ACID_VERSION_PATCH 0
#define ACID_VERSION_STRING "0.1.0"
/* A single comparable number: major * 10000 + minor * 100 + patch. */
#define ACID_VERSION_NUMBER \
  (ACID_VERSION_MAJOR * 10000 + ACID_VERSION_MINOR * 100 + ACID_VERSION_PATCH)

/*
 * The version of the library actually loaded (which may differ from the header's macros when a
 * program runs against a newer shared library). Any out-parameter may be NULL. Returns the
 * version string, e.g. "0.1.0"; never NULL.
 */
ACID_EXTERN const char *acid_version(int *major, int *minor, int *patch);

/* ---- Status codes and errors --------------------------------------------------------------- */

/* Values are part of the ABI: never renumbered, only appended. */
typedef enum acid_status {
  ACID_OK = 0,
  ACID_EINVAL = -1,       /* an argument, input document or option is invalid; nothing changed */
  ACID_ENOMEM = -2,       /* out of memory */
  ACID_ENOTFOUND = -3,    /* the thing asked for does not exist */
  ACID_EEXISTS = -4,      /* it already exists (a duplicate) */
  ACID_ECONFLICT = -5,    /* a concurrent change won (compare-and-set failed, value taken) */
  ACID_ESTORE = -6,       /* the store failed permanently (I/O error, corruption, bad schema) */
  ACID_EUNAVAILABLE = -7, /* transient: store busy, network down, 5xx; retrying may succeed */
  ACID_EEXHAUSTED = -8,   /* every user code of a signup year is allocated */
  ACID_ECONFIG = -9,      /* configuration missing or malformed; the message names the setting */
  ACID_EPDS = -10,        /* the PDS refused the request permanently (detail has the XRPC error) */
  ACID_EAUTH = -11,       /* authentication failed (token, password, admin secret) */
  ACID_ERATELIMIT = -12,  /* rate limited; detail carries retry_after_ms when known */
  ACID_ETIMEOUT = -13,    /* a deadline passed */
  ACID_EVERSION = -14,    /* an options struct carries a version this library does not know */
  ACID_EINTERNAL = -15,   /* a bug in the library; the message says where */
  ACID_ENOACCOUNT = -16,  /* the user is known but has no usable PDS account (none yet, deleted,
                             or no stored password); detail {"sub","state","reason"} */
  ACID_ESEALED = -17      /* a stored credential cannot be opened with the configured key (no
                             key, a key id not in the ring, or it fails authentication) */
} acid_status;

/*
 * The last error raised on the calling thread. Never NULL. The pointed-to object stays valid
 * until the next acid_* call on the same thread. Only meaningful right after a call returned a
 * negative status: a successful call does not clear it.
 */
typedef struct acid_error {
  int code;                /* an acid_status value */
  const char *message;     /* human-readable, never NULL, never contains a secret */
  const char *detail_json; /* a JSON object with machine-readable detail, never NULL ("{}") */
} acid_error;

ACID_EXTERN const acid_error *acid_error_last(void);

/* Resets the calling thread's last error to ACID_OK / "" / "{}". */
ACID_EXTERN void acid_error_clear(void);

/* A short constant name for a status code ("ACID_EINVAL"), never NULL. */
ACID_EXTERN const char *acid_status_name(int status);

/* Releases memory the library handed out through a `char **` out-parameter. NULL is a no-op. */
ACID_EXTERN void acid_free(void *ptr);

/* ---- Client -------------------------------------------------------------------------------- */

typedef struct acid_client acid_client;

/*
 * Receives one structured JSON log line (state changes, failures; never a secret). May be called
 * from any thread that runs library work, including several at once.
 */
typedef void (*acid_log_fn)(const char *json_line, void *user_data);
/*
 * Receives a JSON object for every permanent failure (e.g. a user whose PDS account could not be
 * created after the configured attempts): {"sub":...,"kind":...,"attempts":N,"error":{...}};
 * and, when the client is created, for every MongoDB index the store opened without (existing
 * data violates it; docs/mongodb.md): {"kind":"store_index_missing","problem":"..."}.
 */
typedef void (*acid_alert_fn)(const char *json, void *user_data);

/* 2 added handle_changed_token; a version 1 struct (without it) is still accepted. */
#define ACID_CLIENT_OPTIONS_VERSION 2

/*
 * Every string may be NULL: the setting then comes from its environment variable (named in
 * brackets) when use_environment is non-zero, else from the default. Strings are copied.
 */
typedef struct acid_client_options {
  unsigned int version; /* ACID_CLIENT_OPTIONS_VERSION */
  /* "sqlite:PATH" (embedded, default "sqlite:acidentity.db") or "mongodb://..." [ACID_STORE] */
  const char *store_uri;
  const char *pds_url;               /* [PDS_URL] */
  const char *pds_admin_password;    /* [PDS_ADMIN_PASSWORD] */
  const char *pds_handle_domain;     /* [ACID_PDS_HANDLE_DOMAIN], default at.aesthetic.computer */
  const char *auth0_log_token;       /* webhook token, aesthetic tenant [AUTH0_LOG_TOKEN] */
  const char *sotce_auth0_log_token; /* webhook token, sotce tenant [SOTCE_AUTH0_LOG_TOKEN] */
  const char *credentials_key;       /* base64 AES-256 key or key ring [ACID_CREDENTIALS_KEY] */
  /* -1: from [ACID_ALLOW_PLAINTEXT_CREDENTIALS] (default no); 0: no; 1: yes */
  int allow_plaintext_credentials;
  int max_attempts;    /* 0: from [ACID_MAX_ATTEMPTS] (default 8) */
  int use_environment; /* non-zero (default): unset fields fall back to the environment */
  acid_log_fn log;     /* NULL: no log lines */
  void *log_user_data;
  acid_alert_fn alert; /* NULL: alerts are still stored on the user and counted */
  void *alert_user_data;
  /* How long a worker holds a job before others may take it over (a crashed worker's jobs
   * resume after this). 0: from [ACID_JOB_LEASE_MS], default 120000; at least 1000. */
  int job_lease_ms;
  /* version >= 2: token of POST /handle-changed [ACID_HANDLE_CHANGED_TOKEN] */
  const char *handle_changed_token;
} acid_client_options;

/* clang-format off */
#define ACID_CLIENT_OPTIONS_INIT \
  {ACID_CLIENT_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1, 0, 1, \
   NULL, NULL, NULL, NULL, 0, NULL}
/* clang-format on */

/* Fills `opts` with defaults for `version`. ACID_EVERSION if the version is unknown. */
ACID_EXTERN int acid_client_options_init(acid_client_options *opts, unsigned int version);

/*
 * Reads the configuration, opens the store (creating and migrating an embedded one as needed)
 * and returns a client in *out. `opts` may be NULL for all defaults. A missing or malformed
 * setting is ACID_ECONFIG naming the variable. A client is safe to use from several threads.
 */
ACID_EXTERN int acid_client_create(acid_client **out, const acid_client_options *opts);

/* Closes the store and frees the client. NULL is a no-op. */
ACID_EXTERN void acid_client_destroy(acid_client *client);

/* ---- User codes ---------------------------------------------------------------------------- */

/*
 * A user code is "ac" + the last two digits of the signup year (UTC) + consonant, vowel,
 * consonant, vowel, consonant (consonants "bcdfghjkmnprstvwxyz", vowels "aeou"), e.g.
 * "ac25xadeh". Buffers for one code need ACID_USER_CODE_SIZE bytes (9 characters + NUL).
 */
#define ACID_USER_CODE_LENGTH 9
#define ACID_USER_CODE_SIZE 10
/* Codes per signup year: 19 * 4 * 19 * 4 * 19. */
#define ACID_USER_CODES_PER_YEAR 109744

/*
 * ACID_OK if `code` is a valid user code (exactly the rule the deployed system applies:
 * ^ac[0-9]{2}[a-z]{5}$ with at least one vowel and one consonant in the suffix), otherwise
 * ACID_EINVAL with the reason in acid_error_last().
 */
ACID_EXTERN int acid_user_code_check(const char *code);

/*
 * Finds the first "ac" + 2 digits + 5 letters in `text` (case-insensitive, `len` bytes) and
 * writes it, lowercased, to `out`. ACID_ENOTFOUND if there is none.
 */
ACID_EXTERN int acid_user_code_parse(const char *text, size_t len, char out[ACID_USER_CODE_SIZE]);

/*
 * A random code in the format for a signup at `signup_unix_ms` (milliseconds since the epoch),
 * drawn with a CSPRNG. A preview only: it is not reserved and may already be taken.
 */
ACID_EXTERN int acid_user_code_generate(int64_t signup_unix_ms, char out[ACID_USER_CODE_SIZE]);

/*
 * Allocates a code for a signup at `signup_unix_ms` from the client's store: unique by
 * construction (a per-year counter through a keyed permutation), skipping codes already taken
 * and blocklisted suffixes. ACID_EEXHAUSTED when the year has no code left.
 */
ACID_EXTERN int acid_user_code_allocate(acid_client *client, int64_t signup_unix_ms,
                                        char out[ACID_USER_CODE_SIZE]);

/*
 * Allocation statistics as JSON, for one two-digit year (0-99) or every year seen (year < 0):
 * {"years":[{"year":25,"allocated":N,"legacy":N,"blocked":N,"remaining":N,"capacity":109744,
 *            "counter":N,"skipped":N}]}
 * allocated: handed out by the allocator; legacy: taken by the old random scheme; blocked:
 * blocklisted suffixes; remaining: still available; counter: positions consumed; skipped:
 * positions passed over. Free *out_json with acid_free().
 */
ACID_EXTERN int acid_user_code_stats(acid_client *client, int year, char **out_json);

/* ---- Provisioning ------------------------------------------------------------------------- */

typedef enum acid_tenant { ACID_TENANT_AESTHETIC = 0, ACID_TENANT_SOTCE = 1 } acid_tenant;

/*
 * Handles one Auth0 log-stream delivery (the webhook body, `len` bytes, and the request's
 * Authorization header or NULL). Returns ACID_OK whenever an HTTP answer was produced, with the
 * status in *http_status and the JSON body in *response_json (free with acid_free):
 *   200 every valid entry's facts are durable; {"received","applied","duplicates","ignored",
 *       "codes_assigned","jobs_scheduled","rejected":[{"index","log_id","kind","reason",
 *       "dead_letter"}],"dropped":[{"log_id","field","reason"}]}
 *   An entry refused on its own (invalid text, nested deeper than 32, not an object, a bad
 *   required field) is listed in "rejected" and kept as a dead letter (acid_dead_letters_list);
 *   an unusable optional field is listed in "dropped" and the event applied without it.
 *   400 body malformed as a whole, nothing written   413 body over 1 MiB, nothing written
 *   401/403 missing/wrong token
 *   503 no token configured for the tenant (fail closed), or the store failed: Auth0 retries
 */
ACID_EXTERN int acid_handle_log_stream(acid_client *client, acid_tenant tenant,
                                       const char *authorization, const char *body, size_t len,
                                       int *http_status, char **response_json);

/*
 * Dead letters: webhook entries refused one by one, kept verbatim with their reason.
 * acid_dead_letters_list: options_json {"include_replayed":bool,"limit":N (1..10000, default
 * 100)}; *list_json {"dead_letters":[{"id","tenant","kind","reason","log_id","entry" (or
 * "entry_base64" when the bytes are not UTF-8),"first_seen","last_seen","deliveries",
 * "replayed_at","replay_outcome"}]}, newest first, replayed ones only when asked.
 * acid_dead_letter_replay: applies the letter's entry again as its stream would (no token:
 * an operator call) and records the outcome on the letter; *outcome_json {"at","status",
 * "applied","reply"}. ACID_EINVAL when the entry is still refused (the outcome is recorded and
 * is the error's detail), ACID_ENOTFOUND for an unknown id, ACID_EUNAVAILABLE when the store
 * failed (retry).
 */
ACID_EXTERN int acid_dead_letters_list(acid_client *client, const char *options_json,
                                       char **list_json);
ACID_EXTERN int acid_dead_letter_replay(acid_client *client, const char *id, char **outcome_json);

/*
 * Runs due provisioning jobs (create / delete PDS accounts) until `max_jobs` ran, nothing is
 * due, or `budget_ms` passed (for serverless callers with a time budget). *result_json:
 * {"ran","done","retried","failed","superseded","remaining_due"}.
 */
ACID_EXTERN int acid_run_jobs(acid_client *client, int64_t budget_ms, int max_jobs,
                              char **result_json);

/* A user's record as JSON (code, verification, state, DID, PDS handle, last error; never the
 * password). ACID_ENOTFOUND for an unknown sub. */
ACID_EXTERN int acid_user_get(acid_client *client, const char *sub, char **user_json);

/* Moves a failed user back to pending with a fresh job. ACID_ECONFLICT if not failed. */
ACID_EXTERN int acid_user_retry(acid_client *client, const char *sub);

/*
 * A person's AC handle changed. Records it (AC rules; unique case-insensitively: ACID_ECONFLICT
 * if another person holds it) and, when they have a PDS account or one is being created,
 * schedules the job that moves the PDS handle: it logs in with the stored credentials, calls
 * com.atproto.identity.updateHandle, and falls back to the code handle when the PDS refuses the
 * new one (reserved, invalid, taken). Idempotent: the same handle twice makes one PDS call at
 * most; a change racing the account's creation ends with the newest handle on the PDS.
 */
ACID_EXTERN int acid_handle_changed(acid_client *client, const char *sub, const char *handle);

/*
 * The HTTP form of acid_handle_changed, for the daemon's POST /handle-changed and serverless
 * functions: body {"sub": "...", "handle": "..."} (`len` bytes), authorized by the
 * ACID_HANDLE_CHANGED_TOKEN (bare or "Bearer <token>"; none configured refuses every request).
 * Returns ACID_OK whenever an HTTP answer was produced, with the status in *http_status and the
 * JSON body in *response_json (free with acid_free):
 *   200 {"sub","handle"} recorded, the PDS update scheduled    400 bad body or handle
 *   401/403 missing/wrong token    404 unknown sub    409 handle taken by someone else
 *   413 body too large    503 no token configured, or the store failed (retry)
 */
ACID_EXTERN int acid_handle_changed_request(acid_client *client, const char *authorization,
                                            const char *body, size_t len, int *http_status,
                                            char **response_json);

/* ---- Serving the HTTP endpoints (the daemon, or any server of the caller's own) ---------- */

/* The one size limit of a webhook body, in bytes: larger bodies are refused with 413. */
ACID_EXTERN size_t acid_webhook_max_body_bytes(void);

/*
 * Checks a request's Authorization header (or NULL) before its body is read, so a server can
 * refuse a wrong token without reading the body. `route` is "auth0-events/aesthetic",
 * "auth0-events/sotce" or "handle-changed". *http_status is 0 when the request may proceed (the
 * handler checks again); otherwise 401/403/503 with the JSON body the handler would have
 * answered in *response_json (free with acid_free), counted in the same metrics.
 */
ACID_EXTERN int acid_request_authorize(acid_client *client, const char *route,
                                       const char *authorization, int *http_status,
                                       char **response_json);

/*
 * Writes one log line of the caller's own (a JSON object) through the client's log callback,
 * after the same redaction pass as the library's own lines. ACID_EINVAL if `json_line` is not a
 * JSON object; ACID_OK and nothing written when the client has no log callback.
 */
ACID_EXTERN int acid_log_write(acid_client *client, const char *json_line);

/* The configured daemon address ACID_DAEMON_LISTEN as "HOST:PORT" ("[v6]:PORT"; default
 * "127.0.0.1:8787") in *listen (free with acid_free). */
ACID_EXTERN int acid_daemon_listen(acid_client *client, char **listen);

/* Deprecated: the same as acid_handle_changed (its first name; it stays because SONAME 0 only
 * adds functions, docs/abi.md). */
ACID_EXTERN int acid_user_set_handle(acid_client *client, const char *sub, const char *handle);

/*
 * Deletes a person, as an Auth0 `sdu` event does: the user is marked deleted, a job deletes the
 * PDS account (com.atproto.admin.deleteAccount; acid_run_jobs runs it), and the user code is
 * kept forever. Repeating it changes nothing. ACID_ENOTFOUND for an unknown sub.
 */
ACID_EXTERN int acid_user_delete(acid_client *client, const char *sub);

/*
 * The PDS handle the rules choose for an AC handle (NULL or "" for none) and a user code, before
 * asking the PDS: {"handle":"jeffrey.at.aesthetic.computer","fallback":false,"reason":""}.
 * `domain` NULL means the client-independent default "at.aesthetic.computer".
 */
ACID_EXTERN int acid_pds_handle_choose(const char *ac_handle, const char *code, const char *domain,
                                       char **result_json);

/* The PDS's com.atproto.server.describeServer answer, as JSON. */
ACID_EXTERN int acid_pds_describe(acid_client *client, char **result_json);

/*
 * Checks the set-up without needing a working client: configuration (which variables are set,
 * never their values), the store (schema; MongoDB indexes, created when `fix` is non-zero), the
 * PDS (answers, admin password accepted, invites, handle domain), the Auth0 webhook tokens and
 * M2M clients, and the credentials key. `opts` may be NULL (environment only). *report_json:
 * {"checks":[{"name","status":"ok|warn|fail","message","detail"?}],"ok":bool}; *all_ok is 1
 * when no check failed.
 */
ACID_EXTERN int acid_doctor(const acid_client_options *opts, int fix, int *all_ok,
                            char **report_json);

/* Counters in the Prometheus text format. */
ACID_EXTERN int acid_metrics(acid_client *client, char **text);

/* ---- PDS credentials for the rest of the system (docs/migrating.md) ------------------------ */

/*
 * A person's PDS credentials, the password opened (unsealed; a legacy plaintext value as it is):
 * *credentials_json = {"did","handle","password","service"} (service: PDS_URL). For code that
 * must log in itself; prefer acid_pds_session. Free with acid_free (it holds a secret: do not
 * log it). ACID_ENOTFOUND: unknown sub; ACID_ENOACCOUNT: no usable PDS account (none yet,
 * deleted, no stored password; detail {"sub","reason","state"}); ACID_ESEALED: the stored value
 * cannot be opened with the configured key (detail {"sub","reason","key_id"}); ACID_ECONFIG:
 * PDS_URL is not set.
 */
ACID_EXTERN int acid_pds_credentials(acid_client *client, const char *sub, char **credentials_json);

/*
 * A PDS session of the person, from a per-client cache: the first call logs in
 * (com.atproto.server.createSession with the stored credentials), later calls return the cached
 * tokens, which are refreshed (refreshSession) shortly before the access token expires, or
 * replaced by a new login when the PDS refuses the refresh. Thread-safe; concurrent calls for
 * one person share a single login or refresh. Needs PDS_URL only (no admin secret).
 * *session_json = {"did","handle","service","accessJwt","refreshJwt"}; free with acid_free.
 * Errors as acid_pds_credentials, plus the PDS's own (ACID_EAUTH when it refuses the stored
 * password, ACID_ERATELIMIT, ACID_EUNAVAILABLE).
 */
ACID_EXTERN int acid_pds_session(acid_client *client, const char *sub, char **session_json);

/*
 * How the stored PDS passwords stand: *status_json = {"accounts","sealed","old_key",
 * "plaintext","missing","service_plaintext","key"}: accounts with a DID; sealed values (old_key:
 * of those, sealed with a key other than the primary); legacy plaintext values of people;
 * missing: a DID without a password; service_plaintext: plaintext values of service accounts
 * (never sealed); key: the primary key id or null.
 */
ACID_EXTERN int acid_credentials_status(acid_client *client, char **status_json);

/*
 * Seals stored PDS passwords with the primary key of ACID_CREDENTIALS_KEY (plaintext ones, and
 * those sealed with an older key of the ring). The only call that rewrites a stored password:
 * provisioning jobs, backfill and the audit never do, because the deployed code reads
 * users.atproto.password in plaintext (migrate those readers first: docs/migrating.md).
 * options_json: {"all":true} | {"user":"SUB"}, plus "dry_run":bool. Each write is
 * compare-and-set. Service accounts (an id that is not an Auth0 sub, like art-guest) are never
 * sealed. *report_json = {"dry_run","key","checked","sealed"|"would_seal","resealed"|
 * "would_reseal","already_sealed","skipped":[{"sub","reason"}],"failed":[{"sub","code","error"}]}.
 * ACID_ECONFIG without a key; ACID_ENOTFOUND for an unknown user; ACID_EINVAL for bad options.
 */
ACID_EXTERN int acid_credentials_seal(acid_client *client, const char *options_json,
                                      char **report_json);

/* ---- Audit and backfill (docs/audit.md) ----------------------------------------------------- */

/*
 * Audits Auth0, the store and the PDS against each other. `options_json` (required) is a JSON
 * object: exactly one scope, {"all":true} (every stored user; orphan PDS accounts too),
 * {"limit":N} (the N most recent Auth0 users per tenant, 1..1000) or {"user":"SUB"} (a stored
 * sub, "sotce-" prefixed for sotce); optional "tenant":"aesthetic"|"sotce"|"all" (default all),
 * "deep":bool (log in with every stored password, rate-limit aware), "deep_concurrency":1..32,
 * "ignore_dids":["did:..."] (PDS accounts that belong to no user by design),
 * "stuck_after_ms":N. Unknown members are ACID_EINVAL. *report_json receives the report
 * ({"schema":"acidentity.audit/1","clean":bool,"summary":{kind:count},"findings":[...],...};
 * free it with acid_free). ACID_OK whenever the audit ran, findings or not; any other status
 * means it could not run (nothing was written).
 */
ACID_EXTERN int acid_audit(acid_client *client, const char *options_json, char **report_json);

/*
 * Progress of a backfill: {"phase":"audit|apply|jobs|verify|done","done":N,"total":N,
 * "failed":N,"elapsed_s":F}. Called on the thread running acid_backfill (and, in the "jobs"
 * phase, from its worker threads, one call at a time); it must not call back into the client.
 * acid_sync_records reports through the same type (see there). The string is valid only during
 * the call.
 */
typedef void (*acid_progress_fn)(const char *progress_json, void *user_data);

/*
 * Audits (same options as acid_audit) and plans one action per finding. Dry run unless the
 * options say "fix":true: then the plan is applied through the provisioning engine's own facts
 * and jobs, the jobs run with "concurrency" workers (1..64, default 4) for at most "budget_ms"
 * (default 600000), and a second audit decides what was fixed. Orphan PDS accounts are deleted
 * only with "delete_orphans":true. Safe to interrupt and re-run: nothing is ever done twice.
 * `progress` may be NULL. *report_json: {"schema":"acidentity.backfill/1","dry_run":bool,
 * "audit":{...},"plan":[{"action","sub","did","kinds","evidence","status","error"}],
 * "totals":{"planned","fixed","failed","skipped"},"jobs":{...},"after":{...}|null,...}.
 */
ACID_EXTERN int acid_backfill(acid_client *client, const char *options_json,
                              acid_progress_fn progress, void *user_data, char **report_json);

/* ---- Content sync: moods, paintings, kidlisp, tapes, pieces in PDS repos (docs/sync.md) ----- */

/*
 * Mirrors content documents into their owners' repos: each document without a record gets a TID
 * record key stored on it before the write; new records go in applyWrites batches of up to 200;
 * edits are putRecord; deleted (moods.deleted, paintings.nuked) documents lose their record.
 * options_json (NULL = {}): {"collection":"moods|paintings|kidlisp|tapes|pieces|all",
 *   "user":"SUB","fix":bool};
 * without "fix":true it is a dry run that writes nothing. Resumable: a pass without "user"
 * continues after the last user a previous, interrupted pass finished. `progress` (may be NULL)
 * is called after each user with {"collection","user","users_done","created","retried",
 * "updated","deleted","failed","skipped_users"}. *report_json (free with acid_free):
 * {"dry_run","collections":[{"collection","nsid","users",
 * "skipped_users","unchanged","created","retried","updated","deleted","failed","fallbacks",
 * "batches" | "would_create","would_update","would_delete"}],"skipped":[...],"failures":[...],
 * "failures_total","pds_calls"}. Per-user and per-document failures are in the report (and the
 * metrics); the call itself fails only when the store or the options do.
 */
ACID_EXTERN int acid_sync_records(acid_client *client, const char *options_json,
                                  acid_progress_fn progress, void *user_data, char **report_json);

/*
 * Compares each user's repo (listRecords) with the store: missing, extra, duplicate (several
 * records with the same "ref") and unreferenced records, and stale pointers. options_json as for
 * acid_sync_records; with "fix":true it repairs: duplicates keep the record the store points to
 * (else exactly one, the oldest), extras are deleted, pointers adopted, missing records written.
 * *report_json: {"fix","collections":[{...counts,"fixed"?}],"issues":[{"collection","user",
 * "kind","ref","rkeys"}],"issues_total","skipped","failures","failures_total","pds_calls"}.
 */
ACID_EXTERN int acid_sync_verify(acid_client *client, const char *options_json, char **report_json);

/*
 * Mirrors ONE document now, by its current state: created, updated or deleted on the PDS (the
 * call to make right after the document is stored). Exactly once like acid_sync_records: the
 * record key is stored on the document before the write and the write is a putRecord at it, so
 * a second call, or a batch sync racing this one, leaves one record. A guest painting goes to
 * the art account's repo; a painting's image URL is derived from ACID_MEDIA_BASE_URL and its
 * thumbnail uploaded as a blob (without one when it cannot be fetched; see blobs_missing).
 * *report_json: {"collection","id","action":"created"|"retried"|"updated"|"deleted"|
 * "unchanged"|"skipped","repo"?,"rkey"?,"uri"?,"cid"?,"reason"?,"blobs_missing"?:[...]}.
 * ACID_ENOTFOUND when the document is absent, ACID_EINVAL for an unknown collection or a
 * document the lexicon refuses; PDS failures carry the XRPC error (the document stays pending
 * for the next acid_sync_records).
 */
ACID_EXTERN int acid_sync_document(acid_client *client, const char *collection, const char *id,
                                   char **report_json);

/*
 * Inserts or updates content documents by _id from JSON lines (`len` bytes), e.g.
 * {"collection":"moods","_id":"...","user":"auth0|...","mood":"...",
 *  "when":"2025-10-14T00:00:00.000Z","deleted":false}. Every line is validated first: on a bad
 * line ACID_EINVAL names it (detail {"line":N}) and nothing is written.
 * *report_json: {"documents","changed","unchanged","collections":{"moods":N,...}}.
 */
ACID_EXTERN int acid_content_import(acid_client *client, const char *jsonl, size_t len,
                                    char **report_json);

/* Marks one document deleted ("moods" / "paintings"); the next sync deletes its record.
 * ACID_ENOTFOUND when absent, ACID_EINVAL for an unknown collection. */
ACID_EXTERN int acid_content_delete(acid_client *client, const char *collection, const char *id);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ACIDENTITY_H */
