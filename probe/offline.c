/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * offline.c — analyze a pcap file (see vfp_offline.h).
 *
 * Thread-safety: uses only its arguments.
 */
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "vfp_offline.h"

int
vfp_offline_run(const char *path, struct vfp_analyzer *a, struct vfp_gapcap *gc,
		struct vfp_offline_result *res, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int dlt, rc;

	memset(res, 0, sizeof(*res));
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (p == NULL) {
		snprintf(err, errlen, "cannot read pcap file '%s': %s", path, perr);
		return -1;
	}
	dlt = pcap_datalink(p);
	if (dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);

		snprintf(err, errlen,
			 "pcap file '%s': link type %s (%d) is not Ethernet; capture on an "
			 "Ethernet interface (tcpdump -i IFACE, not -i any)",
			 path, name ? name : "unknown", dlt);
		pcap_close(p);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		unsigned int r;

		if (res->frames == 0)
			res->first_us = ts;
		if (ts > res->last_us)
			res->last_us = ts;
		res->frames++;
		if (h->caplen < h->len)
			res->snapped++;
		r = vfp_analyzer_frame(a, 0, ts, 0, data, h->caplen, h->len);
		if (!(r & VFP_RX_FOREIGN))
			res->probes++;
		if (gc != NULL)
			vfp_gapcap_frame(gc, ts, data, h->caplen, h->len, (r & VFP_RX_GAP) != 0);
	}
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "pcap file '%s': read error after %llu frames: %s", path,
			 (unsigned long long)res->frames, pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	return 0;
}
