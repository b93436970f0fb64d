/* The prebuilt addon's stand-ins (bindings/node/prebuilt/) against the real thing on this machine:
 *   - acid_compat_dl_find_object against glibc's _dl_find_object (2.35+) for code addresses in
 *     this program, libc and libicuuc, and for an address in no object;
 *   - acid_compat_arc4random: values differ (not a constant), and it is callable;
 *   - the ICU subset (icu_saslprep_ascii.c, linked in) against Debian's libicuuc.so.72 (dlopen'd,
 *     its own symbols through dlsym): mongoc's exact call sequence on random ASCII strings, with
 *     control characters, must give the same status and output; non-ASCII must be refused. */
#define _GNU_SOURCE
#define ACID_COMPAT_NO_ALIASES
#include "../../bindings/node/prebuilt/glibc_compat.c"

#include <unicode/usprep.h>
#include <unicode/ustring.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef UChar *(*from_utf8_fn)(UChar *, int32_t, int32_t *, const char *, int32_t, UErrorCode *);
typedef char *(*to_utf8_fn)(char *, int32_t, int32_t *, const UChar *, int32_t, UErrorCode *);
typedef UStringPrepProfile *(*open_fn)(UStringPrepProfileType, UErrorCode *);
typedef int32_t (*prepare_fn)(const UStringPrepProfile *, const UChar *, int32_t, UChar *, int32_t,
                              int32_t, UParseError *, UErrorCode *);
typedef void (*close_fn)(UStringPrepProfile *);

struct icu {
  from_utf8_fn from_utf8;
  to_utf8_fn to_utf8;
  open_fn open;
  prepare_fn prepare;
  close_fn close;
};

static int failures = 0;
#define CHECK(cond, ...)                     \
  do {                                       \
    if (!(cond)) {                           \
      fprintf(stderr, "FAIL: " __VA_ARGS__); \
      fprintf(stderr, "\n");                 \
      ++failures;                            \
    }                                        \
  } while (0)

/* mongoc 1.23's _mongoc_sasl_prep_impl, step by step: 0 and *out on success, else the step that
 * failed (1-6). */
static int saslprep(const struct icu *f, const char *in, char **out) {
  UErrorCode e = U_ZERO_ERROR;
  int32_t in16_len = 0, out16_len, out8_len = 0;
  *out = NULL;
  f->from_utf8(NULL, 0, &in16_len, in, (int32_t)strlen(in), &e);
  if (e != U_BUFFER_OVERFLOW_ERROR) return 1;
  e = U_ZERO_ERROR;
  UChar *in16 = calloc((size_t)in16_len + 1, sizeof(UChar));
  f->from_utf8(in16, in16_len + 1, NULL, in, (int32_t)strlen(in), &e);
  if (e) {
    free(in16);
    return 2;
  }
  UStringPrepProfile *prep = f->open(USPREP_RFC4013_SASLPREP, &e);
  if (e) {
    free(in16);
    return 3;
  }
  out16_len = f->prepare(prep, in16, in16_len, NULL, 0, USPREP_DEFAULT, NULL, &e);
  if (e != U_BUFFER_OVERFLOW_ERROR) {
    free(in16);
    f->close(prep);
    return 4;
  }
  e = U_ZERO_ERROR;
  UChar *out16 = calloc((size_t)out16_len + 1, sizeof(UChar));
  f->prepare(prep, in16, in16_len, out16, out16_len + 1, USPREP_DEFAULT, NULL, &e);
  free(in16);
  f->close(prep);
  if (e) {
    free(out16);
    return 5;
  }
  f->to_utf8(NULL, 0, &out8_len, out16, out16_len, &e);
  if (e != U_BUFFER_OVERFLOW_ERROR) {
    free(out16);
    return 6;
  }
  e = U_ZERO_ERROR;
  *out = calloc((size_t)out8_len + 1, 1);
  f->to_utf8(*out, out8_len + 1, NULL, out16, out16_len, &e);
  free(out16);
  if (e) {
    free(*out);
    *out = NULL;
    return 7;
  }
  return 0;
}

static void compare_find_object(void *pc, const char *what) {
  struct dl_find_object real, ours;
  int r = _dl_find_object(pc, &real), o = acid_compat_dl_find_object(pc, &ours);
  CHECK(r == o, "%s: _dl_find_object %d, ours %d", what, r, o);
  if (r == 0 && o == 0) {
    CHECK(real.dlfo_eh_frame == ours.dlfo_eh_frame, "%s: eh_frame %p vs %p", what,
          real.dlfo_eh_frame, ours.dlfo_eh_frame);
    CHECK(real.dlfo_map_start == ours.dlfo_map_start, "%s: map_start %p vs %p", what,
          real.dlfo_map_start, ours.dlfo_map_start);
  }
}

int main(void) {
  void *icu_lib = dlopen("libicuuc.so.72", RTLD_NOW | RTLD_LOCAL);
  if (!icu_lib) {
    fprintf(stderr, "dlopen libicuuc.so.72: %s\n", dlerror());
    return 1;
  }
  struct icu real = {
      (from_utf8_fn)dlsym(icu_lib, "u_strFromUTF8_72"),
      (to_utf8_fn)dlsym(icu_lib, "u_strToUTF8_72"), (open_fn)dlsym(icu_lib, "usprep_openByType_72"),
      (prepare_fn)dlsym(icu_lib, "usprep_prepare_72"), (close_fn)dlsym(icu_lib, "usprep_close_72")};
  struct icu ours = {u_strFromUTF8, u_strToUTF8, usprep_openByType, usprep_prepare, usprep_close};
  if (!real.from_utf8 || !real.to_utf8 || !real.open || !real.prepare || !real.close) {
    fprintf(stderr, "libicuuc.so.72 lacks a function: %s\n", dlerror());
    return 1;
  }
  CHECK((void *)real.prepare != (void *)ours.prepare, "the test compares ICU with itself");

  compare_find_object((void *)&main, "this program");
  compare_find_object((void *)&printf, "libc");
  compare_find_object((void *)real.prepare, "libicuuc");
  compare_find_object((void *)16, "no object");

  uint32_t a = acid_compat_arc4random(), b = acid_compat_arc4random(), c = acid_compat_arc4random();
  CHECK(!(a == b && b == c), "arc4random returned %u three times", a);

  /* Random ASCII strings, with control characters in about one in eight. */
  srand(20261207);
  int compared = 0, succeeded = 0, prohibited = 0;
  for (int n = 0; n < 20000; ++n) {
    char in[40];
    int len = 1 + rand() % 38;
    for (int i = 0; i < len; ++i)
      in[i] = (char)(rand() % 8 == 0 ? 1 + rand() % 31 : 32 + rand() % 95);
    if (n % 3 == 0)
      for (int i = 0; i < len; ++i)
        if (in[i] < 32) in[i] = 'x';
    if (n % 97 == 0) in[len - 1] = 0x7F;
    in[len] = 0;
    char *r_out, *o_out;
    int r = saslprep(&real, in, &r_out), o = saslprep(&ours, in, &o_out);
    CHECK(r == o, "\"%s\": ICU failed at step %d, ours at %d", in, r, o);
    if (r == 0 && o == 0) CHECK(strcmp(r_out, o_out) == 0, "\"%s\": %s vs %s", in, r_out, o_out);
    succeeded += r == 0;
    prohibited += r == 4; /* refused by the preflight of usprep_prepare */
    free(r_out);
    free(o_out);
    ++compared;
  }
  /* Both outcomes occur: the comparison is not vacuous. */
  CHECK(succeeded > 5000 && prohibited > 5000, "%d succeeded, %d prohibited", succeeded,
        prohibited);
  /* Non-ASCII: ours refuses at the prepare step (ICU would map or normalise). */
  const char *non_ascii[] = {"p\xC3\xA4ssword", "I\xC2\xADX", "\xE2\x85\xA8", "\xF0\x9F\x98\x80"};
  for (size_t i = 0; i < sizeof non_ascii / sizeof *non_ascii; ++i) {
    char *o_out;
    CHECK(saslprep(&ours, non_ascii[i], &o_out) == 4, "non-ASCII %zu was not refused", i);
    free(o_out);
  }
  /* UTF-8 conversion itself is exact both ways, also for non-ASCII and invalid input. */
  const char *utf8[] = {"abc",      "p\xC3\xA4ssword", "\xE2\x85\xA8",     "\xF0\x9F\x98\x80z",
                        "\xC0\xAF", "\xED\xA0\x80",    "\xF4\x90\x80\x80", "ab\xE2\x85"};
  for (size_t i = 0; i < sizeof utf8 / sizeof *utf8; ++i) {
    UChar r16[16], o16[16];
    int32_t rl = -1, ol = -1;
    UErrorCode re = U_ZERO_ERROR, oe = U_ZERO_ERROR;
    real.from_utf8(r16, 16, &rl, utf8[i], -1, &re);
    ours.from_utf8(o16, 16, &ol, utf8[i], -1, &oe);
    CHECK(U_SUCCESS(re) == U_SUCCESS(oe), "utf8 %zu: ICU %d, ours %d", i, re, oe);
    if (U_SUCCESS(re) && U_SUCCESS(oe)) {
      CHECK(rl == ol && memcmp(r16, o16, (size_t)rl * sizeof(UChar)) == 0, "utf8 %zu differs", i);
      char r8[32], o8[32];
      re = oe = U_ZERO_ERROR;
      real.to_utf8(r8, 32, NULL, r16, rl, &re);
      ours.to_utf8(o8, 32, NULL, o16, ol, &oe);
      CHECK(re == oe && strcmp(r8, o8) == 0, "back to utf8 %zu differs", i);
    }
  }
  dlclose(icu_lib);
  if (failures) return 1;
  printf(
      "ok: _dl_find_object and arc4random stand-ins; ICU subset = ICU on %d ASCII strings "
      "(%d prepared, %d prohibited)\n",
      compared, succeeded, prohibited);
  return 0;
}
