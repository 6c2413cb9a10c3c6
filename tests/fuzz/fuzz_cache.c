/*
** libFuzzer harness for the cache reader (src/input/cache.c, h5read.c,
** cache_inspect.c).
**
** HDF5 reads files by name, so each input is written to a per-process file
** (/dev/shm, else /tmp), then:
**   1. qa_cache_load with a layer and the names required ("final", 1),
**   2. qa_cache_load with neither (NULL, 0),
**   3. qa_cache_inspect printing to /dev/null,
** freeing everything, all in this process (QAUDIT_NO_ISOLATION=1: no
** trial read in a forked child).  After each input no HDF5 identifier may
** remain open (a leaked dataset/type/space id keeps the file open inside
** the library): that is reported as a crash, like a leak of memory.
**
** Built and run by scripts/fuzz.sh; see tests/fuzz/README.md.
*/
#include <fcntl.h>
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/cache.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];
static FILE *devnull;

static void pick_path(void) {
  const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(path, sizeof path, "%s/qaudit-fuzz-%ld.h5", dir, (long)getpid());
}

static void remove_file(void) {
  if (path[0]) unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  /* Read in this process, not in a forked child (input/isolate.h): the
  ** sanitizers and the coverage counters must see what the reader does. */
  setenv("QAUDIT_NO_ISOLATION", "1", 1);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  devnull = fopen("/dev/null", "w");
  if (!devnull) abort();
  atexit(remove_file);   /* a crash leaves its file: scripts/fuzz.sh removes it */
  return 0;
}

/* A fresh file (new inode) for every input, so that nothing HDF5 may still
** hold about the previous one can be confused with it. */
static int write_input(const uint8_t *data, size_t size) {
  if (!path[0]) pick_path();   /* per process: fork mode runs several */
  unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return -1;
  size_t done = 0;
  while (done < size) {
    ssize_t w = write(fd, data + done, size - done);
    if (w <= 0) { close(fd); return -1; }
    done += (size_t)w;
  }
  return close(fd);
}

static void check_no_open_ids(const char *after) {
  ssize_t open_ids = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (open_ids != 0) {
    fprintf(stderr, "fuzz_cache: %zd HDF5 identifier(s) left open after %s\n",
            open_ids, after);
    abort();
  }
}

static void load(const char *layer, int require_names) {
  qa_cache_opts opts = {layer, require_names, 0, 0};
  qa_cache *cache = NULL;
  qa_error err = {0};
  int rc = qa_cache_load(path, &opts, &cache, &err);
  /* The contract of qa_cache_load: exactly one of (cache, error). */
  if (rc == 0 && !cache) abort();
  if (rc != 0 && (cache || err.code == 0 || !err.msg[0])) abort();
  if (cache) (void)qa_cache_memory(cache);
  qa_cache_free(cache);
  check_no_open_ids(layer ? "qa_cache_load(final, 1)" : "qa_cache_load(NULL, 0)");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (write_input(data, size)) return 0;
  load("final", 1);
  load(NULL, 0);
  qa_error err = {0};
  qa_cache_inspect(path, devnull, &err);
  check_no_open_ids("qa_cache_inspect");
  unlink(path);
  return 0;
}
