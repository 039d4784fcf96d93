/* Classic pcap files (analyzer/pcap.c) through the whole analyze pipeline.
 * Inputs with the pcapng magic are left to fuzz_pcapng. */
#include "fuzz.h"
#include "fuzz_capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 4 && data[0] == 0x0a && data[1] == 0x0d && data[2] == 0x0d && data[3] == 0x0a)
        return 0;
    return fz_capture_run(data, size);
}
