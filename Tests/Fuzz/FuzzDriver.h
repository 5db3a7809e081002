// libFuzzer's driver entry (compiler-rt FuzzerInterface.h), for the fuzz targets only: SwiftPM links
// an executable with `main=<Target>_main`, so each target's `<Target>_main` hands over to this.
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
