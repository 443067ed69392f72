/* Which coefficients of a block are nonzero, as a bit mask in zigzag order (bit k for the
 * k'th coefficient of jpeg_natural_order), found with one SSE2 compare per sixteen
 * coefficients and a table from natural to zigzag order. Shared by huffman.c and
 * huffman_decode.c; x86-64 only. */

#ifndef PIXGATE_ZIGZAG_H
#define PIXGATE_ZIGZAG_H

#include <emmintrin.h>

/* For the n'th four coefficients in natural order and which of them are nonzero, those
 * coefficients' bits in zigzag order. */
typedef struct {
  unsigned long long bits[16][16];
} zigzag_table;

static void zigzag_table_build(zigzag_table *t)
{
  int zigzag_of[DCTSIZE2];
  for (int k = 0; k < DCTSIZE2; k++)
    zigzag_of[jpeg_natural_order[k]] = k;
  for (int n = 0; n < 16; n++)
    for (int nonzero = 0; nonzero < 16; nonzero++) {
      unsigned long long bits = 0;
      for (int i = 0; i < 4; i++)
        if (nonzero & (1 << i))
          bits |= 1ULL << zigzag_of[4 * n + i];
      t->bits[n][nonzero] = bits;
    }
}

/* Bit k set where the k'th coefficient in zigzag order is nonzero. */
static inline unsigned long long zigzag_nonzero(const zigzag_table *t, const JCOEF *block)
{
  const __m128i zero = _mm_setzero_si128();
  unsigned long long natural = 0;
  for (int i = 0; i < 4; i++) {
    __m128i a = _mm_loadu_si128((const __m128i *)(block + 16 * i));
    __m128i b = _mm_loadu_si128((const __m128i *)(block + 16 * i + 8));
    __m128i zeros = _mm_packs_epi16(_mm_cmpeq_epi16(a, zero), _mm_cmpeq_epi16(b, zero));
    natural |= (unsigned long long)(unsigned)_mm_movemask_epi8(zeros) << (16 * i);
  }
  natural = ~natural;
  unsigned long long zigzag = 0;
  for (int n = 0; n < 16; n++)
    zigzag |= t->bits[n][(natural >> (4 * n)) & 15];
  return zigzag;
}

#endif
