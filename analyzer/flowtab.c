#include "analyzer/flowtab.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/arena.h"
#include "stack/error.h"

/* splitmix64's finalizer. */
static uint64_t tr__mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* One endpoint: its 16 address bytes and port folded by multiplications
 * with odd constants (cheap, and the final tr__mix64 of tr_flow_hash spreads
 * the result); the two halves are rotated apart so that swapping them does
 * not give the same value. */
static uint64_t tr__ep_hash(const uint8_t *addr, uint16_t port, uint64_t salt)
{
    uint64_t a, b;
    memcpy(&a, addr, 8);
    memcpy(&b, addr + 8, 8);
    uint64_t x = (a ^ salt) * 0x9e3779b97f4a7c15ull;
    uint64_t y = (b ^ ((uint64_t)port << 16)) * 0xc2b2ae3d27d4eb4full;
    return x ^ (y << 29 | y >> 35) ^ ((uint64_t)port * 0x165667b19e3779f9ull);
}

uint32_t tr_flow_hash4(const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport)
{
    /* Address and port of each side in one 48-bit word: the smaller first,
     * so both directions agree; one multiplication and the finalizer (the 9
     * of the general case cost 6 % of the analysis). */
    uint32_t a, b;
    memcpy(&a, src, 4);
    memcpy(&b, dst, 4);
    uint64_t k1 = (uint64_t)a << 16 | sport, k2 = (uint64_t)b << 16 | dport;
    uint64_t lo = k1 < k2 ? k1 : k2, hi = k1 < k2 ? k2 : k1;
    return (uint32_t)(tr__mix64(lo * 0x9e3779b97f4a7c15ull ^ hi) >> 32);
}

uint32_t tr_flow_hash(const struct tr_seg *s)
{
    /* The VLAN is left out: one direction may be tagged and the other not
     * (tr__key_match in the observer tells connections of different VLANs
     * apart). */
    if (s->ipver == 4)
        return tr_flow_hash4(s->src, s->dst, s->sport, s->dport);
    uint64_t salt = (uint64_t)s->ipver << 56;
    uint64_t h1 = tr__ep_hash(s->src, s->sport, salt);
    uint64_t h2 = tr__ep_hash(s->dst, s->dport, salt);
    uint64_t lo = h1 < h2 ? h1 : h2, hi = h1 < h2 ? h2 : h1;
    return (uint32_t)(tr__mix64(lo * 0x9e3779b97f4a7c15ull + hi) >> 32);
}

int tr_flowtab_init(struct tr_flowtab *t, uint32_t initial)
{
    uint32_t n = 64;
    while (n < initial * 2)
        n *= 2;
    t->slot = tr_mem_calloc(n, sizeof *t->slot);
    if (!t->slot)
        return TR_ENOMEM;
    t->mask = n - 1;
    t->count = 0;
    return TR_OK;
}

void tr_flowtab_free(struct tr_flowtab *t)
{
    tr_mem_free(t->slot);
    t->slot = NULL;
}

uint32_t tr_flowtab_next(const struct tr_flowtab *t, uint32_t hash, uint32_t *pos)
{
    uint32_t i = *pos ? *pos : (hash & t->mask) + 1;
    for (;; i = (i & t->mask) + 1) {
        uint64_t v = t->slot[i - 1];
        if (v == 0)
            return UINT32_MAX;
        if ((uint32_t)(v >> 32) == hash) {
            *pos = (i & t->mask) + 1;
            return (uint32_t)v - 1;
        }
    }
}

static void tr__place(uint64_t *slot, uint32_t mask, uint64_t v)
{
    uint32_t i = (uint32_t)(v >> 32) & mask;
    while (slot[i])
        i = (i + 1) & mask;
    slot[i] = v;
}

static int tr__grow(struct tr_flowtab *t)
{
    uint32_t n = (t->mask + 1) * 2;
    uint64_t *s = tr_mem_calloc(n, sizeof *s);
    if (!s)
        return TR_ENOMEM;
    for (uint32_t i = 0; i <= t->mask; i++)
        if (t->slot[i])
            tr__place(s, n - 1, t->slot[i]);
    tr_mem_free(t->slot);
    t->slot = s;
    t->mask = n - 1;
    return TR_OK;
}

int tr_flowtab_insert(struct tr_flowtab *t, uint32_t hash, uint32_t index)
{
    if ((t->count + 1) * 2 > t->mask + 1 && tr__grow(t) < 0)
        return TR_ENOMEM;
    tr__place(t->slot, t->mask, (uint64_t)hash << 32 | ((uint64_t)index + 1));
    t->count++;
    return TR_OK;
}

void tr_flowtab_remove(struct tr_flowtab *t, uint32_t hash, uint32_t index)
{
    uint64_t want = (uint64_t)hash << 32 | ((uint64_t)index + 1);
    uint32_t i = hash & t->mask;
    while (t->slot[i] && t->slot[i] != want)
        i = (i + 1) & t->mask;
    if (!t->slot[i])
        return;
    /* Backward-shift deletion: move later entries of the cluster into the
     * hole when their home slot is at or before it. */
    uint32_t hole = i;
    for (uint32_t j = (i + 1) & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
        uint32_t home = (uint32_t)(t->slot[j] >> 32) & t->mask;
        if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
            t->slot[hole] = t->slot[j];
            hole = j;
        }
    }
    t->slot[hole] = 0;
    t->count--;
}
