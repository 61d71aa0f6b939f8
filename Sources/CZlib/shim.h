// Debian's zlib1g-dev: CRC-32 (remote-write buffer records, gzip members) and raw deflate for gzip serving.
#include <zlib.h>
