/* The noise a run saw: steal time and the busy CPU of every other process (/proc/stat minus
 * the run's own processes), the load average and the CPU clock, so a disturbed run can be
 * marked and left out. */
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

/* utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
static uint64_t proc_ticks(const char *path)
{
	char buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')'); /* the name may hold spaces */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return ut + st;
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

	memset(n, 0, sizeof(*n));
	if (f) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
			memset(v, 0, sizeof(v));
		fclose(f);
	}
	/* busy: user, nice, system (guest time is inside user). Not irq and softirq: a loopback
	 * test's own packets are processed there, and no process is charged for them. */
	n->busy_ticks = v[0] + v[1] + v[2];
	n->steal_ticks = v[7];
	n->own_ticks = proc_ticks("/proc/self/stat");
	for (unsigned i = 0; i < n_pids; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", pids[i]);
		n->own_ticks += proc_ticks(path);
	}
	n->mhz = mean_mhz();
	n->t_s = mono_s();
}

void pe_noise_between(const struct pe_noise_snap *a, const struct pe_noise_snap *b,
		      double child_cpu_s, struct pe_noise *out)
{
	double hz = (double)sysconf(_SC_CLK_TCK), dt = b->t_s - a->t_s, other;
	FILE *f = fopen("/proc/loadavg", "re");

	if (hz <= 0)
		hz = 100;
	if (dt <= 0)
		dt = 1e-9;
	out->steal_pct = (double)(b->steal_ticks - a->steal_ticks) / hz / dt * 100;
	other = (double)(b->busy_ticks - a->busy_ticks) / hz -
		(double)(b->own_ticks - a->own_ticks) / hz - child_cpu_s;
	out->other_cpu_pct = other > 0 ? other / dt * 100 : 0;
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
