#ifndef SLUICE_HINTS_H
#define SLUICE_HINTS_H

/// Asks the CPU to bring the cache line at `address` in, for a read soon: a hash-table probe
/// issues it a few rows ahead, so the probes of neighbouring rows wait for memory together
/// instead of one after another. Swift has no prefetch of its own.
static inline void sluice_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
