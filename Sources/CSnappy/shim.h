// Debian's libsnappy-dev: Google's snappy block compression through its C interface (remote-write bodies).
#include <snappy-c.h>
