#include "CAllocatorTuning.h"

#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

int crowsnest_fix_mmap_threshold(int bytes) {
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
    return mallopt(M_MMAP_THRESHOLD, bytes);
#else
    (void)bytes;
    return 0;
#endif
}

int crowsnest_release_free_memory(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}
