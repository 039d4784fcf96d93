/* Text of findings: the rule's templates with the finding's arguments. */
#ifndef TCPREF_ANALYZER_FORMAT_H
#define TCPREF_ANALYZER_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/observer.h"

/*
 * Expands a template: "{N}" is argument N (0-5) as an integer, "{Nr}" a
 * relative sequence number (an integer), "{Nt}" a duration in ns ("1.250 s",
 * "3.2 ms"), "{Np}" basis points as a percentage ("1.25%"), "{No}" an option
 * error, "{Ns}" a TCP state name, "{Nv}" a
 * timing verdict.
 */
void tr_format_template(const char *tmpl, const int64_t args[TR_FINDING_ARGS], char *buf, size_t n);

/* Timing verdicts carried in findings. */
enum tr_verdict { TR_VERDICT_OK = 0, TR_VERDICT_VIOLATION, TR_VERDICT_UNKNOWN, TR_VERDICT_PROFILE };

/* A duration in seconds with a unit fit for people. */
void tr_format_duration(int64_t ns, char *buf, size_t n);

/* An address as text (IPv4 dotted, IPv6 RFC 5952). */
void tr_format_addr(int ipver, const uint8_t *addr, char *buf, size_t n);

#endif
