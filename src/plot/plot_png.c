/*
** The figures' PNG encoder (plot.h, qa_plot_png_write): 8-bit RGB,
** every row with the "Up" filter (the difference to the row above: the
** plots' large flat areas and horizontal runs become zeros), deflated by
** zlib at level 3.
**
** cairo's own writer (libpng's defaults: all five filters tried on every
** row, zlib level 6) took 4.2 % of a whole report's CPU time on the
** benchmark's seven figures (0.16 s of 3.8 s); this one takes 1.5 %, for
** files 16 % larger (719 KB against 620 KB; level 6 would be 634 KB at
** 2.6 %, level 1 with the run-length strategy 912 KB).  The PDF embeds the
** IDAT data unchanged (doc_png.c), which any filter suits.
*/
#include "plot/plot.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDAT_BYTES (1u << 16)

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* One chunk: length, type, data, CRC over type and data. */
static int chunk(FILE *f, const char *type, const unsigned char *data, uint32_t len) {
  unsigned char head[8], tail[4];
  put_be32(head, len);
  memcpy(head + 4, type, 4);
  uLong crc = crc32(0L, (const Bytef *)type, 4);
  if (len) crc = crc32(crc, data, len);
  put_be32(tail, (uint32_t)crc);
  return fwrite(head, 1, 8, f) != 8 || (len && fwrite(data, 1, len, f) != len) ||
                 fwrite(tail, 1, 4, f) != 4
             ? -1
             : 0;
}

/* Deflates what z holds until it needs more input (flush Z_NO_FLUSH) or
** has finished (Z_FINISH), writing each full output buffer as an IDAT. */
static int pump(FILE *f, z_stream *z, unsigned char *out, int flush) {
  for (;;) {
    int st = deflate(z, flush);
    if (st == Z_STREAM_ERROR) return -1;
    if (z->avail_out == 0 || (flush == Z_FINISH && st == Z_STREAM_END)) {
      uint32_t n = IDAT_BYTES - z->avail_out;
      if (n && chunk(f, "IDAT", out, n)) return -1;
      z->next_out = out;
      z->avail_out = IDAT_BYTES;
      if (st == Z_STREAM_END) return 0;
      continue;
    }
    if (flush != Z_FINISH && z->avail_in == 0) return 0;
  }
}

int qa_plot_png_write(FILE *f, const unsigned char *pixels, int w, int h, int stride) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  size_t rowb = (size_t)w * 3 + 1;
  unsigned char ihdr[13], *row = malloc(3 * rowb), *out = malloc(IDAT_BYTES);
  z_stream z;
  memset(&z, 0, sizeof z);
  int rc = -1, ready = 0;
  if (!row || !out || w <= 0 || h <= 0) goto done;
  if (deflateInit2(&z, 3, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) goto done;
  ready = 1;
  put_be32(ihdr, (uint32_t)w);
  put_be32(ihdr + 4, (uint32_t)h);
  ihdr[8] = 8;   /* bit depth */
  ihdr[9] = 2;   /* RGB */
  ihdr[10] = ihdr[11] = ihdr[12] = 0;   /* deflate, adaptive filtering, no interlace */
  if (fwrite(sig, 1, 8, f) != 8 || chunk(f, "IHDR", ihdr, 13)) goto done;
  z.next_out = out;
  z.avail_out = IDAT_BYTES;
  /* raw bytes of this row and the last (zeros above the first), filtered row */
  unsigned char *cur = row, *prev = row + rowb, *filt = row + 2 * rowb;
  memset(prev, 0, rowb);
  for (int y = 0; y < h; y++) {
    /* cairo's RGB24: one native-endian 32-bit word per pixel, 0x00RRGGBB. */
    const uint32_t *px = (const uint32_t *)(const void *)(pixels + (size_t)y * (size_t)stride);
    for (int x = 0; x < w; x++) {
      cur[1 + 3 * x] = (unsigned char)(px[x] >> 16);
      cur[2 + 3 * x] = (unsigned char)(px[x] >> 8);
      cur[3 + 3 * x] = (unsigned char)px[x];
    }
    filt[0] = 2;   /* Up */
    for (size_t b = 1; b < rowb; b++) filt[b] = (unsigned char)(cur[b] - prev[b]);
    z.next_in = filt;
    z.avail_in = (uInt)rowb;
    if (pump(f, &z, out, Z_NO_FLUSH)) goto done;
    unsigned char *t = cur; cur = prev; prev = t;
  }
  if (pump(f, &z, out, Z_FINISH) || chunk(f, "IEND", NULL, 0)) goto done;
  rc = 0;
done:
  if (ready) deflateEnd(&z);
  free(row);
  free(out);
  return rc;
}
