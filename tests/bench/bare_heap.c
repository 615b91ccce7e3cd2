/*
 * bare_heap.c: the yardstick of tests/bench.sh, not part of poolsim. A plain
 * binary min-heap of N (time, id) pairs: each round pops the minimum and
 * pushes it back a pseudo-random delay later, the least work any discrete-
 * event simulator does per event. Prints "N PAIRS CPU_SECONDS PAIRS_PER_CPU_S";
 * bench.sh divides poolsim's requests per CPU-second by the last figure, so a
 * loaded machine slows both sides of the ratio alike.
 *
 * Usage: bare_heap [N [PAIRS]]  (default 10000 and 20000000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct pair {
	int64_t at;
	uint32_t id;
};

static int earlier(const struct pair *x, const struct pair *y)
{
	return x->at < y->at || (x->at == y->at && x->id < y->id);
}

static void sift_down(struct pair *h, size_t n, size_t i)
{
	struct pair moving = h[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && earlier(&h[c + 1], &h[c]))
			c++;
		if (!earlier(&h[c], &moving))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = moving;
}

static void sift_up(struct pair *h, size_t i)
{
	struct pair moving = h[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!earlier(&moving, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = moving;
}

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	uint64_t pairs = argc > 2 ? strtoull(argv[2], NULL, 10) : 20000000;
	if (n == 0 || pairs == 0)
		return 2;
	struct pair *h = malloc(n * sizeof(*h));
	if (!h)
		return 1;
	uint64_t rnd = 88172645463325252ull;
	for (size_t i = 0; i < n; i++) {
		h[i].at = (int64_t)(next_random(&rnd) % 100000000);
		h[i].id = (uint32_t)i;
		sift_up(h, i);
	}
	clock_t start = clock();
	int64_t sum = 0;
	for (uint64_t k = 0; k < pairs; k++) {
		struct pair top = h[0];
		sum += top.at;
		h[0] = h[n - 1]; /* pop */
		sift_down(h, n - 1, 0);
		top.at += (int64_t)(next_random(&rnd) % 100000000); /* push: 0..100 ms later */
		h[n - 1] = top;
		sift_up(h, n - 1);
	}
	double cpu = (double)(clock() - start) / CLOCKS_PER_SEC;
	if (cpu <= 0)
		cpu = 1e-6;
	printf("%zu %llu %.3f %.0f\n", n, (unsigned long long)pairs, cpu, (double)pairs / cpu);
	return sum == 42 ? 3 : 0; /* sum keeps the loop from being optimised away */
}
