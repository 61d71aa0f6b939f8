#ifndef C_ALLOCATOR_TUNING_H
#define C_ALLOCATOR_TUNING_H

/// Fixes glibc's mmap threshold at `bytes` (disabling its dynamic adjustment); returns 1 on success, 0 on failure
/// or when the C library is not glibc.
int crowsnest_fix_mmap_threshold(int bytes);

/// Returns free heap pages of every malloc arena to the system (glibc's malloc_trim(0), which also releases free
/// pages between chunks in use); returns 1 when memory was released, 0 otherwise or when not glibc.
int crowsnest_release_free_memory(void);

#endif
