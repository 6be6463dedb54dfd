/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_analyzer.c — per-packet cost of the analyzer.
 *
 *   bench_analyzer [PACKETS [STREAMS]]     (default 50000000 packets, 4 streams)
 *
 * Feeds synthetic packets (streams round-robin, 1 in 10000 dropped, 1 in
 * 10000 swapped with its successor, arrival times at 14.88 Mpps, latency on)
 * in whole chunks of 4096 prepared beforehand, and times only the analyzer calls:
 * vfp_analyzer_rx() on parsed packets, then vfp_analyzer_frame() (parse +
 * rx) on 60 B frames.  Prints ns/packet and Mpps for both; exits 1 if the
 * loss count is not the number of drops.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfo_clock.h"
#include "vfp.h"
#include "vfp_analyzer.h"

#define CHUNK 4096

/* Returns the next value of the xorshift64 state *s. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Synthetic traffic state. */
struct gen {
	uint64_t rng;		       /* PRNG state */
	uint64_t i;		       /* packets offered so far */
	uint64_t seq[VFP_MAX_STREAMS]; /* next number per stream */
	uint64_t drops;		       /* packets dropped */
	uint32_t nstreams;	       /* streams */
};

/* Fills p[0..CHUNK) and t[0..CHUNK) (arrival times, µs) with the next
 * packets; returns how many (drops leave holes; swaps exchange neighbours). */
static unsigned int
gen_chunk(struct gen *g, struct vfp_parsed *p, uint64_t *t, uint64_t *tsc)
{
	unsigned int n = 0;

	while (n < CHUNK) {
		uint16_t s = (uint16_t)(g->i % g->nstreams);
		uint64_t r = rnd(&g->rng);

		g->i++;
		if (r % 10000 == 0) { /* dropped */
			g->seq[s]++;
			g->drops++;
			continue;
		}
		p[n] = (struct vfp_parsed){.stream = s, .seq = g->seq[s]++, .tsc = g->i * 200};
		t[n] = g->i * 67 / 1000;
		tsc[n] = g->i * 200 + 3000 + (r >> 40) % 500;
		if (r % 10000 == 1 && n > 0) { /* swap with the previous one */
			struct vfp_parsed x = p[n];

			p[n] = p[n - 1];
			p[n - 1] = x;
		}
		n++;
	}
	return n;
}

/* Runs 'total' packets through a fresh analyzer, frames=true: through
 * vfp_analyzer_frame().  Prints the cost; returns 0 if loss == drops. */
static int
run(uint64_t total, uint32_t nstreams, bool frames)
{
	static struct vfp_parsed p[CHUNK];
	static uint64_t t[CHUNK], tsc[CHUNK];
	static uint8_t fr[CHUNK][64];
	struct vfp_analyzer_conf conf = {
		.nstreams = nstreams, .tsc_hz = 2000000000ull, .timeline_ms = 600000};
	struct vfp_hdr_params hp = {.src_ip = 0x0a000001, .dst_ip = 0x0a000002, .flow = 1234};
	struct gen g = {.rng = 88172645463325252ull, .nstreams = nstreams};
	struct vfp_stream_stats tot;
	uint64_t spent = 0, done = 0;
	struct vfp_analyzer *a;
	char err[256];

	a = vfp_analyzer_create(&conf, err, sizeof(err));
	if (a == NULL) {
		fprintf(stderr, "bench_analyzer: %s\n", err);
		return 1;
	}
	while (done < total) {
		unsigned int n = gen_chunk(&g, p, t, tsc);
		uint64_t t1;

		if (frames)
			for (unsigned int i = 0; i < n; i++) {
				hp.stream = p[i].stream;
				vfp_build(fr[i], sizeof(fr[i]), VFP_FRAME_MIN, &hp, p[i].seq,
					  p[i].tsc);
			}
		t1 = vfo_mono_ns();
		if (frames)
			for (unsigned int i = 0; i < n; i++)
				vfp_analyzer_frame(a, 0, t[i], tsc[i], fr[i], VFP_FRAME_MIN,
						   VFP_FRAME_MIN);
		else
			for (unsigned int i = 0; i < n; i++)
				vfp_analyzer_rx(a, 0, t[i], tsc[i], &p[i]);
		spent += vfo_mono_ns() - t1;
		done += n;
	}
	/* Whole chunks are fed; finishing without 'sent' closes each stream at
	 * its head, so drops after a stream's last packet are not counted. */
	vfp_analyzer_finish(a, g.i * 67 / 1000, NULL);
	vfp_analyzer_totals(a, &tot);
	printf("%-26s %6.2f ns/packet  %7.2f Mpps  (%" PRIu64 " packets, %u streams, lost %" PRIu64
	       ", reordered %" PRIu64 ", drops %" PRIu64 ")\n",
	       frames ? "vfp_analyzer_frame (parse+rx)" : "vfp_analyzer_rx",
	       (double)spent / (double)done, (double)done * 1e3 / (double)spent, done, nstreams,
	       tot.lost, tot.reordered, g.drops);
	vfp_analyzer_destroy(a);
	return tot.lost <= g.drops && tot.lost + nstreams >= g.drops ? 0 : 1;
}

int
main(int argc, char **argv)
{
	uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000000ull;
	unsigned long streams = argc > 2 ? strtoul(argv[2], NULL, 10) : 4;

	if (total == 0 || streams == 0 || streams > VFP_MAX_STREAMS) {
		fprintf(stderr, "usage: bench_analyzer [PACKETS>0 [STREAMS 1..%u]]\n",
			VFP_MAX_STREAMS);
		return 2;
	}
	if (run(total, (uint32_t)streams, false) != 0 || run(total, (uint32_t)streams, true) != 0) {
		fprintf(stderr, "bench_analyzer: loss count differs from the drops\n");
		return 1;
	}
	return 0;
}
