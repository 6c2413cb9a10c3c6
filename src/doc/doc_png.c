/*
** A figure's PNG placed in the PDF as it is (doc_internal.h,
** qa_doc_png_image): PDF's FlateDecode with the PNG predictors
** (/Predictor 15) reads a PNG's IDAT data unchanged (PDF 1.7, 7.4.4.4), so
** the pixels are neither decoded nor compressed a second time, where
** libharu's HPDF_LoadPngImageFromFile inflates them and deflates them
** again.  Only the PNGs qaudit draws take this path (8-bit RGB or grey,
** not interlaced, no palette or alpha); any other goes through libharu.
**
** libharu 2.3 writes a stream's dictionary itself and drops a "Filter" key
** from a stream it did not filter, so the filter and its parameters are
** written by the dictionary's write_fn, after its other keys.
*/
#include "doc/doc_internal.h"

#include <hpdf_doc.h>
#include <hpdf_objects.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The parsed PNG: its size, colours and concatenated IDAT bytes. */
typedef struct png_data {
  uint32_t w, h;
  int colors;                 /* 3 RGB, 1 grey */
  unsigned char *idat;
  size_t len;
} png_data;

/* 0 and the data of a PNG this path takes, 1 for one it does not, -1 on
** a read error or out of memory. */
static int parse_png(const char *path, png_data *out) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  unsigned char head[8];
  int rc = 1, seen_ihdr = 0;
  size_t cap = 0;
  if (fread(head, 1, 8, f) != 8 || memcmp(head, sig, 8) != 0) goto done;
  for (;;) {
    unsigned char ch[8];
    if (fread(ch, 1, 8, f) != 8) goto done;
    uint32_t n = be32(ch);
    if (n > (1u << 30)) goto done;
    if (!memcmp(ch + 4, "IHDR", 4)) {
      unsigned char h[13];
      if (n != 13 || fread(h, 1, 13, f) != 13) goto done;
      out->w = be32(h);
      out->h = be32(h + 4);
      /* depth 8; colour type 2 (RGB) or 0 (grey); deflate; adaptive
      ** filters; not interlaced */
      if (h[8] != 8 || (h[9] != 2 && h[9] != 0) || h[10] || h[11] || h[12]) goto done;
      if (!out->w || !out->h || out->w > (1u << 20) || out->h > (1u << 20)) goto done;
      out->colors = h[9] == 2 ? 3 : 1;
      seen_ihdr = 1;
      n = 0;
    } else if (!memcmp(ch + 4, "IDAT", 4)) {
      if (!seen_ihdr) goto done;
      if (out->len + n > cap) {
        size_t nc = cap ? cap : 1 << 16;
        while (nc < out->len + n) nc *= 2;
        unsigned char *p = realloc(out->idat, nc);
        if (!p) { rc = -1; goto done; }
        out->idat = p;
        cap = nc;
      }
      if (fread(out->idat + out->len, 1, n, f) != n) goto done;
      out->len += n;
      n = 0;
    } else if (!memcmp(ch + 4, "IEND", 4)) {
      rc = seen_ihdr && out->len ? 0 : 1;
      goto done;
    } else if (!memcmp(ch + 4, "PLTE", 4) || !memcmp(ch + 4, "tRNS", 4)) {
      goto done;              /* palette or transparency: libharu's path */
    }
    if (n && fseek(f, (long)n, SEEK_CUR) != 0) goto done;
    if (fseek(f, 4, SEEK_CUR) != 0) goto done;   /* the chunk's CRC */
  }
done:
  fclose(f);
  if (rc) {
    free(out->idat);
    out->idat = NULL;
  }
  return rc;
}

/* The filter and its parameters, after the dictionary's other keys. */
static HPDF_STATUS write_filter(HPDF_Dict dict, HPDF_Stream stream) {
  HPDF_Number w = HPDF_Dict_GetItem(dict, "Width", HPDF_OCLASS_NUMBER);
  HPDF_Number c = HPDF_Dict_GetItem(dict, "QaColors", HPDF_OCLASS_NUMBER);
  char buf[160];
  snprintf(buf, sizeof buf,
           "/Filter /FlateDecode\012/DecodeParms << /Predictor 15 /Colors %d "
           "/BitsPerComponent 8 /Columns %d >>\012",
           c ? (int)c->value : 3, w ? (int)w->value : 1);
  return HPDF_Stream_WriteStr(stream, buf);
}

HPDF_Image qa_doc_png_image(HPDF_Doc pdf, const char *path, int *other) {
  png_data pd;
  *other = 0;
  int rc = parse_png(path, &pd);
  if (rc) {
    *other = rc > 0;
    return NULL;
  }
  HPDF_Dict img = HPDF_DictStream_New(pdf->mmgr, pdf->xref);
  HPDF_STATUS st = img ? HPDF_OK : HPDF_FAILD_TO_ALLOC_MEM;
  if (img) {
    img->header.obj_class |= HPDF_OSUBCLASS_XOBJECT;
    img->filter = HPDF_STREAM_FILTER_NONE;   /* the bytes are deflated already */
    img->write_fn = write_filter;
    st |= HPDF_Dict_AddName(img, "Type", "XObject");
    st |= HPDF_Dict_AddName(img, "Subtype", "Image");
    st |= HPDF_Dict_AddNumber(img, "Width", (HPDF_INT32)pd.w);
    st |= HPDF_Dict_AddNumber(img, "Height", (HPDF_INT32)pd.h);
    st |= HPDF_Dict_AddName(img, "ColorSpace", pd.colors == 3 ? "DeviceRGB" : "DeviceGray");
    st |= HPDF_Dict_AddNumber(img, "BitsPerComponent", 8);
    /* Read by write_filter; a hidden key is not written into the PDF. */
    HPDF_Number colors = HPDF_Number_New(pdf->mmgr, pd.colors);
    if (colors) {
      st |= HPDF_Dict_Add(img, "QaColors", colors);
      colors->header.obj_id |= HPDF_OTYPE_HIDDEN;
    } else {
      st |= HPDF_FAILD_TO_ALLOC_MEM;
    }
    st |= HPDF_Stream_Write(img->stream, pd.idat, (HPDF_UINT)pd.len);
  }
  free(pd.idat);
  return st == HPDF_OK ? (HPDF_Image)img : NULL;
}
