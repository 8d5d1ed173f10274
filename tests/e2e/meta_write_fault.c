/* A disk that fails: preloaded into the node by an end-to-end test, it makes every
 * write to LMDB's meta pages (the first two pages of data.mdb) fail with EIO once the
 * file named by SWITCHYARD_FAULT_TRIGGER exists. LMDB then marks the environment as
 * unusable (MDB_FATAL_ERROR; the next transaction gets MDB_PANIC), as it would after a
 * real failed meta write. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);

/* Meta pages: 2 pages of at most 64 KiB (LMDB's largest page size). */
static const off_t meta_region = 2 * 65536;

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  static pwrite_fn real = NULL;
  if (real == NULL) {
    real = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
  }
  const char* trigger = getenv("SWITCHYARD_FAULT_TRIGGER");
  if (offset < meta_region && count < 4096 && trigger != NULL && access(trigger, F_OK) == 0) {
    errno = EIO;
    return -1;
  }
  return real(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  return pwrite(fd, buf, count, offset);
}
