#ifndef NEEDLETAIL_CMALLOC_H
#define NEEDLETAIL_CMALLOC_H

/// Sets glibc malloc's mmap and trim thresholds (mallopt M_MMAP_THRESHOLD, M_TRIM_THRESHOLD).
/// Returns 1 when both were accepted; a no-op returning 0 on other C libraries.
int nt_malloc_keep_freed_memory(int mmap_threshold, int trim_threshold);

#endif
