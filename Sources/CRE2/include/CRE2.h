// A C face for RE2 (Debian's libre2), the regular-expression engine Prometheus's Go regexp follows:
// its syntax, and matching in time linear in the input. Swift cannot call C++ classes here, so this
// header is the whole surface; the implementation is a thin wrapper in RE2Shim.cc.
#ifndef ARBITER_CRE2_H
#define ARBITER_CRE2_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct arbiter_re2 arbiter_re2;

/// Compiles `pattern` (UTF-8, `length` bytes). On failure returns NULL and writes a NUL-terminated
/// message of at most `error_capacity` bytes into `error`.
arbiter_re2 *arbiter_re2_new(const char *pattern, size_t length, char *error, size_t error_capacity);

void arbiter_re2_free(arbiter_re2 *regex);

/// The number of capturing groups.
int arbiter_re2_group_count(const arbiter_re2 *regex);

/// The name of capturing group `index` (1-based), or NULL when it has none. Owned by the regex.
const char *arbiter_re2_group_name(const arbiter_re2 *regex, int index);

/// 1 when the whole text matches, else 0.
int arbiter_re2_full_match(const arbiter_re2 *regex, const char *text, size_t length);

/// Searches `text` from byte `start` (the text before it still counts for `^` and `\b`). On a match
/// returns 1 and writes the byte offsets of the whole match and of each of the first `groups - 1`
/// capturing groups as (begin, end) pairs into `offsets` (2 × `groups` entries; -1 where a group did
/// not take part); else returns 0.
int arbiter_re2_search(const arbiter_re2 *regex, const char *text, size_t length, size_t start, long *offsets, int groups);

#ifdef __cplusplus
}
#endif

#endif
