#ifndef SLUICE_CFUZZDRIVER_H
#define SLUICE_CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver, for a program that has its own `main`: parses libFuzzer's flags
/// from argv and runs `callback` on every input. Provided by libclang_rt.fuzzer, which
/// `-sanitize=fuzzer` links.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
