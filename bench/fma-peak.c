/*
 * The machine's FMA peak in float32 GFLOP/s: every thread runs 12 independent chains of fused
 * multiply-adds on the widest vectors the CPU has (AVX-512, else AVX2+FMA), enough chains to
 * cover the FMA latency on two ports, with every operand in a register. No real kernel can
 * beat this figure, so "fraction of peak" is measured against it.
 *
 * Built and run by bench/corpus.mjs:  cc -O2 -pthread fma-peak.c -o fma-peak && ./fma-peak THREADS
 * Prints one line: "<GFLOP/s> <isa>".
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
static long iterations = 200000000L;
static int use512;

#define BODY(T, SET, FMA, ADD, WIDTH)                                                   \
  T m = SET(0.999999f), c = SET(1e-7f), a[CHAINS];                                      \
  for (int k = 0; k < CHAINS; k++) a[k] = SET((float)k);                                \
  for (long i = 0; i < n; i++) {                                                        \
    a[0] = FMA(a[0], m, c); a[1] = FMA(a[1], m, c); a[2] = FMA(a[2], m, c);             \
    a[3] = FMA(a[3], m, c); a[4] = FMA(a[4], m, c); a[5] = FMA(a[5], m, c);             \
    a[6] = FMA(a[6], m, c); a[7] = FMA(a[7], m, c); a[8] = FMA(a[8], m, c);             \
    a[9] = FMA(a[9], m, c); a[10] = FMA(a[10], m, c); a[11] = FMA(a[11], m, c);         \
  }                                                                                     \
  T s = a[0];                                                                           \
  for (int k = 1; k < CHAINS; k++) s = ADD(s, a[k]);                                    \
  float out[WIDTH];                                                                     \
  memcpy(out, &s, sizeof out);                                                          \
  return out[0];

#include <string.h>
__attribute__((target("avx512f"))) static float chains512(long n) { BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16) }
__attribute__((target("avx2,fma"))) static float chains256(long n) { BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 8) }

static void *worker(void *result) {
  *(float *)result = use512 ? chains512(iterations) : chains256(iterations);
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 256) return 2;
  __builtin_cpu_init();
  use512 = __builtin_cpu_supports("avx512f");
  if (!use512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    printf("0 none\n");
    return 0;
  }
  int width = use512 ? 16 : 8;
  pthread_t ids[256];
  float sinks[256];
  double best = 0;
  for (int round = 0; round < 3; round++) { /* best of three: the first may meet a cold clock */
    double start = now();
    for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, worker, &sinks[t]);
    for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    double flops = 2.0 * CHAINS * width * (double)iterations * threads;
    double rate = flops / (now() - start) / 1e9;
    if (rate > best) best = rate;
  }
  printf("%.1f %s %g\n", best, use512 ? "avx512" : "avx2", (double)sinks[0]);
  return 0;
}
