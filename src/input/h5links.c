/*
** Paths inside a cache, resolved without HDF5 ever following a link out
** of it (see h5read.h): h5r_resolve walks a path link by link, following
** soft links by name within the file and refusing external links,
** dangling or cyclic soft links and long chains; and the checks on the
** names of a group's members (UTF-8, QA_NAME_MAX_BYTES).
**
** It must never open an object through an external link, nor open any
** file but the cache itself.
*/
#include "input/h5read.h"

#include <stdlib.h>
#include <string.h>

#include "util/text.h"

/* "/a -> /b -> /a" for a message, from the soft links followed so far. */
static void format_chain(char *buf, size_t cap, char *const *chain, size_t n, const char *last) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s -> ", chain[i]);
  if (used < cap) snprintf(buf + used, cap - used, "%s", last);
}

/* 1 when more components follow position pos of rest. */
static int more_follows(const char *rest, size_t pos) {
  while (rest[pos] == '/') pos++;
  return rest[pos] != '\0';
}

int h5r_resolve(h5r_file *f, const char *path, char *hard, qa_error *err) {
  /* A walk like realpath(3): `hard` holds the links resolved so far, all of
  ** them hard links, and `rest` what is left to walk.  H5Lexists and
  ** H5Lget_info on "hard/name" traverse only hard links and never the last
  ** one, so neither follows a soft or an external link; a soft link's value
  ** is put in front of what is left and walked the same way.  HDF5 itself
  ** is never asked to follow a soft link, which could lead through an
  ** external link into another file (and open a FIFO there). */
  char *rest = malloc(H5R_PATH_MAX), *next = malloc(H5R_PATH_MAX);
  char *chain[H5R_MAX_SOFT];
  size_t n_chain = 0, pos = 0, plen = strlen(path);
  int rc = -1;
  hard[0] = '\0';
  if (!rest || !next) {
    qa_error_set(err, QA_EXIT_IO, f->path, path, "out of memory");
    goto done;
  }
  if (plen >= H5R_PATH_MAX) {
    qa_error_set(err, QA_EXIT_DATA, f->path, NULL, "HDF5 path of %zu bytes, longer than the "
                 "%d allowed", plen, H5R_PATH_MAX - 1);
    goto done;
  }
  memcpy(rest, path, plen + 1);
  for (;;) {
    while (rest[pos] == '/') pos++;
    if (!rest[pos]) break;
    const char *comp = rest + pos;
    size_t len = strcspn(comp, "/"), hlen = strlen(hard);
    pos += len;
    if (len == 1 && comp[0] == '.') continue;
    if (hlen + 1 + len >= H5R_PATH_MAX) {
      qa_error_set(err, QA_EXIT_DATA, f->path, path, "resolves to a path longer than %d bytes",
                   H5R_PATH_MAX - 1);
      goto done;
    }
    hard[hlen] = '/';
    memcpy(hard + hlen + 1, comp, len);
    hard[hlen + 1 + len] = '\0';
    htri_t e = H5Lexists(f->fid, hard, H5P_DEFAULT);
    if (e < 0) {
      qa_error_set(err, QA_EXIT_DATA, f->path, hard, "cannot be resolved (file damaged?)");
      goto done;
    }
    if (e == 0) {
      if (n_chain) {
        char how[600];
        format_chain(how, sizeof how, chain, n_chain, hard);
        qa_error_set(err, QA_EXIT_DATA, f->path, path,
                     "is a dangling soft link (%s, which does not exist)", how);
        goto done;
      }
      rc = 0;
      goto done;
    }
    H5L_info_t li;
    if (H5Lget_info(f->fid, hard, &li, H5P_DEFAULT) < 0) {
      qa_error_set(err, QA_EXIT_DATA, f->path, hard, "cannot be resolved (file damaged?)");
      goto done;
    }
    if (li.type == H5L_TYPE_HARD) {
      if (!more_follows(rest, pos)) continue;
      /* A dataset cannot hold members: say so rather than "absent". */
      H5O_info_t oi;
      if (H5Oget_info_by_name2(f->fid, hard, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
        qa_error_set(err, QA_EXIT_DATA, f->path, hard, "cannot be read (file damaged?)");
        goto done;
      }
      if (oi.type != H5O_TYPE_GROUP) {
        qa_error_set(err, QA_EXIT_DATA, f->path, hard, "is a dataset, expected a group");
        goto done;
      }
    } else if (li.type == H5L_TYPE_EXTERNAL) {
      if (n_chain) {
        char how[600];
        format_chain(how, sizeof how, chain, n_chain, hard);
        qa_error_set(err, QA_EXIT_DATA, f->path, path,
                     "leads through soft links to an external link (%s) into another file; "
                     "a cache must be self-contained", how);
      } else {
        qa_error_set(err, QA_EXIT_DATA, f->path, hard,
                     "is an external link; a cache must be self-contained");
      }
      goto done;
    } else if (li.type == H5L_TYPE_SOFT) {
      for (size_t i = 0; i < n_chain; i++)
        if (strcmp(chain[i], hard) == 0) {
          char how[600];
          format_chain(how, sizeof how, chain + i, n_chain - i, hard);
          qa_error_set(err, QA_EXIT_DATA, f->path, path,
                       "soft links form a cycle (%s); expected links that end at an object",
                       how);
          goto done;
        }
      if (n_chain == H5R_MAX_SOFT) {
        qa_error_set(err, QA_EXIT_DATA, f->path, path,
                     "more than %d soft links in a chain; expected links that end at an "
                     "object", H5R_MAX_SOFT);
        goto done;
      }
      if (!(chain[n_chain] = strdup(hard))) {
        qa_error_set(err, QA_EXIT_IO, f->path, path, "out of memory");
        goto done;
      }
      n_chain++;
      size_t tail = strlen(rest + pos);
      if (li.u.val_size == 0 || li.u.val_size + 1 + tail >= H5R_PATH_MAX ||
          H5Lget_val(f->fid, hard, next, li.u.val_size, H5P_DEFAULT) < 0) {
        qa_error_set(err, QA_EXIT_DATA, f->path, hard,
                     "soft link value cannot be read or is longer than %d bytes",
                     H5R_PATH_MAX - 1);
        goto done;
      }
      next[li.u.val_size - 1] = '\0';
      size_t vlen = strlen(next);
      if (vlen == 0) {
        qa_error_set(err, QA_EXIT_DATA, f->path, hard, "is a soft link to an empty path");
        goto done;
      }
      /* What is left after the link goes after its value; a relative value
      ** is walked from the group holding the link. */
      memcpy(next + vlen, rest + pos, tail + 1);
      char *swap = rest;
      rest = next;
      next = swap;
      pos = 0;
      if (rest[0] == '/') hard[0] = '\0';
      else hard[hlen] = '\0';
    } else {
      qa_error_set(err, QA_EXIT_DATA, f->path, hard,
                   "is a user-defined link; expected hard or soft links only");
      goto done;
    }
  }
  if (!hard[0]) strcpy(hard, "/");
  rc = 1;
done:
  for (size_t i = 0; i < n_chain; i++) free(chain[i]);
  free(rest);
  free(next);
  return rc;
}

int h5r_exists(h5r_file *f, const char *path, qa_error *err) {
  char hard[H5R_PATH_MAX];
  return h5r_resolve(f, path, hard, err);
}

/* Up to `cap` - 4 leading bytes of name, cut at a character boundary and
** before any byte that is not well-formed UTF-8, then "..." if cut. */
static void name_prefix(char *buf, size_t cap, const char *name, size_t len) {
  size_t keep = qa_utf8_invalid_at(name, len < cap - 4 ? len : cap - 4);
  memcpy(buf, name, keep);
  strcpy(buf + keep, keep < len ? "..." : "");
}

int h5r_check_member_name(h5r_file *f, const char *dir, const char *what, const char *name,
                          size_t len, qa_error *err) {
  size_t bad = qa_utf8_invalid_at(name, len);
  if (len <= QA_NAME_MAX_BYTES && bad == len && strlen(name) == len) return 0;
  char shown[48], where[600];
  name_prefix(shown, sizeof shown, name, len);
  snprintf(where, sizeof where, "%s/%s", strcmp(dir, "/") ? dir : "", shown);
  if (len > QA_NAME_MAX_BYTES)
    return qa_error_set(err, QA_EXIT_DATA, f->path, where,
                        "%s name of %zu bytes, longer than the %d allowed", what, len,
                        QA_NAME_MAX_BYTES);
  if (bad == len) bad = strlen(name);       /* a NUL inside the name */
  return qa_error_set(err, QA_EXIT_DATA, f->path, where,
                      "%s name is not valid UTF-8 (byte %zu)", what, bad);
}

int h5r_same_file(h5r_file *f, const char *path, const H5O_info_t *info, qa_error *err) {
  if (info->fileno == f->fileno) return 0;
  return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                      "is reached through an external link (via a soft link) into another "
                      "file; a cache must be self-contained");
}

