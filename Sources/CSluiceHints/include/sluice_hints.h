#ifndef SLUICE_HINTS_H
#define SLUICE_HINTS_H

#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Asks the CPU to bring the cache line at `address` in, for a read soon: a hash-table probe
/// issues it a few rows ahead, so the probes of neighbouring rows wait for memory together
/// instead of one after another. Swift has no prefetch of its own.
static inline void sluice_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// How many of the `count` bytes at `bytes` equal `byte`. With SSE2 (every x86-64), sixteen
/// bytes a step: the equal lanes (all ones, so -1) are subtracted from byte counters that are
/// summed every 255 steps, before they can wrap. Swift's generic SIMD types compiled this loop
/// to scalar code sixty times slower than the eight-byte word test it replaces. The last
/// partial block is read as the sixteen bytes that end the run, its lanes already counted
/// masked off: runs of a hundred-odd bytes (a JSON object, for its line) spent half their
/// time on a byte-at-a-time tail.
static inline size_t sluice_count_byte(const uint8_t *bytes, size_t count, uint8_t byte) {
    size_t total = 0;
    size_t index = 0;
#if defined(__SSE2__)
    static const uint8_t tail_masks[32] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    };
    const __m128i pattern = _mm_set1_epi8((char)byte);
    const __m128i zero = _mm_setzero_si128();
    if (count >= 16) {
        while (index < count) {
            __m128i counters = _mm_setzero_si128();
            size_t steps = 0;
            while (steps < 255 && index + 16 <= count) {
                __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + index));
                counters = _mm_sub_epi8(counters, _mm_cmpeq_epi8(chunk, pattern));
                index += 16;
                steps += 1;
            }
            if (steps < 255 && index < count) {
                // The last 1-15 bytes: the block ending the run, with the lanes before them masked.
                size_t left = count - index;
                __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + count - 16));
                __m128i keep = _mm_loadu_si128((const __m128i *)(tail_masks + left));
                counters = _mm_sub_epi8(counters, _mm_and_si128(_mm_cmpeq_epi8(chunk, pattern), keep));
                index = count;
            }
            __m128i sums = _mm_sad_epu8(counters, zero);
            total += (size_t)_mm_cvtsi128_si32(sums) + (size_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums));
        }
        return total;
    }
#endif
    for (; index < count; index++) total += bytes[index] == byte;
    return total;
}

/// Where two bytes occur in 64 bytes, and where bytes of 0x80 and above do: bit `i` of each
/// mask stands for `bytes[i]`. The CSV tokenizer finds the end of every unquoted field of a
/// record in one such pair of masks (a trailing-zero count each), instead of testing eight
/// bytes at a time per field.
typedef struct {
    uint64_t matches;
    uint64_t high;
} sluice_byte_masks;

static inline sluice_byte_masks sluice_match_mask64(const uint8_t *bytes, uint8_t first, uint8_t second) {
    sluice_byte_masks masks = {0, 0};
#if defined(__SSE2__)
    const __m128i a = _mm_set1_epi8((char)first), b = _mm_set1_epi8((char)second);
    for (int part = 0; part < 4; part++) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + 16 * part));
        __m128i equal = _mm_or_si128(_mm_cmpeq_epi8(chunk, a), _mm_cmpeq_epi8(chunk, b));
        masks.matches |= (uint64_t)(uint32_t)_mm_movemask_epi8(equal) << (16 * part);
        masks.high |= (uint64_t)(uint32_t)_mm_movemask_epi8(chunk) << (16 * part);
    }
#else
    for (int index = 0; index < 64; index++) {
        uint8_t byte = bytes[index];
        masks.matches |= (uint64_t)(byte == first || byte == second) << index;
        masks.high |= (uint64_t)(byte >> 7) << index;
    }
#endif
    return masks;
}

/// Where a JSON string's content stops being plain, and whether a byte of 0x80 or above came
/// before that point.
typedef struct {
    size_t offset;
    int nonASCII;
} sluice_string_scan;

/// The offset of the first quote, backslash or control byte (below 0x20) among the `count`
/// bytes at `bytes`, or `count` when there is none. With SSE2, sixteen bytes a step (three
/// compares and a movemask); the JSON reader's eight-byte word test took two to three rounds
/// and a dozen instructions each for a typical key or value.
static inline sluice_string_scan sluice_scan_string(const uint8_t *bytes, size_t count) {
    size_t index = 0;
    uint32_t high = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1F);
    while (index + 16 <= count) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + index));
        __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)),
                                       _mm_cmpeq_epi8(_mm_min_epu8(chunk, control), chunk));
        uint32_t found = (uint32_t)_mm_movemask_epi8(special);
        uint32_t top = (uint32_t)_mm_movemask_epi8(chunk);
        if (found != 0) {
            uint32_t first = (uint32_t)__builtin_ctz(found);
            high |= top & ((1u << first) - 1u);
            sluice_string_scan result = {index + first, high != 0};
            return result;
        }
        high |= top;
        index += 16;
    }
#endif
    for (; index < count; index++) {
        uint8_t byte = bytes[index];
        if (byte == '"' || byte == '\\' || byte < 0x20) break;
        high |= byte & 0x80;
    }
    sluice_string_scan result = {index, high != 0};
    return result;
}

/// Whether the `count` bytes at `a` and at `b` are equal: sixteen at a time, the last sixteen
/// overlapping the ones before, so the 20 to 30 bytes between two JSON values (a comma, a
/// line break and indent, the next key) take two compares and no call.
static inline int sluice_equal_bytes(const uint8_t *a, const uint8_t *b, size_t count) {
#if defined(__SSE2__)
    if (count >= 16) {
        size_t index = 0;
        while (index + 16 < count) {
            __m128i x = _mm_loadu_si128((const __m128i *)(a + index)), y = _mm_loadu_si128((const __m128i *)(b + index));
            if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) != 0xFFFF) return 0;
            index += 16;
        }
        __m128i x = _mm_loadu_si128((const __m128i *)(a + count - 16)), y = _mm_loadu_si128((const __m128i *)(b + count - 16));
        return _mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) == 0xFFFF;
    }
#endif
    for (size_t index = 0; index < count; index++) {
        if (a[index] != b[index]) return 0;
    }
    return 1;
}

/// Whether this CPU has the instructions `sluice_crc32_fold` needs (PCLMULQDQ and SSE4.1).
int sluice_crc32_fold_available(void);

/// The CRC-32 of ZIP and zlib (reflected polynomial 0xEDB88320) of `count` bytes, continuing
/// from `crc` (0 to start; the result of a previous call to go on): the same value zlib's
/// `crc32` gives. `count` must be at least 64 and a multiple of 16, and the CPU must have
/// the instructions (`sluice_crc32_fold_available`). Folds sixteen bytes per carry-less
/// multiplication: several times the speed of zlib's table-driven loop, which was a tenth of
/// an archive read's instructions.
uint32_t sluice_crc32_fold(uint32_t crc, const uint8_t *bytes, size_t count);

#endif
