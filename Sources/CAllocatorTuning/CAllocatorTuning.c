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
