/*
 * Error codes of tcpref: negative numbers from one table, with their strings.
 *
 * Errors are conditions that stop an operation (a file that cannot be read, a
 * record that lies about its length, memory exhausted). Anomalies in the
 * traffic itself are never errors: they are findings.
 */
#ifndef TCPREF_STACK_ERROR_H
#define TCPREF_STACK_ERROR_H

#define TR_ERRNO_MAP(XX)                                                       \
    XX(NOMEM, "out of memory")                                                 \
    XX(IO, "input/output error")                                               \
    XX(FORMAT, "not a pcap or pcapng capture file")                            \
    XX(VERSION, "unsupported capture file version")                            \
    XX(TRUNCATED, "file ends in the middle of a record")                       \
    XX(BADRECORD, "malformed record")                                          \
    XX(TOOBIG, "record larger than the reader accepts")                        \
    XX(NOIFACE, "packet refers to an interface that was never declared")       \
    XX(LINKTYPE, "unsupported link type")                                      \
    XX(USAGE, "invalid usage")                                                 \
    XX(LIMIT, "limit reached")                                                 \
    XX(PARSE, "syntax error")                                                  \
    XX(INVAL, "invalid argument")                                              \
    XX(STATE, "operation not valid in this state")                             \
    XX(AGAIN, "try again")                                                     \
    XX(SYS, "system call failed")

enum tr_err {
    TR_OK = 0,
#define TR__ERR_ENUM(name, text) TR_E##name,
    TR__ERR_BEFORE_FIRST = -100,
    TR_ERRNO_MAP(TR__ERR_ENUM)
#undef TR__ERR_ENUM
    TR__ERR_END
};

/* The text of an error code; "unknown error" for codes not in the table. */
const char *tr_strerror(int err);
/* The short name of an error code ("TRUNCATED"). */
const char *tr_errname(int err);

#endif
