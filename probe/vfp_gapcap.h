/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfp_gapcap.h — pcap of the frames around each gap.
 *
 * Keeps copies of the last K frames (first snaplen bytes of each) in a ring;
 * when a frame is flagged as ending a gap (vfp_analyzer_rx() returned
 * VFP_RX_GAP), the ring (oldest first), that frame and the next K frames are
 * written to a pcap file (Ethernet, µs timestamps) with pcap_dump.  A frame
 * is written at most once.  Usable from the offline reader and from a live
 * receiver (one memcpy of at most snaplen bytes per frame, no allocation).
 *
 * Thread-safety: one gapcap is used by one thread at a time.
 */
#ifndef VFP_GAPCAP_H
#define VFP_GAPCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vfp_gapcap;

/**
 * Creates 'path' (pcap, Ethernet) and a ring of k (1..65536) frames of at
 * most snaplen (64..65535) bytes; k = 0 makes a plain capture: every frame
 * offered is written.  Returns the gapcap, or NULL with a
 * message naming the culprit in err[0..errlen).
 */
struct vfp_gapcap *vfp_gapcap_open(const char *path, unsigned int k, unsigned int snaplen,
				   char *err, size_t errlen);

/**
 * Offers one frame (frame[0..caplen), wirelen on the wire) received at
 * ts_us; 'gap': it ended a gap.  Returns nothing; writes to the file or
 * keeps the frame in the ring.
 */
void vfp_gapcap_frame(struct vfp_gapcap *g, uint64_t ts_us, const uint8_t *frame, size_t caplen,
		      size_t wirelen, bool gap);

/**
 * Flushes and closes the file and frees g (NULL is fine).  Returns 0, or -1
 * when writing failed (message in err).  *frames / *gaps (if not NULL):
 * frames written, gaps that triggered a dump.
 */
int vfp_gapcap_close(struct vfp_gapcap *g, uint64_t *frames, uint64_t *gaps, char *err,
		     size_t errlen);

#endif /* VFP_GAPCAP_H */
