/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfp_offline.h — vfprobe's offline mode: analyze a pcap file.
 *
 * Reads an Ethernet pcap (or pcapng) file with libpcap and feeds every frame
 * to an analyzer (port 0, rx time = the pcap timestamp in µs, no latency:
 * the capture clock is not the senders' TSC), optionally to a gapcap.
 *
 * Thread-safety: uses only its arguments; one call per analyzer at a time.
 */
#ifndef VFP_OFFLINE_H
#define VFP_OFFLINE_H

#include <stddef.h>
#include <stdint.h>

#include "vfp_analyzer.h"
#include "vfp_gapcap.h"

/** What the reader saw. */
struct vfp_offline_result {
	uint64_t frames;   /**< frames read */
	uint64_t probes;   /**< of which probe packets of a tracked stream */
	uint64_t snapped;  /**< frames captured shorter than on the wire */
	uint64_t first_us; /**< first timestamp */
	uint64_t last_us;  /**< last timestamp */
};

/**
 * Feeds the frames of pcap file 'path' to 'a' (and 'gc' unless NULL) and
 * fills 'res'.  Does not finish the analyzer: the caller calls
 * vfp_analyzer_finish(a, res->last_us, sent) next.  Returns 0, or -1 with a
 * message naming the file in err[0..errlen) (unreadable, not a pcap file,
 * link type other than Ethernet, read error); frames read before a read
 * error have been fed.
 */
int vfp_offline_run(const char *path, struct vfp_analyzer *a, struct vfp_gapcap *gc,
		    struct vfp_offline_result *res, char *err, size_t errlen);

#endif /* VFP_OFFLINE_H */
