/* The five ICU functions Debian's static libmongoc 1.23 calls for SCRAM-SHA-256's SASLprep
 * (RFC 4013) of a password, for the prebuilt addon only (scripts/package-node). Debian's ICU
 * cannot be linked in (libicuuc.a is not position independent) nor shipped (libicuuc.so.72 needs
 * GLIBCXX_3.4.30, newer than Lambda's libstdc++), and ICU's data alone is 30 MB.
 *
 * For ASCII, SASLprep is exact and simple: every RFC 4013 mapping, NFKC change and bidi rule
 * concerns non-ASCII characters, so an ASCII string maps to itself, and only the ASCII control
 * characters (table C.2.1: U+0000-U+001F, U+007F) are prohibited. A password with non-ASCII
 * characters is refused with U_UNSUPPORTED_ERROR (mongoc: "could not execute SASLPrep for
 * password"), as libmongoc 1.25+ built without ICU does; docs/node.md says so. The status and
 * length conventions (preflighting, NUL termination) are ICU's, which mongoc relies on.
 * tests/node/prebuilt_compat_test.c compares these functions with Debian's ICU. */
#include <unicode/usprep.h>
#include <unicode/ustring.h>

#include <stddef.h>

/* Not exported from the addon: its link exports only the Node-API entry points (exports.map). */

struct UStringPrepProfile {
  int type;
};

static UStringPrepProfile acid_saslprep_profile = {USPREP_RFC4013_SASLPREP};

/* ICU's u_terminateUChars/u_terminateChars: NUL-terminate when there is room, else say why. */
static void acid_terminate(void *dest, size_t unit, int32_t capacity, int32_t length,
                           UErrorCode *status) {
  if (U_FAILURE(*status)) return;
  if (length < capacity) {
    if (unit == sizeof(UChar))
      ((UChar *)dest)[length] = 0;
    else
      ((char *)dest)[length] = 0;
    if (*status == U_STRING_NOT_TERMINATED_WARNING) *status = U_ZERO_ERROR;
  } else if (length == capacity) {
    *status = U_STRING_NOT_TERMINATED_WARNING;
  } else {
    *status = U_BUFFER_OVERFLOW_ERROR;
  }
}

UStringPrepProfile *usprep_openByType(UStringPrepProfileType type, UErrorCode *status) {
  if (status == NULL || U_FAILURE(*status)) return NULL;
  if (type != USPREP_RFC4013_SASLPREP) {
    *status = U_UNSUPPORTED_ERROR;
    return NULL;
  }
  return &acid_saslprep_profile;
}

void usprep_close(UStringPrepProfile *profile) {
  (void)profile;
}

int32_t usprep_prepare(const UStringPrepProfile *prep, const UChar *src, int32_t srcLength,
                       UChar *dest, int32_t destCapacity, int32_t options, UParseError *parseError,
                       UErrorCode *status) {
  (void)options;
  (void)parseError;
  if (status == NULL || U_FAILURE(*status)) return 0;
  if (prep == NULL || (src == NULL && srcLength != 0) || srcLength < -1 || destCapacity < 0 ||
      (dest == NULL && destCapacity > 0)) {
    *status = U_ILLEGAL_ARGUMENT_ERROR;
    return 0;
  }
  int32_t length = 0;
  for (int32_t i = 0; srcLength == -1 ? src[i] != 0 : i < srcLength; ++i, ++length) {
    UChar c = src[i];
    if (c >= 0x80) {
      *status = U_UNSUPPORTED_ERROR; /* non-ASCII: needs ICU's tables */
      return 0;
    }
    if (c < 0x20 || c == 0x7F) {
      *status = U_STRINGPREP_PROHIBITED_ERROR; /* RFC 3454 C.2.1 */
      return 0;
    }
    if (length < destCapacity) dest[length] = c;
  }
  acid_terminate(dest, sizeof(UChar), destCapacity, length, status);
  return length;
}

UChar *u_strFromUTF8(UChar *dest, int32_t destCapacity, int32_t *pDestLength, const char *src,
                     int32_t srcLength, UErrorCode *pErrorCode) {
  if (pErrorCode == NULL || U_FAILURE(*pErrorCode)) return NULL;
  if ((src == NULL && srcLength != 0) || srcLength < -1 || destCapacity < 0 ||
      (dest == NULL && destCapacity > 0)) {
    *pErrorCode = U_ILLEGAL_ARGUMENT_ERROR;
    return NULL;
  }
  const unsigned char *s = (const unsigned char *)src;
  int32_t length = 0;
  for (int32_t i = 0; srcLength == -1 ? s[i] != 0 : i < srcLength;) {
    uint32_t cp = s[i];
    int extra = cp < 0x80                 ? 0
                : cp >= 0xC2 && cp < 0xE0 ? 1
                : cp >= 0xE0 && cp < 0xF0 ? 2
                : cp >= 0xF0 && cp < 0xF5 ? 3
                                          : -1;
    if (extra < 0) {
      *pErrorCode = U_INVALID_CHAR_FOUND;
      return NULL;
    }
    cp &= extra == 0 ? 0x7F : extra == 1 ? 0x1F : extra == 2 ? 0x0F : 0x07;
    for (int k = 1; k <= extra; ++k) {
      unsigned char b = s[i + k];
      if ((srcLength != -1 && i + k >= srcLength) || (b & 0xC0) != 0x80) {
        *pErrorCode = U_INVALID_CHAR_FOUND;
        return NULL;
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    static const uint32_t min_for_length[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      *pErrorCode = U_INVALID_CHAR_FOUND;
      return NULL;
    }
    i += extra + 1;
    if (cp >= 0x10000) {
      if (length < destCapacity) dest[length] = (UChar)(0xD7C0 + (cp >> 10));
      if (length + 1 < destCapacity) dest[length + 1] = (UChar)(0xDC00 | (cp & 0x3FF));
      length += 2;
    } else {
      if (length < destCapacity) dest[length] = (UChar)cp;
      length += 1;
    }
  }
  if (pDestLength) *pDestLength = length;
  acid_terminate(dest, sizeof(UChar), destCapacity, length, pErrorCode);
  return dest;
}

char *u_strToUTF8(char *dest, int32_t destCapacity, int32_t *pDestLength, const UChar *src,
                  int32_t srcLength, UErrorCode *pErrorCode) {
  if (pErrorCode == NULL || U_FAILURE(*pErrorCode)) return NULL;
  if ((src == NULL && srcLength != 0) || srcLength < -1 || destCapacity < 0 ||
      (dest == NULL && destCapacity > 0)) {
    *pErrorCode = U_ILLEGAL_ARGUMENT_ERROR;
    return NULL;
  }
  int32_t length = 0;
  for (int32_t i = 0; srcLength == -1 ? src[i] != 0 : i < srcLength; ++i) {
    uint32_t cp = src[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && (srcLength == -1 || i + 1 < srcLength) &&
        src[i + 1] >= 0xDC00 && src[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (src[i + 1] - 0xDC00u);
      ++i;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      *pErrorCode = U_INVALID_CHAR_FOUND; /* an unpaired surrogate */
      return NULL;
    }
    unsigned char bytes[4];
    int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n == 1)
      bytes[0] = (unsigned char)cp;
    else {
      for (int k = n - 1; k > 0; --k, cp >>= 6) bytes[k] = (unsigned char)(0x80 | (cp & 0x3F));
      bytes[0] = (unsigned char)((n == 2 ? 0xC0 : n == 3 ? 0xE0 : 0xF0) | cp);
    }
    for (int k = 0; k < n; ++k, ++length) {
      if (length < destCapacity) dest[length] = (char)bytes[k];
    }
  }
  if (pDestLength) *pDestLength = length;
  acid_terminate(dest, 1, destCapacity, length, pErrorCode);
  return dest;
}
