/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gapcap.c — pcap of the frames around each gap (see vfp_gapcap.h).
 *
 * Thread-safety: one gapcap per thread; no global state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "vfp_gapcap.h"

/* One frame kept in the ring. */
struct slot {
	struct pcap_pkthdr hdr; /* timestamp, caplen (<= snaplen), len */
	uint8_t *data;		/* snaplen bytes */
};

struct vfp_gapcap {
	pcap_t *dead;	     /* pcap handle for the dumper (Ethernet, snaplen) */
	pcap_dumper_t *dump; /* the output file */
	unsigned int k;	     /* ring size and frames written after a gap */
	unsigned int snap;   /* bytes kept per frame */
	struct slot *ring;   /* k slots */
	uint8_t *buf;	     /* k * snap bytes behind the slots */
	unsigned int head;   /* next slot to fill */
	unsigned int used;   /* frames in the ring (not yet written) */
	unsigned int post;   /* frames still to write after the last gap */
	uint64_t frames;     /* frames written */
	uint64_t gaps;	     /* gaps that triggered writing */
};

struct vfp_gapcap *
vfp_gapcap_open(const char *path, unsigned int k, unsigned int snaplen, char *err, size_t errlen)
{
	struct vfp_gapcap *g;

	if (k > 65536) {
		snprintf(err, errlen, "gap pcap: %u frames around a gap: must be 0..65536", k);
		return NULL;
	}
	if (snaplen < 64 || snaplen > 65535) {
		snprintf(err, errlen, "gap pcap: snaplen %u: must be 64..65535", snaplen);
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL || (k != 0 && ((g->ring = calloc(k, sizeof(*g->ring))) == NULL ||
				     (g->buf = malloc((size_t)k * snaplen)) == NULL))) {
		snprintf(err, errlen, "gap pcap: out of memory");
		goto fail;
	}
	g->k = k;
	g->snap = snaplen;
	for (unsigned int i = 0; i < k; i++)
		g->ring[i].data = g->buf + (size_t)i * snaplen;
	g->dead = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	if (g->dead == NULL) {
		snprintf(err, errlen, "gap pcap: pcap_open_dead failed");
		goto fail;
	}
	g->dump = pcap_dump_open(g->dead, path);
	if (g->dump == NULL) {
		snprintf(err, errlen, "gap pcap '%s': %s", path, pcap_geterr(g->dead));
		goto fail;
	}
	return g;
fail:
	if (g && g->dead)
		pcap_close(g->dead);
	if (g) {
		free(g->buf);
		free(g->ring);
	}
	free(g);
	return NULL;
}

/* Fills pcap header h for a frame at ts_us of caplen (capped at snap) and
 * wirelen bytes. */
static void
fill_hdr(const struct vfp_gapcap *g, struct pcap_pkthdr *h, uint64_t ts_us, size_t caplen,
	 size_t wirelen)
{
	h->ts.tv_sec = (time_t)(ts_us / 1000000);
	h->ts.tv_usec = (suseconds_t)(ts_us % 1000000);
	h->caplen = (bpf_u_int32)(caplen < g->snap ? caplen : g->snap);
	h->len = (bpf_u_int32)(wirelen > caplen ? wirelen : caplen);
}

void
vfp_gapcap_frame(struct vfp_gapcap *g, uint64_t ts_us, const uint8_t *frame, size_t caplen,
		 size_t wirelen, bool gap)
{
	struct pcap_pkthdr h;

	if (g->k == 0) { /* a plain capture: every frame */
		fill_hdr(g, &h, ts_us, caplen, wirelen);
		pcap_dump((u_char *)g->dump, &h, frame);
		g->frames++;
		g->gaps += gap;
		return;
	}
	if (gap) {
		/* Write the ring, oldest first. */
		unsigned int i = (g->head + g->k - g->used) % g->k;

		for (; g->used != 0; g->used--, i = (i + 1) % g->k) {
			pcap_dump((u_char *)g->dump, &g->ring[i].hdr, g->ring[i].data);
			g->frames++;
		}
		g->post = g->k;
		g->gaps++;
	}
	if (gap || g->post != 0) {
		fill_hdr(g, &h, ts_us, caplen, wirelen);
		pcap_dump((u_char *)g->dump, &h, frame);
		g->frames++;
		if (!gap)
			g->post--;
		return;
	}
	fill_hdr(g, &g->ring[g->head].hdr, ts_us, caplen, wirelen);
	memcpy(g->ring[g->head].data, frame, g->ring[g->head].hdr.caplen);
	g->head = (g->head + 1) % g->k;
	if (g->used < g->k)
		g->used++;
}

int
vfp_gapcap_close(struct vfp_gapcap *g, uint64_t *frames, uint64_t *gaps, char *err, size_t errlen)
{
	int rc = 0;

	if (g == NULL)
		return 0;
	if (frames)
		*frames = g->frames;
	if (gaps)
		*gaps = g->gaps;
	if (pcap_dump_flush(g->dump) != 0) {
		snprintf(err, errlen, "gap pcap: write failed");
		rc = -1;
	}
	pcap_dump_close(g->dump);
	pcap_close(g->dead);
	free(g->buf);
	free(g->ring);
	free(g);
	return rc;
}
