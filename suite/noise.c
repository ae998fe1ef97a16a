/* SPDX-License-Identifier: BSD-2-Clause */
/* The noise a run saw: steal time and the CPU of every other process (/proc/PID/stat of
 * all but the run's own), the load average and the CPU clock, so a disturbed run can be
 * marked and left out. */
#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suite/suite.h"

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime + stime + cutime + cstime of a process in clock ticks (fields 14-17 of
 * /proc/PID/stat), and whether it is a kernel thread (PF_KTHREAD in field 9). */
static uint64_t proc_ticks(const char *path, bool *kthread)
{
	char buf[1024], *p;
	unsigned long long ut = 0, st = 0, cut = 0, cst = 0, flags = 0;
	FILE *f = fopen(path, "re");
	size_t n;

	*kthread = false;
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')'); /* the name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %llu %*u %*u %*u %*u %llu %llu %llu %llu",
			 &flags, &ut, &st, &cut, &cst) != 5)
		return 0;
	*kthread = flags & 0x00200000;
	return ut + st + cut + cst;
}

static double mean_mhz(void)
{
	double sum = 0;
	unsigned n = 0;
	glob_t g;
	char line[256];
	FILE *f;

	if (!glob("/sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_cur_freq", 0, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			unsigned long khz;

			f = fopen(g.gl_pathv[i], "re");
			if (f && fscanf(f, "%lu", &khz) == 1) {
				sum += (double)khz / 1000;
				n++;
			}
			if (f)
				fclose(f);
		}
		globfree(&g);
		if (n)
			return sum / n;
	}
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		double mhz;

		if (!strncmp(line, "cpu MHz", 7) &&
		    sscanf(strchr(line, ':') + 1, "%lf", &mhz) == 1) {
			sum += mhz;
			n++;
		}
	}
	fclose(f);
	return n ? sum / n : -1;
}

void pe_noise_sample(struct pe_noise_snap *n, const int *pids, unsigned n_pids)
{
	unsigned long long v[8] = { 0 };
	char path[64];
	FILE *f = fopen("/proc/stat", "re");
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t self = getpid();

	memset(n, 0, sizeof(*n));
	if (f) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
			memset(v, 0, sizeof(v));
		fclose(f);
	}
	n->steal_ticks = v[7];
	/* Every other user process's CPU, its reaped children's included: a process that ends
	 * between two samples leaves its time in its parent's cutime, so the sums' difference is
	 * the CPU other processes used in between. Not from /proc/stat's busy time minus the
	 * run's own: that is sampled by the tick and the processes' times are not (on a host
	 * without irq time accounting a loopback rr run's processes show twice the CPU the tick
	 * saw, hiding half a CPU of neighbours). Left out: this process (the runs are its
	 * children), the pids given (the servers) and kernel threads (ksoftirqd and kworkers
	 * mostly do the run's own packets). */
	while (d && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		bool kthread, own = pid == self;
		uint64_t t;

		if (*end || pid <= 0)
			continue;
		for (unsigned i = 0; i < n_pids && !own; i++)
			own = pids[i] == pid;
		if (own)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		t = proc_ticks(path, &kthread);
		if (!kthread)
			n->other_ticks += t;
	}
	if (d)
		closedir(d);
	n->mhz = mean_mhz();
	n->t_s = mono_s();
}

void pe_noise_between(const struct pe_noise_snap *a, const struct pe_noise_snap *b,
		      struct pe_noise *out)
{
	double hz = (double)sysconf(_SC_CLK_TCK), dt = b->t_s - a->t_s, other;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	FILE *f = fopen("/proc/loadavg", "re");

	if (hz <= 0)
		hz = 100;
	if (dt <= 0)
		dt = 1e-9;
	out->steal_pct = (double)(b->steal_ticks - a->steal_ticks) / hz / dt * 100;
	other = ((double)b->other_ticks - (double)a->other_ticks) / hz / dt * 100;
	/* a long-lived child that ended in between brings its whole life into its parent's
	 * cutime: no more than every CPU */
	if (other > 100.0 * (double)(ncpu > 0 ? ncpu : 1))
		other = 100.0 * (double)(ncpu > 0 ? ncpu : 1);
	out->other_cpu_pct = other > 0 ? other : 0;
	out->loadavg_1m = -1;
	if (f) {
		if (fscanf(f, "%lf", &out->loadavg_1m) != 1)
			out->loadavg_1m = -1;
		fclose(f);
	}
	out->cpu_mhz = a->mhz >= 0 && b->mhz >= 0 ? (a->mhz + b->mhz) / 2 : -1;
}

bool pe_noise_disturbed(const struct pe_suite *s, const struct pe_noise *n, char *why, size_t len)
{
	if (n->steal_pct > s->steal_max_pct) {
		snprintf(why, len, "steal %.1f%% > %g%%", n->steal_pct, s->steal_max_pct);
		return true;
	}
	if (n->other_cpu_pct > s->other_max_pct) {
		snprintf(why, len, "other processes' CPU %.1f%% > %g%%", n->other_cpu_pct,
			 s->other_max_pct);
		return true;
	}
	return false;
}
