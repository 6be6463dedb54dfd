/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_args.h — what the command-line and INI harnesses check after
 * vfo_args_parse(): its result is either a clean refusal (one line naming
 * the culprit) or a configuration the rest of vfailover can rely on; and
 * parsing the same input twice gives the same result (no state left behind
 * in getopt or the INI reader).
 */
#ifndef VFO_FUZZ_ARGS_H
#define VFO_FUZZ_ARGS_H

#include <ctype.h>
#include <string.h>

#include "args.h"
#include "fuzz.h"

/** Room for the error line the harnesses give vfo_args_parse(). */
#define FUZZ_ERR_LEN 1024

/* Checks that s is a NUL-terminated string of 1..size-1 characters. */
static inline void
fuzz_check_str(const char *s, size_t size, int may_be_empty)
{
	size_t len = strnlen(s, size);

	FUZZ_CHECK(len < size);
	FUZZ_CHECK(may_be_empty || len > 0);
}

/* Checks one parse: 'rc', 'err' and 'cfg' as vfo_args_parse() left them. */
static inline void
fuzz_check_parse(int rc, const char *err, const struct vfo_app_config *cfg)
{
	unsigned int i, j, id;
	const char *p;

	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		fuzz_check_str(err, FUZZ_ERR_LEN, 0);
		FUZZ_CHECK(strchr(err, '\n') == NULL);
		return;
	}
	if (cfg->help)
		return;
	FUZZ_CHECK(cfg->nb_uplinks >= 1 && cfg->nb_uplinks <= VFO_MAX_UPLINKS);
	for (i = 0; i < cfg->nb_uplinks; i++) {
		const struct vfo_uplink_conf *u = &cfg->uplink[i];

		fuzz_check_str(u->name, sizeof(u->name), 0);
		for (p = u->name; *p != '\0'; p++)
			FUZZ_CHECK(isalnum((unsigned char)*p) || strchr("_-.", *p) != NULL);
		for (id = 0; id < VFO_MEMBER_COUNT; id++)
			fuzz_check_str(u->devargs[id], sizeof(u->devargs[id]), 0);
		FUZZ_CHECK(u->vlans.n <= VFO_MAX_VLANS);
		for (j = 0; j < u->vlans.n; j++)
			FUZZ_CHECK(u->vlans.id[j] >= 1 && u->vlans.id[j] <= 4094);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg->uplink[j].name, u->name) != 0);
	}
	FUZZ_CHECK(cfg->fwd <= VFO_FWD_FLOW);
	FUZZ_CHECK(cfg->burst >= 1 && cfg->burst <= VFO_MAX_BURST);
	FUZZ_CHECK(cfg->nb_rxd >= 64 && cfg->nb_rxd <= 8192);
	FUZZ_CHECK(cfg->nb_txd >= 64 && cfg->nb_txd <= 8192);
	FUZZ_CHECK(cfg->nb_rxq <= VFO_MAX_QUEUES && cfg->nb_txq <= VFO_MAX_QUEUES);
	FUZZ_CHECK(cfg->drain_us >= 1);
	FUZZ_CHECK(cfg->max_flows >= 64 && cfg->max_flows <= 4000000);
	fuzz_check_str(cfg->ctl_path, sizeof(cfg->ctl_path), 1);
	fuzz_check_str(cfg->ctl_serial, sizeof(cfg->ctl_serial), 1);
	fuzz_check_str(cfg->config_path, sizeof(cfg->config_path), 1);
}

/*
 * Parses argv[0..argc) twice (vfo_args_parse may permute nothing, but it
 * reads files and global getopt state), checks each result and that both
 * are the same.
 */
static inline void
fuzz_parse_twice(int argc, char **argv)
{
	static struct vfo_app_config c1, c2;
	static char e1[FUZZ_ERR_LEN], e2[FUZZ_ERR_LEN];
	int r1, r2;

	memset(e1, 0, sizeof(e1));
	memset(e2, 0, sizeof(e2));
	r1 = vfo_args_parse(argc, argv, &c1, e1, sizeof(e1));
	fuzz_check_parse(r1, e1, &c1);
	r2 = vfo_args_parse(argc, argv, &c2, e2, sizeof(e2));
	FUZZ_CHECK(r1 == r2);
	if (r1 == 0)
		FUZZ_CHECK(memcmp(&c1, &c2, sizeof(c1)) == 0);
	else
		FUZZ_CHECK(strcmp(e1, e2) == 0);
}

#endif /* VFO_FUZZ_ARGS_H */
