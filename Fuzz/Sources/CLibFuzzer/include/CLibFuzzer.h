#ifndef CROWSNEST_CLIBFUZZER_H
#define CROWSNEST_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt `FuzzerDriver.cpp`), linked by `-sanitize=fuzzer`: parses libFuzzer's flags
/// from `argv` and fuzzes `callback`. Called from each target's entry point, because SwiftPM renames an
/// executable's `main` to `<Module>_main` and links `main` to it, so libFuzzer's own `main` is never used.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
