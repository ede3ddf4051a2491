#ifndef C_ARBITER_SHIMS_H
#define C_ARBITER_SHIMS_H

/// Asks the CPU to start loading the cache line at `address` for reading. Swift has no spelling for
/// this; used where a render walks many small objects in a known order.
static inline void CArbiterShims_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
