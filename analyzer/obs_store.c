/*
 * Where the observer keeps its connections.
 *
 * A connection id is a slot: a small record that always stays (first frame,
 * links of the least-recently-used list, and where the connection is). The
 * connection itself (struct tr_conn, ~1.9 KB) is either resident, in a pool
 * of such structs, or parked: packed into a few hundred bytes while it sees
 * no segment. Parking is lossless (the struct is unpacked bit for bit when
 * a segment or the report needs it again), so it changes nothing in the
 * analysis; it bounds the memory of captures with many connections.
 *
 * Policy (tr_obs_config.park_idle_ns, park_keep): at most park_keep
 * connections stay resident without a reason; past that, connections idle
 * for park_idle_ns of capture time are parked, least recently used first,
 * at the observer's periodic pass (four times a second of capture time),
 * ended ones (both sides closed, or reset) at the segment that ended them,
 * and retired ones (out of the flow table for good) as they retire. A
 * parked connection whose finishing changes only its flags and end
 * (tr__finish_inert) finishes and retires without being unpacked: those
 * two live in its slot while it is parked.
 * Connections with segments in flight stay resident whatever their number.
 *
 * The packed form, per 8-byte word of the struct, picks the shortest of:
 * its difference (XOR) from the same word of a template connection, or its
 * distance to the connection's first timestamp or first frame (timestamps
 * and frame numbers are most of the struct's large values); a 4-bit code per
 * word comes first (below).
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/arena.h"
#include "analyzer/obs_int.h"

#define TR__WORDS (sizeof(struct tr_conn) / 8)
#define TR__MAP_BYTES ((TR__WORDS + 63) / 64 * 8)
#define TR__CODE_BYTES ((TR__WORDS + 1) / 2)
/* the largest packed form: map, codes, reference values, data, and 8 bytes
 * of slack (words are read and written whole) */
#define TR__PACK_MAX (TR__MAP_BYTES + TR__CODE_BYTES + 16 + TR__WORDS * 8 + 8)

_Static_assert(sizeof(struct tr_conn) % 8 == 0, "struct tr_conn is a whole number of 8-byte words");

/*
 * The packed form against a template (the first connection the observer
 * parked, kept as it was then: fields that are the same in most
 * connections, the profile's TCB values, empty rings and finding links,
 * cost nothing):
 *   a bitmap of the words that differ from the template's (1 bit a word);
 *   a 4-bit code for each of those, in order;
 *   the connection's first timestamp and first frame (8 bytes each);
 *   the bytes the codes say.
 * Codes: 0 a zero word; 1-9 the word XOR the template's in 0-8 bytes;
 * 10-13 its zigzag distance to the first timestamp in 0, 2, 3 or 4 bytes;
 * 14-15 to the first frame in 1 or 2 bytes. Unpacking copies the template
 * and rewrites only the words the bitmap names (about half of them);
 * words are copied 8 bytes at a time and cut to length, so the loops
 * hardly branch on the data.
 */
static unsigned tr__nbytes(uint64_t v) { return v ? (unsigned)(71 - __builtin_clzll(v)) / 8 : 0; }
static uint64_t tr__zz(uint64_t d) { return (d << 1) ^ (uint64_t)((int64_t)d >> 63); }
static uint64_t tr__unzz(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

static const uint64_t tr__mask[9] = {0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffff, 0xffffffffffff,
                                     0xffffffffffffff, UINT64_MAX};
static const uint8_t tr__code_len[16] = {0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 2, 3, 4, 1, 2};
static const uint8_t tr__ts_code[9] = {10, 11, 11, 12, 13, 0, 0, 0, 0}; /* by bytes needed; 0: none */

/* Packs c into out (TR__PACK_MAX bytes) against the template t; returns the
 * length, of which the last 8 bytes are slack for unpacking's whole-word
 * reads. */
static size_t tr__pack(const struct tr_conn *c, const uint64_t *t, uint8_t *out)
{
    const uint8_t *w = (const uint8_t *)c; /* read word by word: no copy of the struct */
    uint64_t ts = (uint64_t)c->first_ts, fr = c->first_frame;
    uint64_t map[TR__MAP_BYTES / 8] = {0};
    uint8_t code[TR__CODE_BYTES] = {0}, data[TR__WORDS * 8 + 8];
    uint8_t *p = data;
    unsigned j = 0;
    uint64_t bits = 0; /* this 64-word group's part of the map, in a register */
    for (size_t k = 0; k < TR__WORDS; k++) {
        if (k % 64 == 0 && k) {
            map[k / 64 - 1] = bits;
            bits = 0;
        }
        uint64_t v;
        memcpy(&v, w + 8 * k, 8);
        uint64_t x = v ^ t[k];
        if (!x)
            continue;
        bits |= 1ull << (k % 64);
        unsigned n = 0, cd = 0;
        uint64_t out_v = x;
        if (v) {
            n = tr__nbytes(x);
            cd = 1 + n;
            /* Most words differ from the template's in a byte or two: only
             * longer differences are tried against the references. */
            if (n > 2) {
                uint64_t dt = tr__zz(v - ts), df = tr__zz(v - fr);
                unsigned nt = tr__nbytes(dt), nf = tr__nbytes(df);
                if (tr__ts_code[nt] && tr__code_len[tr__ts_code[nt]] < n)
                    cd = tr__ts_code[nt], n = tr__code_len[cd], out_v = dt;
                if (nf <= 2 && (nf ? nf : 1) < n)
                    cd = nf <= 1 ? 14 : 15, n = tr__code_len[cd], out_v = df;
            }
        }
        code[j / 2] |= (uint8_t)(cd << (4 * (j % 2)));
        j++;
        memcpy(p, &out_v, 8);
        p += n;
    }
    map[(TR__WORDS - 1) / 64] = bits;
    uint8_t *o = out;
    memcpy(o, map, TR__MAP_BYTES);
    o += TR__MAP_BYTES;
    memcpy(o, code, (j + 1) / 2);
    o += (j + 1) / 2;
    memcpy(o, &ts, 8);
    memcpy(o + 8, &fr, 8);
    o += 16;
    size_t nd = (size_t)(p - data);
    memcpy(o, data, nd);
    memset(o + nd, 0, 8);
    return (size_t)(o + nd + 8 - out);
}

static void tr__unpack(const uint8_t *in, const uint64_t *t, struct tr_conn *c)
{
    uint8_t *w = (uint8_t *)c; /* written word by word */
    memcpy(c, t, sizeof *c);
    uint64_t map[TR__MAP_BYTES / 8];
    memcpy(map, in, TR__MAP_BYTES);
    unsigned m = 0;
    for (size_t i = 0; i < TR__MAP_BYTES / 8; i++)
        m += (unsigned)__builtin_popcountll(map[i]);
    const uint8_t *code = in + TR__MAP_BYTES, *p = code + (m + 1) / 2;
    uint64_t ref[3] = {0};
    memcpy(&ref[1], p, 8);
    memcpy(&ref[2], p + 8, 8);
    p += 16;
    unsigned j = 0;
    for (size_t i = 0; i < TR__MAP_BYTES / 8; i++) {
        for (uint64_t bits = map[i]; bits; bits &= bits - 1, j++) {
            size_t k = i * 64 + (size_t)__builtin_ctzll(bits);
            unsigned cd = (code[j / 2] >> (4 * (j % 2))) & 15, n = tr__code_len[cd];
            uint64_t v;
            memcpy(&v, p, 8); /* the 8 bytes of slack at the end keep this inside */
            v &= tr__mask[n];
            p += n;
            /* code 0 is a distance of 0 to a reference of 0 */
            uint64_t add = tr__unzz(v) + ref[cd < 10 ? 0 : cd < 14 ? 1 : 2];
            uint64_t word = cd >= 1 && cd <= 9 ? v ^ t[k] : add;
            memcpy(w + 8 * k, &word, 8);
        }
    }
}

/* For the tests (obs_int.h): the packed form itself. */
size_t tr__conn_pack(const struct tr_conn *c, const uint64_t *t, uint8_t *out) { return tr__pack(c, t, out); }
void tr__conn_unpack(const uint8_t *in, const uint64_t *t, struct tr_conn *c) { tr__unpack(in, t, c); }
size_t tr__conn_pack_max(void) { return TR__PACK_MAX; }

/* ---- slots and the pool of resident connections ---- */

struct tr__slot *tr__cslot(const struct tr_obs *o, uint32_t id) { return tr__chunks_at(&o->slots, id); }

/* A parked connection as it is: its packed bytes, with the flags and end
 * its slot holds (they may have changed since it was packed). */
static void tr__unpack_slot(const struct tr_obs *o, const struct tr__slot *sl, struct tr_conn *c)
{
    tr__unpack(sl->packed, o->tmpl, c);
    c->flags = sl->conn_flags;
    c->end = sl->end;
}

static struct tr_conn *tr__pool_take(struct tr_obs *o)
{
    uint32_t i = o->pool_free;
    if (i != TR_NIL) {
        struct tr_conn *c = tr__chunks_at(&o->conns, i);
        o->pool_free = c->id; /* a free struct's id links the free list */
        return c;
    }
    i = tr__chunks_push(&o->conns);
    return i == TR_NIL ? NULL : tr__chunks_at(&o->conns, i);
}

/* The pool index of a resident struct, from its address. */
static uint32_t tr__pool_index(const struct tr_obs *o, const struct tr_conn *c)
{
    for (uint32_t k = 0; k < o->conns.nchunks; k++) {
        const struct tr_conn *base = o->conns.chunk[k];
        if (c >= base && c < base + TR_CHUNK)
            return (k << TR_CHUNK_SHIFT) | (uint32_t)(c - base);
    }
    return TR_NIL;
}

static void tr__pool_give(struct tr_obs *o, struct tr_conn *c)
{
    uint32_t i = tr__pool_index(o, c);
    if (i == TR_NIL)
        return;
    c->id = o->pool_free;
    o->pool_free = i;
}

uint32_t tr__store_new(struct tr_obs *o)
{
    uint32_t id = o->conn_free;
    struct tr__slot *sl;
    if (id != TR_NIL) {
        sl = tr__cslot(o, id);
        o->conn_free = sl->lru_next;
        memset(sl->c, 0, sizeof *sl->c); /* a released connection's resident struct */
    } else {
        struct tr_conn *c = tr__pool_take(o);
        if (!c)
            return TR_NIL;
        id = tr__chunks_push(&o->slots);
        if (id == TR_NIL) {
            tr__pool_give(o, c);
            return TR_NIL;
        }
        memset(c, 0, sizeof *c);
        sl = tr__cslot(o, id);
        sl->c = c;
        o->resident++;
    }
    sl->c->id = id;
    sl->lru_prev = sl->lru_next = TR_NIL;
    return id;
}

struct tr_conn *tr__conn_at(struct tr_obs *o, uint32_t id)
{
    struct tr__slot *sl = tr__cslot(o, id);
    if (sl->c)
        return sl->c;
    struct tr_conn *c = tr__pool_take(o);
    if (!c)
        abort(); /* a parked connection always finds room: its packed bytes are freed below */
    tr__unpack_slot(o, sl, c);
    tr_mem_free(sl->packed);
    sl->packed = NULL;
    o->packed_now -= sl->packed_len;
    sl->c = c;
    o->resident++;
    return c;
}

const struct tr_conn *tr__conn_view(const struct tr_obs *o, uint32_t id, struct tr_conn *scratch)
{
    const struct tr__slot *sl = tr__cslot(o, id);
    if (sl->c)
        return sl->c;
    tr__unpack_slot(o, sl, scratch);
    return scratch;
}

int64_t tr__conn_last_ts(const struct tr_obs *o, uint32_t id)
{
    const struct tr__slot *sl = tr__cslot(o, id);
    return sl->c ? sl->c->last_ts : sl->last_ts;
}

void tr__store_park(struct tr_obs *o, uint32_t id, bool ended)
{
    struct tr__slot *sl = tr__cslot(o, id);
    if (!sl->c || (sl->c->flags & TR_CONN_RELEASED))
        return;
    if (!o->tmpl) {
        if (!(o->tmpl = tr_mem_malloc(sizeof(struct tr_conn))))
            return; /* stays resident */
        memcpy(o->tmpl, sl->c, sizeof(struct tr_conn));
    }
    uint8_t buf[TR__PACK_MAX];
    size_t n = tr__pack(sl->c, o->tmpl, buf);
    uint8_t *p = tr_mem_malloc(n);
    if (!p)
        return; /* stays resident */
    memcpy(p, buf, n);
    sl->packed = p;
    sl->packed_len = (uint32_t)n;
    sl->last_ts = sl->c->last_ts;
    sl->hash = sl->c->hash;
    sl->conn_flags = sl->c->flags;
    sl->end = sl->c->end;
    sl->ended = ended;
    sl->inert = tr__finish_inert(o, sl->c, &sl->finish_end);
    tr__pool_give(o, sl->c);
    sl->c = NULL;
    o->resident--;
    o->packed_now += n;
}

/* ---- the least-recently-used list of active connections ---- */

void tr__lru_unlink(struct tr_obs *o, uint32_t id)
{
    struct tr__slot *sl = tr__cslot(o, id);
    if (o->park_cursor == id)
        o->park_cursor = sl->lru_next;
    if (sl->lru_prev != TR_NIL)
        tr__cslot(o, sl->lru_prev)->lru_next = sl->lru_next;
    else
        o->lru_head = sl->lru_next;
    if (sl->lru_next != TR_NIL)
        tr__cslot(o, sl->lru_next)->lru_prev = sl->lru_prev;
    else
        o->lru_tail = sl->lru_prev;
    sl->lru_prev = sl->lru_next = TR_NIL;
}

void tr__lru_append(struct tr_obs *o, uint32_t id)
{
    struct tr__slot *sl = tr__cslot(o, id);
    sl->lru_next = TR_NIL;
    sl->lru_prev = o->lru_tail;
    if (o->lru_tail != TR_NIL)
        tr__cslot(o, o->lru_tail)->lru_next = id;
    else
        o->lru_head = id;
    o->lru_tail = id;
    if (o->park_cursor == TR_NIL)
        o->park_cursor = id;
}

void tr__lru_touch(struct tr_obs *o, uint32_t id)
{
    if (o->lru_tail == id) {
        /* Parked as the most recent, the walk went past it (the cursor at
         * the end); a segment has unparked it: it is after the cursor
         * again, or it would stay resident to the end. */
        if (o->park_cursor == TR_NIL)
            o->park_cursor = id;
        return;
    }
    tr__lru_unlink(o, id);
    tr__lru_append(o, id);
}

/* Connections in the LRU list before the cursor are parked: the walk goes
 * on from where it stopped. A connection touched since moved to the tail. */
void tr__park_idle(struct tr_obs *o, int64_t now, bool (*ended)(const struct tr_conn *))
{
    if (o->cfg.park_idle_ns <= 0)
        return;
    while (o->park_cursor != TR_NIL && o->resident > o->cfg.park_keep) {
        uint32_t id = o->park_cursor;
        struct tr__slot *sl = tr__cslot(o, id);
        if (sl->c) {
            if (tr__since(now, sl->c->last_ts) <= o->cfg.park_idle_ns)
                break;
            tr__store_park(o, id, ended(sl->c));
        }
        o->park_cursor = sl->lru_next;
    }
}

void tr__store_free(struct tr_obs *o)
{
    for (uint32_t i = 0; i < o->slots.count; i++)
        tr_mem_free(tr__cslot(o, i)->packed);
    tr__chunks_free(&o->slots);
    tr_mem_free(o->tmpl);
}
