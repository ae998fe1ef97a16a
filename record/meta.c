/* SPDX-License-Identifier: BSD-2-Clause */
/* The metadata every record carries besides the version (version.c): the host, the time, and an interface's driver, MTU, root qdisc and active offloads. */
#include "record/meta.h"

#include <errno.h>
#include <json-c/json.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "raw/ethtool.h"

void pe_host_cpu_model(char *buf, size_t len)
{
	static const char *const keys[] = { "model name", "Model", "cpu model" };
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *v;
		size_t i, n;

		if (!colon)
			continue;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strncmp(line, keys[i], strlen(keys[i])) &&
			    strspn(line + strlen(keys[i]), " \t") ==
				    (size_t)(colon - line) - strlen(keys[i]))
				break;
		if (i == sizeof(keys) / sizeof(keys[0]))
			continue;
		v = colon + 1 + strspn(colon + 1, " \t");
		n = strcspn(v, "\n");
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n) {
			snprintf(buf, len, "%.*s", (int)n, v);
			break;
		}
	}
	fclose(f);
}

void pe_utc_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

struct json_object *pe_host_json(void)
{
	struct json_object *o = json_object_new_object();
	struct utsname u;
	char model[256];
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (!o)
		return NULL;
	if (uname(&u))
		memset(&u, 0, sizeof(u));
	pe_host_cpu_model(model, sizeof(model));
	json_object_object_add(o, "name", json_object_new_string(u.nodename));
	json_object_object_add(o, "kernel", json_object_new_string(u.release));
	json_object_object_add(o, "cpu_model", json_object_new_string(model));
	json_object_object_add(o, "cpu_count", json_object_new_int(n > 0 ? (int)n : 0));
	return o;
}

/* ETHTOOL_GDRVINFO: the driver's name ("veth", "ixgbe"); -errno when it has none (lo). */
static int drvinfo(const char *ifname, char *driver, size_t len)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&di;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		err = -errno;
	close(fd);
	if (!err && !di.driver[0])
		err = -EOPNOTSUPP;
	if (!err)
		snprintf(driver, len, "%.*s", (int)sizeof(di.driver), di.driver);
	return err;
}

/* RTM_GETLINK for one interface: its MTU and root qdisc (IFLA_QDISC, what `ip link` shows). */
static int link_info(int ifindex, unsigned *mtu, char *qdisc, size_t qlen)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
	};
	char buf[16384];
	struct nlmsghdr *nh;
	ssize_t n;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), err = -ENOENT;

	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
		struct ifinfomsg *ifi;
		struct rtattr *a;
		int alen;

		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nh);

			err = e->error ? e->error : -ENOENT;
			break;
		}
		if (nh->nlmsg_type != RTM_NEWLINK)
			continue;
		ifi = NLMSG_DATA(nh);
		alen = (int)IFLA_PAYLOAD(nh);
		for (a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
			if (a->rta_type == IFLA_MTU && RTA_PAYLOAD(a) >= 4)
				memcpy(mtu, RTA_DATA(a), 4);
			else if (a->rta_type == IFLA_QDISC)
				snprintf(qdisc, qlen, "%.*s", (int)RTA_PAYLOAD(a),
					 (const char *)RTA_DATA(a));
		}
		err = 0;
		break;
	}
out:
	close(fd);
	return err;
}

struct json_object *pe_dev_json(const char *ifname)
{
	struct json_object *o, *offl;
	struct pe_features fs;
	char driver[64] = "", qdisc[64] = "";
	unsigned mtu = 0, i;
	int ifindex = ifname && strlen(ifname) < IFNAMSIZ ? (int)if_nametoindex(ifname) : 0;
	bool have_link;

	if (!ifindex) {
		errno = ENODEV;
		return NULL;
	}
	o = json_object_new_object();
	offl = json_object_new_array();
	if (!o || !offl) {
		json_object_put(o);
		json_object_put(offl);
		errno = ENOMEM;
		return NULL;
	}
	have_link = !link_info(ifindex, &mtu, qdisc, sizeof(qdisc));
	json_object_object_add(o, "name", json_object_new_string(ifname));
	json_object_object_add(o, "ifindex", json_object_new_int(ifindex));
	json_object_object_add(
		o, "driver",
		drvinfo(ifname, driver, sizeof(driver)) ? NULL : json_object_new_string(driver));
	json_object_object_add(o, "mtu", have_link ? json_object_new_int((int)mtu) : NULL);
	json_object_object_add(o, "qdisc",
			       have_link && qdisc[0] ? json_object_new_string(qdisc) : NULL);
	if (!pe_features_get(ifname, &fs)) {
		for (i = 0; i < fs.n; i++)
			if (fs.f[i].name[0] && fs.f[i].active)
				json_object_array_add(offl, json_object_new_string(fs.f[i].name));
		pe_features_free(&fs);
	}
	json_object_object_add(o, "offloads_on", offl);
	return o;
}
