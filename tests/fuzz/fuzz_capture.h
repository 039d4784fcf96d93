/* The capture-file pipeline shared by fuzz_pcap and fuzz_pcapng. */
#ifndef TCPREF_TESTS_FUZZ_CAPTURE_H
#define TCPREF_TESTS_FUZZ_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#define FZ_CAPTURE_NAME "fuzz.cap"

int fz_capture_run(const uint8_t *data, size_t size);

#endif
