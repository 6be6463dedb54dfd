/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_probe.c — an ethdev port from devargs (see vfo_port.h).
 */
#include <errno.h>
#include <stdio.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "vfo_port.h"

int
vfo_port_probe(const char *devargs, uint16_t *port, char *err, size_t errlen)
{
	struct rte_dev_iterator it;
	uint16_t pid, found = UINT16_MAX;
	unsigned int nb = 0;
	int ret;

	ret = rte_dev_probe(devargs);
	if (ret < 0 && ret != -EEXIST) {
		snprintf(err, errlen,
			 "'%s' does not probe: %s; check the device name and its arguments "
			 "(vdev drivers: see 'dpdk-testpmd --help'), or the PCI address and "
			 "its driver binding",
			 devargs, rte_strerror(-ret));
		return -1;
	}
	RTE_ETH_FOREACH_MATCHING_DEV(pid, devargs, &it)
	{
		found = pid;
		nb++;
	}
	if (nb != 1) {
		snprintf(err, errlen, "'%s' gives %u ethdev ports; it must give exactly one",
			 devargs, nb);
		return -1;
	}
	*port = found;
	return 0;
}
