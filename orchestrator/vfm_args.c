/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfm_args.c — vfmigrate's command line: getopt_long over one option
 * table, range checks, and the checks across options (what several
 * domains cannot share, what excludes what).
 *
 * Thread-safety: uses getopt's globals; call from one thread.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vfm.h"
#include "vfo_errf.h"
#include "vfo_num.h"

/* Option values of getopt_long for the long-only options. */
enum {
	OPT_SRC = 256,
	OPT_DST,
	OPT_VF,
	OPT_VF_NETWORK,
	OPT_VF_XML,
	OPT_CHANNEL,
	OPT_CHANNEL_DST,
	OPT_CHANNEL_NAME,
	OPT_UPLINK,
	OPT_STEER_BACKUP,
	OPT_STEER_VF,
	OPT_XML,
	OPT_JSON,
	OPT_LOCK_DIR,
	OPT_LIVE,
	OPT_P2P,
	OPT_PERSISTENT,
	OPT_UNDEFINE_SOURCE,
	OPT_NO_GUEST,
	OPT_QUIET,
	OPT_MAX_DOWNTIME,
	OPT_BANDWIDTH,
	OPT_PARALLEL,
	OPT_DETACH_TIMEOUT,
	OPT_GUEST_TIMEOUT,
	OPT_HOOK_TIMEOUT,
	OPT_TIMEOUT,
	OPT_NO_VF,
	OPT_EVACUATE,
	OPT_ON_FAILURE,
	OPT_LOAD_THRESHOLD,
	OPT_LOAD_INTERVAL,
	OPT_LOAD_SAMPLES,
};

/* A numeric option: where it goes and its range. */
struct num_opt {
	int val;		/* its getopt value */
	size_t off;		/* offset of its unsigned int in struct vfm_opts */
	unsigned long min, max; /* accepted range */
};

static const struct option long_opts[] = {
	{"src", required_argument, NULL, OPT_SRC},
	{"dst", required_argument, NULL, OPT_DST},
	{"vf", required_argument, NULL, OPT_VF},
	{"vf-network", required_argument, NULL, OPT_VF_NETWORK},
	{"vf-xml", required_argument, NULL, OPT_VF_XML},
	{"channel", required_argument, NULL, OPT_CHANNEL},
	{"channel-dst", required_argument, NULL, OPT_CHANNEL_DST},
	{"channel-name", required_argument, NULL, OPT_CHANNEL_NAME},
	{"uplink", required_argument, NULL, OPT_UPLINK},
	{"steer-backup", required_argument, NULL, OPT_STEER_BACKUP},
	{"steer-vf", required_argument, NULL, OPT_STEER_VF},
	{"xml", required_argument, NULL, OPT_XML},
	{"json", required_argument, NULL, OPT_JSON},
	{"lock-dir", required_argument, NULL, OPT_LOCK_DIR},
	{"live", no_argument, NULL, OPT_LIVE},
	{"p2p", no_argument, NULL, OPT_P2P},
	{"persistent", no_argument, NULL, OPT_PERSISTENT},
	{"undefine-source", no_argument, NULL, OPT_UNDEFINE_SOURCE},
	{"no-guest", no_argument, NULL, OPT_NO_GUEST},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"max-downtime", required_argument, NULL, OPT_MAX_DOWNTIME},
	{"bandwidth", required_argument, NULL, OPT_BANDWIDTH},
	{"parallel", required_argument, NULL, OPT_PARALLEL},
	{"detach-timeout", required_argument, NULL, OPT_DETACH_TIMEOUT},
	{"guest-timeout", required_argument, NULL, OPT_GUEST_TIMEOUT},
	{"hook-timeout", required_argument, NULL, OPT_HOOK_TIMEOUT},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"no-vf", required_argument, NULL, OPT_NO_VF},
	{"evacuate", no_argument, NULL, OPT_EVACUATE},
	{"on-failure", required_argument, NULL, OPT_ON_FAILURE},
	{"load-threshold", required_argument, NULL, OPT_LOAD_THRESHOLD},
	{"load-interval", required_argument, NULL, OPT_LOAD_INTERVAL},
	{"load-samples", required_argument, NULL, OPT_LOAD_SAMPLES},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const struct num_opt num_opts[] = {
	{OPT_MAX_DOWNTIME, offsetof(struct vfm_opts, max_downtime_ms), 1, 600000},
	{OPT_BANDWIDTH, offsetof(struct vfm_opts, bandwidth_mibs), 1, 1000000},
	{OPT_PARALLEL, offsetof(struct vfm_opts, parallel), 1, VFM_MAX_DOMAINS},
	{OPT_DETACH_TIMEOUT, offsetof(struct vfm_opts, detach_timeout_ms), 100, 600000},
	{OPT_GUEST_TIMEOUT, offsetof(struct vfm_opts, guest_timeout_ms), 100, 600000},
	{OPT_HOOK_TIMEOUT, offsetof(struct vfm_opts, hook_timeout_ms), 100, 3600000},
	{OPT_TIMEOUT, offsetof(struct vfm_opts, timeout_ms), 100, 86400000},
	{OPT_LOAD_THRESHOLD, offsetof(struct vfm_opts, load_threshold), 1, 100},
	{OPT_LOAD_INTERVAL, offsetof(struct vfm_opts, load_interval_s), 1, 3600},
	{OPT_LOAD_SAMPLES, offsetof(struct vfm_opts, load_samples), 1, 1000},
};

/* Returns the long name of option value 'val' (for messages). */
static const char *
opt_name(int val)
{
	const struct option *o;

	for (o = long_opts; o->name != NULL; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

/*
 * Parses 'arg' as option 'n' into 'o'.  Returns 0, or -1 with err set
 * (the option, the value, the range).
 */
static int
set_num(const struct num_opt *n, struct vfm_opts *o, const char *arg, char *err, size_t errlen)
{
	uint64_t v;

	if (vfo_parse_u64(arg, n->min, n->max, &v) != 0)
		return vfo_errf(err, errlen, "--%s '%s': give a number %lu..%lu", opt_name(n->val),
				arg, n->min, n->max);
	*(unsigned int *)((char *)o + n->off) = (unsigned int)v;
	return 0;
}

/* Returns true when 's' is a MAC address written as six hex pairs. */
static bool
is_mac(const char *s)
{
	int i;

	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return s[17] == '\0';
}

/* Returns true when 'path' is a directory. */
static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Stores the string option 'val' with argument 'arg' in 'o'; returns 0 or -1. */
static int
set_str(struct vfm_opts *o, int val, const char *arg)
{
	const char **slot[] = {
		[OPT_SRC - OPT_SRC] = &o->src_uri,
		[OPT_DST - OPT_SRC] = &o->dst_uri,
		[OPT_VF - OPT_SRC] = &o->vf,
		[OPT_VF_NETWORK - OPT_SRC] = &o->vf_network,
		[OPT_VF_XML - OPT_SRC] = &o->vf_xml,
		[OPT_CHANNEL - OPT_SRC] = &o->channel,
		[OPT_CHANNEL_DST - OPT_SRC] = &o->channel_dst,
		[OPT_CHANNEL_NAME - OPT_SRC] = &o->channel_name,
		[OPT_UPLINK - OPT_SRC] = &o->uplink,
		[OPT_STEER_BACKUP - OPT_SRC] = &o->steer_backup,
		[OPT_STEER_VF - OPT_SRC] = &o->steer_vf,
		[OPT_XML - OPT_SRC] = &o->xml,
		[OPT_JSON - OPT_SRC] = &o->json_path,
		[OPT_LOCK_DIR - OPT_SRC] = &o->lock_dir,
	};

	if (val < OPT_SRC || val > OPT_LOCK_DIR)
		return -1;
	*slot[val - OPT_SRC] = arg;
	return 0;
}

/* Sets the flag option 'val' in 'o'; returns 0, or -1 when it is not one. */
static int
set_flag(struct vfm_opts *o, int val)
{
	bool *flag[] = {
		[OPT_LIVE - OPT_LIVE] = &o->live,
		[OPT_P2P - OPT_LIVE] = &o->p2p,
		[OPT_PERSISTENT - OPT_LIVE] = &o->persistent,
		[OPT_UNDEFINE_SOURCE - OPT_LIVE] = &o->undefine_source,
		[OPT_NO_GUEST - OPT_LIVE] = &o->no_guest,
		[OPT_QUIET - OPT_LIVE] = &o->quiet,
	};

	if (val < OPT_LIVE || val > OPT_QUIET)
		return -1;
	*flag[val - OPT_LIVE] = true;
	return 0;
}

/*
 * Checks the options against each other and the domain list.  Returns 0,
 * or -1 with err set.
 */
static int
check(struct vfm_opts *o, char *err, size_t errlen)
{
	unsigned int i, j;

	if (o->evacuate && o->nb_domains != 0)
		return vfo_errf(err, errlen,
				"--evacuate migrates every vfailover domain of --src: give no "
				"DOMAIN ('%s' given)",
				o->domains[0]);
	if (o->nb_domains == 0 && !o->evacuate)
		return vfo_errf(err, errlen,
				"no domain given: vfmigrate [options] DOMAIN... or --evacuate "
				"(see --help)");
	if (!o->evacuate && (o->load_threshold != 0 || o->load_interval_s != 0 ||
			     o->load_samples != 0 || o->on_failure_given))
		return vfo_errf(err, errlen,
				"--on-failure and --load-* apply to --evacuate; add it or drop "
				"them");
	if (o->load_threshold == 0 && (o->load_interval_s != 0 || o->load_samples != 0))
		return vfo_errf(err, errlen,
				"--load-interval and --load-samples need --load-threshold PCT");
	if (o->load_interval_s == 0)
		o->load_interval_s = 5;
	if (o->load_samples == 0)
		o->load_samples = 3;
	if (o->lock_dir[0] != '/')
		return vfo_errf(err, errlen,
				"--lock-dir '%s': give an absolute path (every vfmigrate that "
				"migrates to the same hosts must use the same directory)",
				o->lock_dir);
	if (o->dst_uri == NULL)
		return vfo_errf(err, errlen,
				"no destination: give --dst URI (e.g. qemu+ssh://host2/system)");
	if (o->vf == NULL)
		return vfo_errf(
			err, errlen,
			"no VF interface: give --vf ALIAS or --vf MAC (see virsh domiflist)");
	if (strchr(o->vf, ':') != NULL && !is_mac(o->vf))
		return vfo_errf(err, errlen,
				"--vf '%s': not a MAC address (write 52:54:00:12:34:56) "
				"nor an alias",
				o->vf);
	o->vf_is_mac = is_mac(o->vf);
	if (o->vf_network != NULL && o->vf_xml != NULL)
		return vfo_errf(err, errlen,
				"--vf-network and --vf-xml exclude each other; give one");
	if (o->no_guest && (o->channel != NULL || o->channel_dst != NULL || o->uplink != NULL))
		return vfo_errf(err, errlen,
				"--no-guest excludes --channel, --channel-dst and --uplink");
	if (o->nb_domains > 1 || o->evacuate) {
		char many[32];

		const char *one = o->vf_is_mac		      ? "--vf MAC"
				  : o->channel		      ? "--channel"
				  : o->channel_dst	      ? "--channel-dst"
				  : o->xml && !is_dir(o->xml) ? "--xml FILE"
				  : o->vf_xml		      ? "--vf-xml"
							      : NULL;

		snprintf(many, sizeof(many), o->evacuate ? "--evacuate" : "%u domains",
			 o->nb_domains);
		if (one != NULL)
			return vfo_errf(
				err, errlen,
				"%s names one domain's device or definition; with %s "
				"give an alias and a pool (--vf ALIAS, --vf-network), --xml DIR "
				"(DIR/DOMAIN.xml each) and let the channels be found in each "
				"domain's XML",
				one, many);
	}
	for (i = 0; i < o->nb_domains; i++)
		for (j = i + 1; j < o->nb_domains; j++)
			if (strcmp(o->domains[i], o->domains[j]) == 0)
				return vfo_errf(err, errlen, "domain '%s' is given twice",
						o->domains[i]);
	return 0;
}

/* Parses the command line into 'o'; returns 0 or -1 with 'err' set. */
int
vfm_args_parse(int argc, char **argv, struct vfm_opts *o, char *err, size_t errlen)
{
	int c;

	*o = (struct vfm_opts){
		.channel_name = VFM_CHANNEL_NAME,
		.parallel = 1,
		.detach_timeout_ms = 10000,
		.guest_timeout_ms = 10000,
		.hook_timeout_ms = 30000,
		.lock_dir = VFM_LOCK_DIR,
	};
	optind = 0; /* GNU: a full reset, so that tests can parse again */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		unsigned int i;

		if (c == 'h') {
			o->help = true;
			return 0;
		}
		if (c == ':')
			return vfo_errf(err, errlen, "%s needs an argument; see --help",
					argv[optind - 1]);
		if (c == '?')
			return vfo_errf(err, errlen, "unknown option %s; see --help",
					argv[optind - 1]);
		if (set_str(o, c, optarg) == 0 || set_flag(o, c) == 0)
			continue;
		if (c == OPT_NO_VF) {
			if (strcmp(optarg, "abort") != 0 && strcmp(optarg, "backup") != 0)
				return vfo_errf(
					err, errlen,
					"--no-vf '%s': give abort (do not migrate without a "
					"free VF on the destination) or backup (migrate; the "
					"guest stays on its backup)",
					optarg);
			o->no_vf_backup = strcmp(optarg, "backup") == 0;
			continue;
		}
		if (c == OPT_EVACUATE) {
			o->evacuate = true;
			continue;
		}
		if (c == OPT_ON_FAILURE) {
			if (strcmp(optarg, "stop") != 0 && strcmp(optarg, "continue") != 0)
				return vfo_errf(err, errlen,
						"--on-failure '%s': give stop (start no more "
						"domains after one fails) or continue",
						optarg);
			o->keep_going = strcmp(optarg, "continue") == 0;
			o->on_failure_given = true;
			continue;
		}
		for (i = 0; i < sizeof(num_opts) / sizeof(num_opts[0]); i++)
			if (num_opts[i].val == c && set_num(&num_opts[i], o, optarg, err, errlen))
				return -1;
	}
	for (; optind < argc; optind++) {
		if (o->nb_domains == VFM_MAX_DOMAINS)
			return vfo_errf(err, errlen,
					"more than %d domains; run vfmigrate again for the rest",
					VFM_MAX_DOMAINS);
		o->domains[o->nb_domains++] = argv[optind];
	}
	return check(o, err, errlen);
}

/* Prints the usage text to 'f'. */
void
vfm_args_usage(FILE *f)
{
	fputs("Usage: vfmigrate [options] --dst URI --vf ALIAS|MAC DOMAIN...\n"
	      "       vfmigrate [options] --dst URI --vf ALIAS --evacuate\n"
	      "Live-migrates DOMAIN with its SR-IOV VF: reserves a VF on the destination,\n"
	      "steers traffic to the virtio backup, has the guest's vfailover release the VF,\n"
	      "detaches it, migrates, attaches the reserved VF (same MAC) on the destination\n"
	      "and steers back; rolls back when a step fails.\n"
	      "\nWhere:\n"
	      "  --src URI            source libvirt URI (default: libvirt's default)\n"
	      "  --dst URI            destination libvirt URI (qemu+ssh://host/system,\n"
	      "                       qemu+unix:///system?socket=PATH, ...)\n"
	      "The VF:\n"
	      "  --vf ALIAS|MAC       the domain's VF interface: its alias (virsh dumpxml) or MAC\n"
	      "  --vf-network NAME    attach on the destination from this <forward "
	      "mode='hostdev'>\n"
	      "                       network pool (default: the VF's own network)\n"
	      "  --vf-xml FILE        or from this <interface> XML file (MAC set to the VF's):\n"
	      "                       one device, free while no domain there has it\n"
	      "  --no-vf ACTION       no free VF on the destination: abort (default: do not\n"
	      "                       start) or backup (migrate; the guest stays on its backup)\n"
	      "  --lock-dir DIR       reservations of destination VFs, shared by every\n"
	      "                       vfmigrate run (default " VFM_LOCK_DIR ")\n"
	      "The guest (vfailover --ctl-serial /dev/virtio-ports/NAME):\n"
	      "  --channel PATH       host end of its virtio-serial channel (default: from the\n"
	      "                       domain XML: <channel type='unix'> with target NAME)\n"
	      "  --channel-dst PATH   the same on the destination (default: from its XML)\n"
	      "  --channel-name NAME  the channel's target name (default " VFM_CHANNEL_NAME ")\n"
	      "  --uplink NAME        the guest uplink the VF belongs to (default: all)\n"
	      "  --no-guest           no vfailover in the guest: skip prepare and the wait\n"
	      "  --guest-timeout MS   wait for the guest this long (default 10000)\n"
	      "Host steering hooks (run with sh -c; VFM_* environment, see docs/orchestrator.md):\n"
	      "  --steer-backup CMD   before the guest releases the VF: send the guest MAC to\n"
	      "                       the backup's tap\n"
	      "  --steer-vf CMD       after the guest is on the VF again: undo\n"
	      "  --hook-timeout MS    a hook may run this long (default 30000)\n"
	      "Migration:\n"
	      "  --live, --p2p        live / peer-to-peer migration (as virsh migrate)\n"
	      "  --persistent         define the domain on the destination\n"
	      "  --undefine-source    undefine it on the source\n"
	      "  --max-downtime MS    tolerated downtime (default: libvirt's)\n"
	      "  --bandwidth MIBS     bandwidth limit in MiB/s (default: none)\n"
	      "  --xml FILE|DIR       the domain definition for the destination (a directory:\n"
	      "                       DIR/DOMAIN.xml for each DOMAIN)\n"
	      "  --detach-timeout MS  wait for the VF's removal this long (default 10000)\n"
	      "  --timeout MS         abort the migration job after MS and roll back (VF back\n"
	      "                       on the source, guest on it, steering back; default none)\n"
	      "Host evacuation (docs/many-guests.md):\n"
	      "  --evacuate           migrate every running vfailover domain of --src (its\n"
	      "                       XML has the guest channel, and the --vf interface) to\n"
	      "                       --dst, --parallel at a time, one VF reserved for each;\n"
	      "                       the report adds a summary (downtime, VF gap, times)\n"
	      "  --on-failure WHAT    stop (default: start no more domains once one fails;\n"
	      "                       those running finish) or continue\n"
	      "  --load-threshold PCT first wait until the source's CPUs are PCT percent busy\n"
	      "                       (libvirt's node CPU statistics; default: at once)\n"
	      "  --load-interval S    between CPU samples (default 5)\n"
	      "  --load-samples N     samples in a row at or above PCT (default 3)\n"
	      "Runs and reports:\n"
	      "  --parallel N         migrate N of the DOMAINs at a time (default 1)\n"
	      "  --json FILE          write the full report (one timeline per domain; - = stdout)\n"
	      "  --quiet              no progress lines on the terminal\n"
	      "  -h, --help           this text\n"
	      "Exit status: 0 done; 1 nothing changed (bad input, preflight, no free VF with\n"
	      "--no-vf abort, Ctrl-C first); 2 bad options; 3 failed, timed out or cancelled\n"
	      "and restored on the source; 4 migrated but left on the backup (the attach or\n"
	      "the guest failed); 5 a rollback step failed; 6 migrated but left on the backup:\n"
	      "no free VF on the destination. With several domains: the highest.\n",
	      f);
}
