/* Huffman decoding for libjpeg's decompressor: sequential scans and the AC first scans of
 * progressive files with one table lookup per coefficient, and their refinement scans
 * without a branch per coefficient.
 *
 * libjpeg's sequential fast path (`decode_mcu_fast` in jdhuff.c) looks up a symbol in the
 * next 8 bits, then reads the coefficient's extra bits and sign-extends them in a second
 * step, checking its bit buffer before each and feeding it one byte at a time. Here the next
 * 10 bits index a table that, for the common short codes, already holds the whole answer
 * (the bits to drop, the run of zeros, the signed value), and the buffer takes up to seven
 * bytes with one load where none of them is 0xFF. A progressive file's AC first scans
 * (`decode_mcu_AC_first` in jdphuff.c) are sequential ones for a band of one component.
 *
 * Its AC refinement scans (`decode_mcu_AC_refine`, most of its decode) send one correction
 * bit for every coefficient already nonzero; libjpeg visits all 63 positions of every block
 * with a branch each and reads the bits one at a time. Here a mask of the nonzero
 * coefficients (zigzag.h) says where they are, the bits are applied without branching on
 * them, and a table finds where each new coefficient goes.
 *
 * Everything unusual is left to libjpeg: a restart interval, the end of the data in sight, a
 * marker met inside a unit, an invalid code, a new refinement coefficient of more than one
 * bit or with no place left. The unit is then decoded again, from its start, by libjpeg's own
 * routine (refinement only adds bits that are not there yet, and the new coefficients are
 * taken out again first, as libjpeg does when it suspends), so such files decode exactly as
 * without this. The coefficients of every other unit are libjpeg's, bit for bit (the tests
 * compare whole decodes, intact and damaged).
 *
 * The decoders' records are private to jdhuff.c and jdphuff.c, so their layouts are
 * mirrored below, from the libjpeg that mozjpeg-sys vendors (the version is pinned in
 * Cargo.toml for that). Ours copy them and start with them, so libjpeg's own routines keep
 * working on them unchanged. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JPEG_INTERNALS
#include "jpeglib.h"
#include "jerror.h"

#if defined(__x86_64__)

#include "zigzag.h"

/* jdhuff.h's `bitread_perm_state` and jdhuff.c's `savable_state` and
 * `huff_entropy_decoder` (mozjpeg 4.1 in mozjpeg-sys 2.2.3) on x86-64, where the bit buffer
 * is a 64-bit `size_t` holding its `bits_left` newest bits at the bottom. */
typedef struct {
  size_t get_buffer;
  int bits_left;
} bitread_perm_state;

typedef struct {
  int last_dc_val[MAX_COMPS_IN_SCAN];
} savable_state;

typedef struct {
  struct jpeg_entropy_decoder pub;
  bitread_perm_state bitstate;
  savable_state saved;
  unsigned int restarts_to_go;
  void *dc_derived_tbls[NUM_HUFF_TBLS];
  void *ac_derived_tbls[NUM_HUFF_TBLS];
  void *dc_cur_tbls[D_MAX_BLOCKS_IN_MCU];
  void *ac_cur_tbls[D_MAX_BLOCKS_IN_MCU];
  boolean dc_needed[D_MAX_BLOCKS_IN_MCU];
  boolean ac_needed[D_MAX_BLOCKS_IN_MCU];
} huff_entropy_decoder;

/* How many of the next bits one lookup sees. */
#define LOOKUP_BITS 10

/* A lookup entry: the bits to drop (0: the code is longer than LOOKUP_BITS) in bits 0-4;
 * COMPLETE when those bits also hold the extra bits, and the value is in bits 16-31;
 * otherwise the symbol's extra-bit count in bits 12-15; the run of zeros in bits 8-11; END
 * for a symbol that ends the block. */
#define COMPLETE (1 << 5)
#define END (1 << 6)

typedef struct {
  int32_t lookup[1 << LOOKUP_BITS];
  /* Longer codes, as in F.2.2.3 of the standard: the largest code of each length (-1 for
   * none), and what turns a code of that length into an index into `symbols`. */
  int32_t maxcode[17];
  int32_t valoffset[17];
  UINT8 symbols[256];
} decode_table;

typedef struct {
  huff_entropy_decoder huff; /* first, so `cinfo->entropy` is also libjpeg's record */
  boolean (*decode_mcu_huff)(j_decompress_ptr, JBLOCKROW *);
  const decode_table *dc[D_MAX_BLOCKS_IN_MCU]; /* for each block of a unit */
  const decode_table *ac[D_MAX_BLOCKS_IN_MCU];
  decode_table tables[2][NUM_HUFF_TBLS]; /* DC, AC */
} pixgate_huffman_decoder;

/* Bytes one block can take with its 0xFF stuffing (libjpeg's BUFSIZE): no unit read here
 * needs more than this per block, the eight bytes a refill looks at included. */
#define BLOCK_BYTES (DCTSIZE2 * 8)

/* The value `s` extra bits stand for (F.2.2.1's EXTEND). */
static inline int extend(int bits, int s)
{
  return bits < (1 << (s - 1)) ? bits - (1 << s) + 1 : bits;
}

/* Builds a table from the file's definition, which libjpeg has checked already (its start
 * of the scan refuses an over-full table, and DC symbols above 15). */
static void build(decode_table *t, const JHUFF_TBL *htbl, boolean dc)
{
  memset(t->lookup, 0, sizeof t->lookup);
  memcpy(t->symbols, htbl->huffval, sizeof t->symbols);
  int p = 0;
  int32_t code = 0;
  for (int len = 1; len <= 16; len++) {
    t->valoffset[len] = p - code;
    for (int i = 0; i < htbl->bits[len]; i++, p++, code++) {
      int symbol = htbl->huffval[p];
      int run = dc ? 0 : symbol >> 4;
      int s = dc ? symbol : symbol & 15;
      if (len > LOOKUP_BITS)
        continue;
      int first = code << (LOOKUP_BITS - len);
      int span = 1 << (LOOKUP_BITS - len);
      if (s == 0) {
        /* A DC difference of 0, or an AC run of 16 zeros (15/0) or end of block (others,
         * as libjpeg reads them; their run is a progressive scan's EOBr). */
        int32_t entry = len | COMPLETE | (run << 8) | (!dc && run != 15 ? END : 0);
        for (int j = 0; j < span; j++)
          t->lookup[first + j] = entry;
      } else if (len + s <= LOOKUP_BITS) {
        int tail = LOOKUP_BITS - len - s;
        for (int bits = 0; bits < (1 << s); bits++) {
          int32_t entry = (len + s) | COMPLETE | (run << 8) |
                          (int32_t)((uint32_t)extend(bits, s) << 16);
          int from = first + (bits << tail);
          for (int j = 0; j < (1 << tail); j++)
            t->lookup[from + j] = entry;
        }
      } else {
        for (int j = 0; j < span; j++)
          t->lookup[first + j] = len | (run << 8) | (s << 12);
      }
    }
    t->maxcode[len] = htbl->bits[len] ? code - 1 : -1;
    code <<= 1;
  }
}

/* The scan's next bits, the first at the top of `bits`; `count` of them are valid, and any
 * below are the stream's next bits or zeros. */
typedef struct {
  unsigned long long bits;
  int count;
  const JOCTET *next; /* the first byte not yet in `bits` */
} reader;

/* A reader where libjpeg's state leaves off: its buffer's `bits_left` newest bits (at the
 * bottom) first, then the source's next byte. */
static inline reader reader_start(j_decompress_ptr cinfo, const bitread_perm_state *state)
{
  reader r;
  r.count = state->bits_left;
  r.bits = r.count ? (unsigned long long)state->get_buffer << (64 - r.count) : 0;
  r.next = cinfo->src->next_input_byte;
  return r;
}

/* Hands the reader's position back to libjpeg's state and the source. */
static inline void reader_finish(j_decompress_ptr cinfo, const reader *r,
                                 bitread_perm_state *state)
{
  struct jpeg_source_mgr *src = cinfo->src;
  src->bytes_in_buffer -= (size_t)(r->next - src->next_input_byte);
  src->next_input_byte = r->next;
  state->get_buffer = r->count ? (size_t)(r->bits >> (64 - r->count)) : 0;
  state->bits_left = r->count;
}

/* Reads bytes one at a time: 0xFF 0x00 is a 0xFF data byte; at a marker, as libjpeg does,
 * notes it, stays on it and reads zeros. */
static void fill_bytes(j_decompress_ptr cinfo, reader *r)
{
  while (r->count <= 56) {
    unsigned byte = r->next[0];
    if (byte == 0xFF) {
      if (r->next[1] == 0) {
        r->next += 2;
      } else {
        cinfo->unread_marker = r->next[1];
        byte = 0;
      }
    } else {
      r->next++;
    }
    r->bits |= (unsigned long long)byte << (56 - r->count);
    r->count += 8;
  }
}

/* Makes at least 56 bits valid, whatever the count, without a branch on it. */
static inline __attribute__((always_inline)) void refill(j_decompress_ptr cinfo, reader *r)
{
  unsigned long long word;
  memcpy(&word, r->next, 8);
  word = __builtin_bswap64(word);
  unsigned long long inverse = ~word;
  if ((inverse - 0x0101010101010101ULL) & ~inverse & 0x8080808080808080ULL) {
    fill_bytes(cinfo, r); /* a 0xFF among the eight */
    return;
  }
  /* Whole bytes go in (56 to 63 bits in all); the bits of the next one below them are its
   * own, so the next load's OR leaves them as they are. */
  r->bits |= word >> r->count;
  r->next += (63 - r->count) >> 3;
  r->count |= 56;
}

/* Makes at least 32 bits valid: enough for one coefficient (a 16-bit code and 15 extra). */
static inline __attribute__((always_inline)) void fill(j_decompress_ptr cinfo, reader *r)
{
  if (r->count < 32)
    refill(cinfo, r);
}

static inline int take(reader *r, int n)
{
  int bits = (int)(r->bits >> (64 - n));
  r->bits <<= n;
  r->count -= n;
  return bits;
}

/* The symbol a COMPLETE entry holds, its bits dropped; returns what `decode` returns. */
static inline __attribute__((always_inline)) int complete(int32_t entry, reader *r, int *run,
                                                          int *value)
{
  int len = entry & 31;
  r->bits <<= len;
  r->count -= len;
  *run = (entry >> 8) & 15;
  *value = entry >> 16;
  return entry & END ? 0 : 1;
}

/* Decodes one symbol and its extra bits: the run of zeros before it (15 for 15/0, whose value
 * is 0), and its value. Returns 0 at the end of the block (with the symbol's run, the EOBr of
 * a progressive scan), 1 for a coefficient, -1 for an invalid code. */
static inline __attribute__((always_inline)) int decode(const decode_table *t, reader *r,
                                                        int *run, int *value)
{
  int32_t entry = t->lookup[r->bits >> (64 - LOOKUP_BITS)];
  if (entry & COMPLETE)
    return complete(entry, r, run, value);
  int len = entry & 31;
  int symbol;
  if (len) {
    r->bits <<= len;
    r->count -= len;
    *run = (entry >> 8) & 15;
    int s = (entry >> 12) & 15;
    *value = extend(take(r, s), s);
    return 1;
  }
  for (len = LOOKUP_BITS + 1;; len++) {
    if (len > 16)
      return -1;
    int32_t code = (int32_t)(r->bits >> (64 - len));
    if (code <= t->maxcode[len]) {
      symbol = t->symbols[(code + t->valoffset[len]) & 0xFF];
      break;
    }
  }
  r->bits <<= len;
  r->count -= len;
  /* Only AC tables get here with a run; a DC symbol's high bits are 0. */
  int s = symbol & 15;
  *run = symbol >> 4;
  if (s == 0) {
    *value = 0;
    return *run == 15 ? 1 : 0;
  }
  *value = extend(take(r, s), s);
  return 1;
}

/* One unit, libjpeg's `decode_mcu_fast` with the lookups above. Returns FALSE, having
 * changed no state but the blocks and perhaps `unread_marker`, where libjpeg must decode the
 * unit itself. */
static boolean decode_unit(j_decompress_ptr cinfo, pixgate_huffman_decoder *d,
                           JBLOCKROW *MCU_data)
{
  huff_entropy_decoder *huff = &d->huff;
  reader r = reader_start(cinfo, &huff->bitstate);
  savable_state state = huff->saved;
  JCOEF sink[DCTSIZE2]; /* where coefficients no one asked for go, without a branch */

  for (int blkn = 0; blkn < cinfo->blocks_in_MCU; blkn++) {
    JCOEF *block = MCU_data ? MCU_data[blkn][0] : NULL;
    int run, value;
    fill(cinfo, &r);
    if (decode(d->dc[blkn], &r, &run, &value) < 0)
      return FALSE;
    if (huff->dc_needed[blkn]) {
      int ci = cinfo->MCU_membership[blkn];
      /* Unsigned, as a hostile file's DC sums may wrap; libjpeg's wrap alike. */
      value = (int)((unsigned)value + (unsigned)state.last_dc_val[ci]);
      state.last_dc_val[ci] = value;
      if (block)
        block[0] = (JCOEF)value;
    }
    JCOEF *ac = huff->ac_needed[blkn] && block ? block : sink;
    const decode_table *t = d->ac[blkn];
    /* Whether the buffer needs refilling before each symbol depends on the data, and the
     * predictor missed it on about one symbol in seven (cachegrind). Refilled every fourth
     * symbol instead, a pattern it learns: four complete entries take at most 40 of the 56
     * bits a refill leaves, and a longer symbol fills for itself and has the next refill. */
    int budget = 0;
    for (int k = 1; k < DCTSIZE2; k++) {
      if (budget == 0) {
        refill(cinfo, &r);
        budget = 4;
      }
      budget--;
      int32_t entry = t->lookup[r.bits >> (64 - LOOKUP_BITS)];
      int got;
      if (entry & COMPLETE) {
        got = complete(entry, &r, &run, &value);
      } else {
        fill(cinfo, &r);
        got = decode(t, &r, &run, &value);
        budget = 0;
      }
      if (got <= 0) {
        if (got < 0)
          return FALSE;
        break;
      }
      /* A damaged file's run may pass the block's end (k up to 78): jpeg_natural_order's 16
       * extra entries, all 63, take it there, as in libjpeg, and the loop ends. */
      k += run;
      ac[jpeg_natural_order[k]] = (JCOEF)value;
    }
  }

  if (cinfo->unread_marker != 0)
    return FALSE;
  reader_finish(cinfo, &r, &huff->bitstate);
  huff->saved = state;
  return TRUE;
}

static boolean decode_mcu(j_decompress_ptr cinfo, JBLOCKROW *MCU_data)
{
  pixgate_huffman_decoder *d = (pixgate_huffman_decoder *)cinfo->entropy;
  boolean ours = !d->huff.pub.insufficient_data && cinfo->unread_marker == 0 &&
                 cinfo->src->bytes_in_buffer >= BLOCK_BYTES * (size_t)cinfo->blocks_in_MCU;
  if (ours) {
    if (decode_unit(cinfo, d, MCU_data))
      return TRUE;
    /* libjpeg starts the unit again and finds any marker itself. */
    cinfo->unread_marker = 0;
  }
  return d->decode_mcu_huff(cinfo, MCU_data);
}

/* 1 when the decompressor now decodes with the routines above (or already did), 0 where
 * libjpeg's stay: progressive or arithmetic coding, restart intervals, a file of several
 * scans (read whole before output starts), or a decoder not yet set up. Called at the start
 * of an output pass; the record comes from the image's pool, which libjpeg frees. */
int pixgate_jpeg_replace_huffman_decoder(j_decompress_ptr cinfo)
{
  if (cinfo->entropy == NULL || cinfo->inputctl == NULL)
    return 0;
  if (cinfo->entropy->decode_mcu == decode_mcu)
    return 1;
  if (cinfo->progressive_mode || cinfo->arith_code || cinfo->restart_interval ||
      cinfo->inputctl->has_multiple_scans || cinfo->inputctl->eoi_reached ||
      cinfo->comps_in_scan < 1 || cinfo->blocks_in_MCU > D_MAX_BLOCKS_IN_MCU)
    return 0;
  for (int ci = 0; ci < cinfo->comps_in_scan; ci++) {
    jpeg_component_info *compptr = cinfo->cur_comp_info[ci];
    if (cinfo->dc_huff_tbl_ptrs[compptr->dc_tbl_no] == NULL ||
        cinfo->ac_huff_tbl_ptrs[compptr->ac_tbl_no] == NULL)
      return 0;
  }

  pixgate_huffman_decoder *d = (pixgate_huffman_decoder *)(*cinfo->mem->alloc_small)(
      (j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(pixgate_huffman_decoder));
  memcpy(&d->huff, cinfo->entropy, sizeof d->huff);
  d->decode_mcu_huff = d->huff.pub.decode_mcu;
  for (int ci = 0; ci < cinfo->comps_in_scan; ci++) {
    jpeg_component_info *compptr = cinfo->cur_comp_info[ci];
    build(&d->tables[0][compptr->dc_tbl_no], cinfo->dc_huff_tbl_ptrs[compptr->dc_tbl_no], TRUE);
    build(&d->tables[1][compptr->ac_tbl_no], cinfo->ac_huff_tbl_ptrs[compptr->ac_tbl_no], FALSE);
  }
  for (int blkn = 0; blkn < cinfo->blocks_in_MCU; blkn++) {
    jpeg_component_info *compptr = cinfo->cur_comp_info[cinfo->MCU_membership[blkn]];
    d->dc[blkn] = &d->tables[0][compptr->dc_tbl_no];
    d->ac[blkn] = &d->tables[1][compptr->ac_tbl_no];
  }
  d->huff.pub.decode_mcu = decode_mcu;
  cinfo->entropy = &d->huff.pub;
  return 1;
}

/* jdphuff.c's `savable_state` and `phuff_entropy_decoder` (the same libjpeg). */
typedef struct {
  unsigned int EOBRUN;
  int last_dc_val[MAX_COMPS_IN_SCAN];
} progressive_savable_state;

typedef struct {
  struct jpeg_entropy_decoder pub;
  bitread_perm_state bitstate;
  progressive_savable_state saved;
  unsigned int restarts_to_go;
  void *derived_tbls[NUM_HUFF_TBLS];
  void *ac_derived_tbl;
} phuff_entropy_decoder;

typedef struct {
  phuff_entropy_decoder phuff; /* first, so `cinfo->entropy` is also libjpeg's record */
  void (*start_pass_phuff)(j_decompress_ptr);
  boolean (*decode_mcu_phuff)(j_decompress_ptr, JBLOCKROW *); /* this scan's */
  decode_table ac;                                           /* this scan's table */
  zigzag_table zigzag;                                       /* built once, at the wrap */
  /* For the next eight places (bit i set: the i'th is a zero one) and a run of zero ones to
   * pass, the place of the zero one after them; 255 where the eight have too few. A lookup
   * instead of a loop as long as the run: its exit was the decode's costliest branch to
   * predict. Built at the wrap. */
  UINT8 zero_after[256][16];
} pixgate_progressive_decoder;

/* The blocks an EOBr symbol ends, this one included: 2^r plus the r bits after it. */
static inline unsigned int end_of_band_run(j_decompress_ptr cinfo, reader *r, int run)
{
  unsigned int blocks = 1U << run;
  if (run) {
    fill(cinfo, r);
    blocks += (unsigned)take(r, run);
  }
  return blocks;
}

/* Zigzag positions `from` to `to`, none if `to` is `from` - 1 (the two masks then do not
 * meet, so no branch), for 1 <= `from` <= 63 and `from` - 1 <= `to` <= 63. */
static inline unsigned long long positions(int from, int to)
{
  return (~0ULL << from) & (~0ULL >> (63 - to));
}

/* Appends the next correction bits to the coefficients at `nonzero` (zigzag positions of
 * coefficients already nonzero), in order: a 1 adds the bit being refined to a magnitude,
 * unless it is there already (a unit decoded again). Without branches on the bits, which
 * are as good as random. */
static inline __attribute__((always_inline)) void correct(j_decompress_ptr cinfo, reader *r,
                                                           JCOEF *block,
                                                           unsigned long long nonzero, int p1,
                                                           int m1)
{
  while (nonzero) {
    fill(cinfo, r);
    for (int i = 0; i < 32 && nonzero; i++) {
      JCOEF *c = block + jpeg_natural_order[__builtin_ctzll(nonzero)];
      nonzero &= nonzero - 1;
      int bit = (int)(r->bits >> 63);
      r->bits <<= 1;
      r->count--;
      int value = *c;
      int add = (value >= 0 ? p1 : m1) & -(bit & ((value & p1) == 0));
      *c = (JCOEF)(value + add);
    }
  }
}

/* One block of an AC refinement scan (G.1.2.3), libjpeg's `decode_mcu_AC_refine` with the
 * reader and lookups above. Returns FALSE, with the coefficients it made nonzero zero again
 * and no state changed, where libjpeg must decode the block itself. */
static boolean refine_unit(j_decompress_ptr cinfo, pixgate_progressive_decoder *d,
                           JBLOCKROW *MCU_data)
{
  phuff_entropy_decoder *phuff = &d->phuff;
  reader r = reader_start(cinfo, &phuff->bitstate);
  unsigned int eobrun = phuff->saved.EOBRUN;
  JCOEF *block = MCU_data[0][0];
  int se = cinfo->Se;
  int p1 = 1 << cinfo->Al;
  int m1 = (int)(~0U << cinfo->Al);
  int newly_nonzero[DCTSIZE2];
  int count = 0;
  int k = cinfo->Ss;

  unsigned long long nonzero = zigzag_nonzero(&d->zigzag, block);
  if (eobrun == 0) {
    for (; k <= se; k++) {
      int run, value;
      fill(cinfo, &r);
      int got = decode(&d->ac, &r, &run, &value);
      if (got < 0)
        goto undo;
      if (got == 0) {
        eobrun = end_of_band_run(cinfo, &r, run);
        break;
      }
      if (value < -1 || value > 1)
        goto undo; /* a new coefficient of more than one bit: libjpeg warns */
      /* The new coefficient (none for 15/0) goes in the zero one after `run` zero ones; the
       * nonzero ones passed on the way take a correction bit each. */
      unsigned long long zeros = ~nonzero & positions(k, se);
      int target = k + d->zero_after[(zeros >> k) & 0xFF][run];
      if (target > 63) {
        /* Fewer than run + 1 zero ones in the next eight places (rare): one at a time. */
        for (int i = 0; i < run && zeros; i++)
          zeros &= zeros - 1;
        target = zeros ? __builtin_ctzll(zeros) : se + 1;
      }
      correct(cinfo, &r, block, nonzero & positions(k, target - 1), p1, m1);
      k = target;
      if (value) {
        if (k > se)
          goto undo; /* no zero coefficient left for it: damaged data */
        int pos = jpeg_natural_order[k];
        block[pos] = (JCOEF)(value > 0 ? p1 : m1);
        nonzero |= 1ULL << k;
        newly_nonzero[count++] = pos;
      }
    }
  }
  if (eobrun > 0) {
    correct(cinfo, &r, block, nonzero & positions(k, se), p1, m1);
    eobrun--;
  }
  if (cinfo->unread_marker != 0)
    goto undo;

  reader_finish(cinfo, &r, &phuff->bitstate);
  phuff->saved.EOBRUN = eobrun;
  return TRUE;

undo:
  while (count > 0)
    block[newly_nonzero[--count]] = 0;
  return FALSE;
}

/* One block of an AC first scan (G.1.2.2), libjpeg's `decode_mcu_AC_first` with the reader
 * and lookups above. Returns FALSE, having changed no state but the block and perhaps
 * `unread_marker`, where libjpeg must decode the block itself: it decodes the same bits from
 * the same place, so it writes every coefficient written here again. */
static boolean first_unit(j_decompress_ptr cinfo, pixgate_progressive_decoder *d,
                          JBLOCKROW *MCU_data)
{
  phuff_entropy_decoder *phuff = &d->phuff;
  if (phuff->saved.EOBRUN > 0) {
    /* Within an end-of-band run: nothing to read. */
    phuff->saved.EOBRUN--;
    return TRUE;
  }
  reader r = reader_start(cinfo, &phuff->bitstate);
  JCOEF *block = MCU_data[0][0];
  int se = cinfo->Se;
  int al = cinfo->Al;
  unsigned int eobrun = 0;

  for (int k = cinfo->Ss; k <= se; k++) {
    int run, value;
    fill(cinfo, &r);
    int got = decode(&d->ac, &r, &run, &value);
    if (got < 0)
      return FALSE;
    if (got == 0) {
      eobrun = end_of_band_run(cinfo, &r, run) - 1; /* this block is one of them */
      break;
    }
    /* 15/0 passes sixteen zeros: its run, and this place. A damaged file's run may pass the
     * band's end (k up to 78): jpeg_natural_order's extra entries take it to 63, as in
     * libjpeg, and the loop ends. */
    k += run;
    if (value)
      block[jpeg_natural_order[k]] = (JCOEF)((unsigned)value << al);
  }
  if (cinfo->unread_marker != 0)
    return FALSE;

  reader_finish(cinfo, &r, &phuff->bitstate);
  phuff->saved.EOBRUN = eobrun;
  return TRUE;
}

/* A block of an AC scan with `unit`, or with libjpeg's routine where `unit` cannot vouch for
 * it. Inlined into one routine per kind of scan, so the unit is a direct call. */
static inline __attribute__((always_inline)) boolean
decode_ac_block(j_decompress_ptr cinfo, JBLOCKROW *MCU_data,
                boolean (*unit)(j_decompress_ptr, pixgate_progressive_decoder *, JBLOCKROW *))
{
  pixgate_progressive_decoder *d = (pixgate_progressive_decoder *)cinfo->entropy;
  boolean ours = !d->phuff.pub.insufficient_data && cinfo->unread_marker == 0 &&
                 cinfo->src->bytes_in_buffer >= BLOCK_BYTES;
  if (ours) {
    if (unit(cinfo, d, MCU_data))
      return TRUE;
    /* libjpeg starts the block again and finds any marker itself. */
    cinfo->unread_marker = 0;
  }
  return d->decode_mcu_phuff(cinfo, MCU_data);
}

static boolean decode_mcu_first(j_decompress_ptr cinfo, JBLOCKROW *MCU_data)
{
  return decode_ac_block(cinfo, MCU_data, first_unit);
}

static boolean decode_mcu_refine(j_decompress_ptr cinfo, JBLOCKROW *MCU_data)
{
  return decode_ac_block(cinfo, MCU_data, refine_unit);
}

/* libjpeg's start of a scan, then this file's decoder for an AC scan (first or refinement)
 * without restarts. */
static void start_pass_progressive(j_decompress_ptr cinfo)
{
  pixgate_progressive_decoder *d = (pixgate_progressive_decoder *)cinfo->entropy;
  d->start_pass_phuff(cinfo);
  if (cinfo->Ss == 0 || cinfo->restart_interval != 0 || cinfo->comps_in_scan != 1)
    return;
  const JHUFF_TBL *table = cinfo->ac_huff_tbl_ptrs[cinfo->cur_comp_info[0]->ac_tbl_no];
  if (table == NULL)
    return;
  build(&d->ac, table, FALSE);
  d->decode_mcu_phuff = d->phuff.pub.decode_mcu;
  d->phuff.pub.decode_mcu = cinfo->Ah == 0 ? decode_mcu_first : decode_mcu_refine;
}

/* 1 when the progressive decompressor now starts its scans with the routine above (or
 * already did). Called for libjpeg's trace of each start-of-scan marker: the one moment
 * between scans that reaches pixgate, with none of the entropy decoder's routines running,
 * so its record can be copied. The first scan's comes before the decoder exists; that scan
 * is a DC one, which keeps libjpeg's routines anyway. */
int pixgate_jpeg_wrap_progressive(j_decompress_ptr cinfo)
{
  if (!cinfo->progressive_mode || cinfo->arith_code || cinfo->entropy == NULL ||
      cinfo->err == NULL || cinfo->err->msg_code != JTRC_SOS)
    return 0;
  if (cinfo->entropy->start_pass == start_pass_progressive)
    return 1;
  pixgate_progressive_decoder *d = (pixgate_progressive_decoder *)(*cinfo->mem->alloc_small)(
      (j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(pixgate_progressive_decoder));
  memcpy(&d->phuff, cinfo->entropy, sizeof d->phuff);
  d->start_pass_phuff = d->phuff.pub.start_pass;
  d->decode_mcu_phuff = NULL;
  zigzag_table_build(&d->zigzag);
  for (int zeros = 0; zeros < 256; zeros++)
    for (int run = 0; run < 16; run++) {
      int place = 0, passed = 0;
      while (place < 8 && !((zeros >> place) & 1 && passed++ == run))
        place++;
      d->zero_after[zeros][run] = (UINT8)(place < 8 ? place : 255);
    }
  d->phuff.pub.start_pass = start_pass_progressive;
  cinfo->entropy = &d->phuff.pub;
  return 1;
}

/* 1 when the decompressor decodes with the routines above (for the tests). */
int pixgate_jpeg_huffman_decoder_installed(j_decompress_ptr cinfo)
{
  return cinfo->entropy != NULL && (cinfo->entropy->decode_mcu == decode_mcu ||
                                    cinfo->entropy->start_pass == start_pass_progressive);
}

#else

int pixgate_jpeg_replace_huffman_decoder(j_decompress_ptr cinfo)
{
  (void)cinfo;
  return 0;
}

int pixgate_jpeg_huffman_decoder_installed(j_decompress_ptr cinfo)
{
  (void)cinfo;
  return 0;
}

int pixgate_jpeg_wrap_progressive(j_decompress_ptr cinfo)
{
  (void)cinfo;
  return 0;
}

#endif
