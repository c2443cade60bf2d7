/*
 * C baseline for the frame parser benchmark (bench/Mcp.Frames.Benchmarks/Framing/FrameParseBenchmarks.cs).
 *
 * A tight loop applying PROTOCOL.md §1.1 rules 1-4 (hunt, length guard, XOR check, deliver) to an in-memory
 * buffer of 4096 valid frames, byte-identical to the C# benchmark's buffer (same xorshift32 generator and seed).
 * Counters are kept as in FrameParser; each delivered frame is "consumed" the way the C# CountingSink does
 * (sum of cmd + payload length), so neither side can skip the work.
 *
 * Build and run: ./run.sh   (gcc -O3 -march=native)
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAMES 4096
#define HEADER 0x5A
#define OVERHEAD 5
#define MAX_PAYLOAD 256

typedef struct {
    uint64_t skipped, oversize, bad_checksum, delivered, delivered_bytes;
    int64_t checksum; /* what the sink computed */
} counters;

static uint32_t next(uint32_t *state) {
    /* xorshift32 (Marsaglia); BenchFrames.cs has the same function. */
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

static uint8_t *build(int payload_length, size_t *size) {
    uint32_t state = 0x12345678u ^ (uint32_t)payload_length;
    size_t n = (size_t)FRAMES * (payload_length + OVERHEAD);
    uint8_t *buf = malloc(n);
    size_t pos = 0;
    for (int i = 0; i < FRAMES; i++) {
        uint8_t *f = buf + pos;
        f[0] = HEADER;
        f[1] = (uint8_t)next(&state);
        f[2] = (uint8_t)payload_length;
        f[3] = (uint8_t)(payload_length >> 8);
        for (int k = 0; k < payload_length; k++) f[4 + k] = (uint8_t)next(&state);
        uint8_t x = 0;
        for (int k = 0; k < 4 + payload_length; k++) x ^= f[k];
        f[4 + payload_length] = x;
        pos += payload_length + OVERHEAD;
    }
    *size = n;
    return buf;
}

/* XOR of n bytes: 8 at a time (gcc vectorizes this loop with -O3 -march=native), then the tail.
 * A plain uint8_t loop is not vectorized by gcc 12 ("unsupported use in stmt"), and would make C look slow. */
static inline uint8_t xor_bytes(const uint8_t *p, size_t n) {
    uint64_t acc = 0;
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        uint64_t w;
        memcpy(&w, p + k, 8);
        acc ^= w;
    }
    acc ^= acc >> 32;
    acc ^= acc >> 16;
    acc ^= acc >> 8;
    uint8_t x = (uint8_t)acc;
    for (; k < n; k++) x ^= p[k];
    return x;
}

/* Rules 1-4 over buf[0..n). Returns the number of bytes consumed (an incomplete candidate is left). */
__attribute__((noinline)) static size_t parse(const uint8_t *buf, size_t n, unsigned max, counters *c) {
    size_t i = 0;
    while (i < n) {
        if (buf[i] != HEADER) { /* rule 1: hunt */
            const uint8_t *p = memchr(buf + i, HEADER, n - i);
            size_t at = p ? (size_t)(p - buf) : n;
            c->skipped += at - i;
            i = at;
            if (!p) break;
        }
        size_t available = n - i;
        if (available < 4) break;
        unsigned len = buf[i + 2] | ((unsigned)buf[i + 3] << 8);
        if (len > max) { c->oversize++; i++; continue; } /* rule 2 */
        size_t total = len + OVERHEAD;
        if (available < total) break;
        if (xor_bytes(buf + i, total) != 0) { /* rule 3 */ c->bad_checksum++; i++; continue; }
        c->delivered++; /* rule 4 */
        c->delivered_bytes += total;
        c->checksum += buf[i + 1] + len;
        i += total;
    }
    return i;
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 2000;
    const int sizes[] = {0, 8, 64, 256};
    printf("%-8s %10s %12s %14s %8s   (%d frames per buffer, median of %d runs; min in brackets)\n",
           "payload", "frame B", "ns/frame", "frames/s", "GB/s", FRAMES, runs);
    double *samples = malloc(sizeof(double) * runs);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n;
        uint8_t *buf = build(sizes[s], &n);
        counters c = {0};
        if (parse(buf, n, MAX_PAYLOAD, &c) != n || c.delivered != FRAMES || c.delivered_bytes != n) {
            fprintf(stderr, "self-check failed for payload %d\n", sizes[s]);
            return 1;
        }
        for (int w = 0; w < runs / 10 + 1; w++) parse(buf, n, MAX_PAYLOAD, &c); /* warm up */
        for (int r = 0; r < runs; r++) {
            double t0 = now_ns();
            parse(buf, n, MAX_PAYLOAD, &c);
            samples[r] = (now_ns() - t0) / FRAMES;
        }
        qsort(samples, runs, sizeof(double), cmp);
        double med = samples[runs / 2], min = samples[0];
        int frame = sizes[s] + OVERHEAD;
        printf("%-8d %10d %12.3f %14.0f %8.2f   [%.3f ns]   (sink checksum %lld)\n",
               sizes[s], frame, med, 1e9 / med, frame / med, min, (long long)c.checksum);
        free(buf);
    }
    free(samples);
    return 0;
}
