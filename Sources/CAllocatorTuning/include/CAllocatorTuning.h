#ifndef C_ALLOCATOR_TUNING_H
#define C_ALLOCATOR_TUNING_H

/// Fixes glibc's mmap threshold at `bytes` (disabling its dynamic adjustment); returns 1 on success, 0 on failure
/// or when the C library is not glibc.
int crowsnest_fix_mmap_threshold(int bytes);

#endif
