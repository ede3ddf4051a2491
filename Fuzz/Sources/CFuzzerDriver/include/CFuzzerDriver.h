// libFuzzer's driver, run from Swift's own main (SwiftPM names the executable's entry point itself,
// so libFuzzer's main cannot be used): see https://llvm.org/docs/LibFuzzer.html, "Using libFuzzer as a library".
#ifndef ARBITER_CFUZZERDRIVER_H
#define ARBITER_CFUZZERDRIVER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
