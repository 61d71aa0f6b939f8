// Debian's zlib1g-dev: zlib's CRC-32 (the remote-write buffer's record checksums).
#include <zlib.h>
