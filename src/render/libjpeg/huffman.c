/* Sequential Huffman coding for libjpeg's encoder, visiting only the nonzero coefficients.
 *
 * libjpeg's `encode_mcu_gather` (the counting pass optimised tables need) and its scalar
 * `encode_one_block` walk all 63 AC coefficients of every block in zigzag order, with a
 * branch per coefficient that the predictor misses on every run boundary. Here one SSE2
 * compare finds the nonzero coefficients (in natural order), a table turns that mask into
 * zigzag order, and the loops jump from one set bit to the next. The symbols counted, the
 * codes and the bit buffer's states are libjpeg's, so the file is its bytes to the bit
 * (src/render/libjpeg/compress/tests.rs compares whole encodes).
 *
 * The entropy coder's record is private to jchuff.c, so its layout is mirrored below, from
 * the libjpeg that mozjpeg-sys vendors (the version is pinned in Cargo.toml for that). Ours
 * copies it and starts with it, so libjpeg's own routines for the pass (table building,
 * `finish_pass`) keep working on it unchanged. */

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define JPEG_INTERNALS
#include "jpeglib.h"
#include "jerror.h"
#include "jchuff.h"

#if defined(__x86_64__)

#include "zigzag.h"

/* jchuff.c's `savable_state` and `huff_entropy_encoder` (mozjpeg 4.1 in mozjpeg-sys 2.2.3),
 * on x86-64, where its SIMD and plain bit buffers are the same 64 bits. */
typedef struct {
  unsigned long long put_buffer; /* pending bits, the newest lowest */
  int free_bits;                 /* 64 less the number pending */
  int last_dc_val[MAX_COMPS_IN_SCAN];
} savable_state;

typedef struct {
  struct jpeg_entropy_encoder pub;
  savable_state saved;
  unsigned int restarts_to_go;
  int next_restart_num;
  c_derived_tbl *dc_derived_tbls[NUM_HUFF_TBLS];
  c_derived_tbl *ac_derived_tbls[NUM_HUFF_TBLS];
  long *dc_count_ptrs[NUM_HUFF_TBLS];
  long *ac_count_ptrs[NUM_HUFF_TBLS];
  int simd;
} huff_entropy_encoder;

typedef struct {
  huff_entropy_encoder huff; /* first, so `cinfo->entropy` is also libjpeg's record */
  void (*start_pass_huff)(j_compress_ptr, boolean);
  boolean writes;            /* whether ours also write the scan, or only count */
  zigzag_table zigzag;
} pixgate_huffman;

/* Bytes one block can take with its 0xFF stuffing (libjpeg's BUFSIZE). */
#define BLOCK_BYTES (DCTSIZE2 * 8)

/* Bits in a magnitude, 0 for 0. */
static inline int bit_length(unsigned magnitude)
{
  return magnitude ? 32 - __builtin_clz(magnitude) : 0;
}

/* What a block's walk hands each symbol to: whether it is an AC one, the symbol, and the
 * value whose low `nbits` bits follow it (none for a run of 16 zeros or the end of block). */
typedef void (*symbol_visitor)(void *to, int ac, int symbol, int value, int nbits);

/* The symbols of one block in libjpeg's order (F.1.2.1 and F.1.2.2 of the standard): the DC
 * difference, then each nonzero AC coefficient after its run of zeros, 16-zero symbols for
 * longer runs, and the end of block if zeros are left. Inlined into each caller with its
 * visitor, so the counting and writing passes walk blocks the same way at no cost. */
static inline __attribute__((always_inline)) void walk_block(
    j_compress_ptr cinfo, const pixgate_huffman *h, const JCOEF *block, int last_dc,
    symbol_visitor visit, void *to)
{
  int diff = block[0] - last_dc;
  int nbits = bit_length((unsigned)(diff < 0 ? -diff : diff));
  if (nbits > MAX_COEF_BITS + 1)
    ERREXIT(cinfo, JERR_BAD_DCT_COEF);
  visit(to, 0, nbits, diff, nbits);

  unsigned long long ac = zigzag_nonzero(&h->zigzag, block) & ~1ULL;
  int last = 0;
  while (ac) {
    int k = __builtin_ctzll(ac);
    ac &= ac - 1;
    int run = k - last - 1;
    for (; run > 15; run -= 16)
      visit(to, 1, 0xF0, 0, 0);
    int value = block[jpeg_natural_order[k]];
    nbits = bit_length((unsigned)(value < 0 ? -value : value));
    if (nbits > MAX_COEF_BITS)
      ERREXIT(cinfo, JERR_BAD_DCT_COEF);
    visit(to, 1, (run << 4) + nbits, value, nbits);
    last = k;
  }
  if (last < DCTSIZE2 - 1)
    visit(to, 1, 0, 0, 0);
}

/* The tables one block's symbols are counted in. */
typedef struct {
  long *counts[2]; /* DC, AC */
} symbol_counts;

static inline __attribute__((always_inline)) void count_symbol(void *to, int ac, int symbol,
                                                                int value, int nbits)
{
  (void)value;
  (void)nbits;
  ((symbol_counts *)to)->counts[ac][symbol]++;
}

/* The counting pass's `encode_mcu`, without restarts (the installer rules them out). */
static boolean count_mcu(j_compress_ptr cinfo, JBLOCKROW *MCU_data)
{
  pixgate_huffman *h = (pixgate_huffman *)cinfo->entropy;
  for (int blkn = 0; blkn < cinfo->blocks_in_MCU; blkn++) {
    int ci = cinfo->MCU_membership[blkn];
    jpeg_component_info *compptr = cinfo->cur_comp_info[ci];
    symbol_counts counts = { { h->huff.dc_count_ptrs[compptr->dc_tbl_no],
                               h->huff.ac_count_ptrs[compptr->ac_tbl_no] } };
    walk_block(cinfo, h, MCU_data[blkn][0], h->huff.saved.last_dc_val[ci], count_symbol,
               &counts);
    h->huff.saved.last_dc_val[ci] = MCU_data[blkn][0][0];
  }
  return TRUE;
}

/* Writes a full bit buffer, stuffing a 0 after each 0xFF byte; returns the new end. */
static inline JOCTET *flush(unsigned long long bits, JOCTET *out)
{
  /* A quick test that flags every 0xFF byte (and sometimes other bytes, harmlessly). */
  if (bits & 0x8080808080808080ULL & ~(bits + 0x0101010101010101ULL)) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      JOCTET byte = (JOCTET)(bits >> shift);
      *out++ = byte;
      if (byte == 0xFF)
        *out++ = 0;
    }
  } else {
    unsigned long long big_endian = __builtin_bswap64(bits);
    memcpy(out, &big_endian, 8);
    out += 8;
  }
  return out;
}

/* The bit buffer while a block is written. */
typedef struct {
  unsigned long long bits;
  int free_bits;
  JOCTET *out;
} bit_writer;

/* Appends the low `size` bits of `code` (higher bits clear), flushing when full. */
static inline void put_bits(bit_writer *w, unsigned long long code, int size)
{
  w->free_bits -= size;
  if (w->free_bits < 0) {
    /* The leading bits of `code` complete the buffer; the rest start the next. */
    w->out = flush((w->bits << (size + w->free_bits)) | (code >> -w->free_bits), w->out);
    w->free_bits += 64;
    w->bits = code;
  } else {
    w->bits = (w->bits << size) | code;
  }
}

/* A symbol's code followed by `nbits` bits of `value` (for a negative value, its
 * magnitude's complement, which `value - 1` has in its low bits). */
static inline void put_symbol(bit_writer *w, const c_derived_tbl *table, int symbol, int value,
                              int nbits)
{
  unsigned long long extra = (unsigned)(value < 0 ? value - 1 : value) & ((1U << nbits) - 1);
  unsigned long long code = ((unsigned long long)table->ehufco[symbol] << nbits) | extra;
  put_bits(w, code, table->ehufsi[symbol] + nbits);
}

/* Where one block's codes go: the bit buffer, and the block's component's tables. */
typedef struct {
  bit_writer *w;
  const c_derived_tbl *tables[2]; /* DC, AC */
} symbol_writer;

static inline __attribute__((always_inline)) void write_symbol(void *to, int ac, int symbol,
                                                                int value, int nbits)
{
  symbol_writer *out = (symbol_writer *)to;
  put_symbol(out->w, out->tables[ac], symbol, value, nbits);
}

/* Moves `bytes` written to a side buffer into the destination, emptying it when full. */
static boolean copy_out(j_compress_ptr cinfo, const JOCTET *from, size_t bytes)
{
  struct jpeg_destination_mgr *dest = cinfo->dest;
  while (bytes > 0) {
    size_t n = bytes < dest->free_in_buffer ? bytes : dest->free_in_buffer;
    memcpy(dest->next_output_byte, from, n);
    dest->next_output_byte += n;
    dest->free_in_buffer -= n;
    from += n;
    bytes -= n;
    if (dest->free_in_buffer == 0 && !(*dest->empty_output_buffer)(cinfo))
      return FALSE;
  }
  return TRUE;
}

/* The output pass's `encode_mcu`, without restarts. Each block goes straight into the
 * destination when it has room for the worst case, else through a side buffer. */
static boolean write_mcu(j_compress_ptr cinfo, JBLOCKROW *MCU_data)
{
  pixgate_huffman *h = (pixgate_huffman *)cinfo->entropy;
  struct jpeg_destination_mgr *dest = cinfo->dest;
  bit_writer w = { h->huff.saved.put_buffer, h->huff.saved.free_bits, NULL };
  int last_dc[MAX_COMPS_IN_SCAN];
  memcpy(last_dc, h->huff.saved.last_dc_val, sizeof last_dc);
  JOCTET side[BLOCK_BYTES];

  for (int blkn = 0; blkn < cinfo->blocks_in_MCU; blkn++) {
    int ci = cinfo->MCU_membership[blkn];
    jpeg_component_info *compptr = cinfo->cur_comp_info[ci];
    boolean direct = dest->free_in_buffer >= BLOCK_BYTES;
    JOCTET *start = direct ? dest->next_output_byte : side;
    w.out = start;
    symbol_writer out = { &w, { h->huff.dc_derived_tbls[compptr->dc_tbl_no],
                                h->huff.ac_derived_tbls[compptr->ac_tbl_no] } };
    walk_block(cinfo, h, MCU_data[blkn][0], last_dc[ci], write_symbol, &out);
    last_dc[ci] = MCU_data[blkn][0][0];
    if (direct) {
      dest->free_in_buffer -= (size_t)(w.out - start);
      dest->next_output_byte = w.out;
    } else if (!copy_out(cinfo, side, (size_t)(w.out - start))) {
      return FALSE;
    }
  }

  h->huff.saved.put_buffer = w.bits;
  h->huff.saved.free_bits = w.free_bits;
  memcpy(h->huff.saved.last_dc_val, last_dc, sizeof last_dc);
  return TRUE;
}

/* libjpeg's `start_pass_huff`, then ours for the pass's blocks. */
static void start_pass(j_compress_ptr cinfo, boolean gather_statistics)
{
  pixgate_huffman *h = (pixgate_huffman *)cinfo->entropy;
  h->start_pass_huff(cinfo, gather_statistics);
  if (gather_statistics)
    h->huff.pub.encode_mcu = count_mcu;
  else if (h->writes)
    h->huff.pub.encode_mcu = write_mcu;
}

/* After `jpeg_start_compress`: 1 when the sequential Huffman coder now counts with ours,
 * and writes with ours too if `writes`; 0 when it is libjpeg's (progressive, arithmetic
 * or restart intervals, which ours do not cover). */
int pixgate_jpeg_replace_huffman(j_compress_ptr cinfo, int writes)
{
  if (cinfo->entropy == NULL || cinfo->master == NULL || cinfo->progressive_mode ||
      cinfo->arith_code || cinfo->restart_interval != 0)
    return 0;
  pixgate_huffman *h = (pixgate_huffman *)(*cinfo->mem->alloc_small)(
      (j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(pixgate_huffman));
  memcpy(&h->huff, cinfo->entropy, sizeof h->huff);
  h->start_pass_huff = h->huff.pub.start_pass;
  h->writes = writes != 0;

  zigzag_table_build(&h->zigzag);

  h->huff.pub.start_pass = start_pass;
  cinfo->entropy = &h->huff.pub;
  /* jpeg_start_compress already started the first pass (jcmaster.c's main pass). */
  if ((cinfo->optimize_coding || cinfo->master->trellis_quant) && !cinfo->arith_code)
    h->huff.pub.encode_mcu = count_mcu;
  else if (h->writes)
    h->huff.pub.encode_mcu = write_mcu;
  return 1;
}

#else

int pixgate_jpeg_replace_huffman(j_compress_ptr cinfo, int writes)
{
  (void)cinfo;
  (void)writes;
  return 0;
}

#endif
