/* Linked into the prebuilt addon only (scripts/package-node), so that it needs nothing newer than
 * glibc 2.34 (AWS Lambda's Amazon Linux 2023). GCC 12's static runtime, built on Debian 12's
 * glibc 2.36, calls two newer functions:
 *   - arc4random (GLIBC_2.36), from libstdc++'s std::random_device;
 *   - _dl_find_object (GLIBC_2.35), from libgcc_eh's unwinder, to find a frame's .eh_frame_hdr.
 * Defined here (hidden, so only the addon's own code binds to them) on top of older interfaces:
 * getrandom (2.25) and dl_iterate_phdr (2.2.5), which is how libgcc found .eh_frame_hdr before
 * _dl_find_object existed. tests/node/prebuilt_compat_test.c compares both with glibc's own. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define ACID_HIDDEN __attribute__((visibility("hidden")))

ACID_HIDDEN uint32_t acid_compat_arc4random(void) {
  uint32_t value;
  for (;;) {
    ssize_t n = getrandom(&value, sizeof value, 0);
    if (n == (ssize_t)sizeof value) return value;
    /* glibc's arc4random cannot fail either: it retries, and aborts when no entropy exists. */
    if (n < 0 && errno != EINTR) abort();
  }
}

struct acid_find {
  uintptr_t pc;
  struct dl_find_object *result;
  int found;
};

static int acid_find_visit(struct dl_phdr_info *info, size_t size, void *data) {
  struct acid_find *find = data;
  uintptr_t start = UINTPTR_MAX, end = 0;
  const ElfW(Phdr) *eh_frame_hdr = NULL;
  int contains = 0;
  (void)size;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_LOAD) {
      uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
      if (s < start) start = s;
      if (e > end) end = e;
      if (find->pc >= s && find->pc < e) contains = 1;
    } else if (ph->p_type == PT_GNU_EH_FRAME) {
      eh_frame_hdr = ph;
    }
  }
  if (!contains) return 0;
  memset(find->result, 0, sizeof *find->result);
  find->result->dlfo_map_start = (void *)start;
  find->result->dlfo_map_end = (void *)end;
  find->result->dlfo_eh_frame =
      eh_frame_hdr ? (void *)(info->dlpi_addr + eh_frame_hdr->p_vaddr) : NULL;
  find->found = 1;
  return 1;
}

/* As glibc's: 0 and *result filled when pc lies in a loaded object, else -1. dlfo_link_map is
 * left NULL (libgcc's unwinder reads only dlfo_eh_frame). */
ACID_HIDDEN int acid_compat_dl_find_object(void *pc, struct dl_find_object *result) {
  struct acid_find find = {(uintptr_t)pc, result, 0};
  dl_iterate_phdr(acid_find_visit, &find);
  return find.found ? 0 : -1;
}

#ifndef ACID_COMPAT_NO_ALIASES
ACID_HIDDEN uint32_t arc4random(void) {
  return acid_compat_arc4random();
}
ACID_HIDDEN int _dl_find_object(void *pc, struct dl_find_object *result) {
  return acid_compat_dl_find_object(pc, result);
}
#endif
