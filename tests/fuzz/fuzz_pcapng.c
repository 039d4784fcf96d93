/* pcapng files (analyzer/pcapng.c) through the whole analyze pipeline.
 * Only inputs that start with a Section Header Block type: the rest is
 * classic pcap, fuzz_pcap's. */
#include "fuzz.h"
#include "fuzz_capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || data[0] != 0x0a || data[1] != 0x0d || data[2] != 0x0d || data[3] != 0x0a)
        return 0;
    return fz_capture_run(data, size);
}
