/* Where pixgate's AVX2 routines replace libjpeg's scalar C ones after libjpeg has set up its
 * modules: the colour converters and the forward DCT. Their records are declared in
 * libjpeg's internal header, which only C can include, so the struct layouts come from
 * the very headers mozjpeg-sys compiled libjpeg with (src/render/libjpeg/colour.rs and
 * fdct.rs say when each replacement is made). */

#include <stddef.h>
#include <stdio.h>

#define JPEG_INTERNALS
#include "jpeglib.h"

typedef void (*pixgate_decompress_convert)(j_decompress_ptr, JSAMPIMAGE, JDIMENSION,
                                           JSAMPARRAY, int);
typedef void (*pixgate_compress_convert)(j_compress_ptr, JSAMPARRAY, JSAMPIMAGE, JDIMENSION,
                                         int);
typedef void (*pixgate_forward_dct)(j_compress_ptr, jpeg_component_info *, JSAMPARRAY,
                                    JBLOCKROW, JDIMENSION, JDIMENSION, JDIMENSION,
                                    JBLOCKROW);

/* 1 when the decompressor's colour converter is now `ours`, 0 when it has none yet. */
int pixgate_jpeg_replace_deconverter(j_decompress_ptr cinfo, pixgate_decompress_convert ours)
{
  if (cinfo->cconvert == NULL)
    return 0;
  cinfo->cconvert->color_convert = ours;
  return 1;
}

/* 1 when the compressor's colour converter is now `ours`, 0 when it has none yet. */
int pixgate_jpeg_replace_converter(j_compress_ptr cinfo, pixgate_compress_convert ours)
{
  if (cinfo->cconvert == NULL)
    return 0;
  cinfo->cconvert->color_convert = ours;
  return 1;
}

/* 1 when the compressor's forward DCT is now `ours`, 0 when it has none yet. */
int pixgate_jpeg_replace_forward_dct(j_compress_ptr cinfo, pixgate_forward_dct ours)
{
  if (cinfo->fdct == NULL)
    return 0;
  cinfo->fdct->forward_DCT = ours;
  return 1;
}
