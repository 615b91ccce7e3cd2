/*
 * kernel.c: counts real mode's sockets from /proc/net/tcp{,6} and the
 * process's descriptors from /proc/self/fd (kernel.h).
 *
 * The /proc files are parsed as a stream through one fixed buffer, and the
 * descriptor directory is read with getdents64 into another, so a sample
 * allocates nothing however many sockets there are. Read-only; never prints.
 */
#include "kernel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KERNEL_PORTS 65536u
#define KERNEL_BUF   65536

/* /proc/net/tcp's `st` column (include/net/tcp_states.h). */
enum { TCP_ST_ESTABLISHED = 0x01, TCP_ST_TIME_WAIT = 0x06, TCP_ST_LISTEN = 0x0A };

struct kernel_sampler {
	uint32_t n_hosts;
	uint32_t *host_of_port; /* KERNEL_PORTS entries: host index or PS_NONE */
	struct kernel_host_sample *hosts;
	char buf[KERNEL_BUF];
};

struct kernel_sampler *kernel_sampler_create(const uint16_t *ports, uint32_t n_hosts)
{
	struct kernel_sampler *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	k->n_hosts = n_hosts;
	k->host_of_port = malloc(KERNEL_PORTS * sizeof *k->host_of_port);
	k->hosts = calloc(n_hosts ? n_hosts : 1, sizeof *k->hosts);
	if (!k->host_of_port || !k->hosts) {
		kernel_sampler_destroy(k);
		return NULL;
	}
	for (uint32_t p = 0; p < KERNEL_PORTS; p++)
		k->host_of_port[p] = PS_NONE;
	for (uint32_t i = 0; i < n_hosts; i++)
		if (ports[i] != 0)
			k->host_of_port[ports[i]] = i;
	return k;
}

void kernel_sampler_destroy(struct kernel_sampler *k)
{
	if (!k)
		return;
	free(k->host_of_port);
	free(k->hosts);
	free(k);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parses `n` hex digits at *p into *out; advances *p. */
static bool parse_hex(const char **p, const char *end, int n, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < n; i++) {
		int h = *p + i < end ? hexval((*p)[i]) : -1;
		if (h < 0)
			return false;
		v = v << 4 | (uint32_t)h;
	}
	*p += n;
	*out = v;
	return true;
}

/*
 * An address column: 8 (IPv4) or 32 (IPv6) hex digits, each 32-bit word
 * printed from the kernel's in-memory (network order) bytes as a native
 * integer; then ':' and the port. Loopback: 127/8, ::1, ::ffff:127/104.
 */
static bool parse_endpoint(const char **p, const char *end, int words, bool *loopback,
                           uint16_t *port)
{
	unsigned char b[16];
	for (int w = 0; w < words; w++) {
		uint32_t v;
		if (!parse_hex(p, end, 8, &v))
			return false;
		memcpy(b + 4 * w, &v, 4);
	}
	uint32_t pv;
	if (*p >= end || **p != ':')
		return false;
	(*p)++;
	if (!parse_hex(p, end, 4, &pv))
		return false;
	*port = (uint16_t)pv;
	static const unsigned char zero[10];
	static const unsigned char one6[16] = {[15] = 1};
	if (words == 1)
		*loopback = b[0] == 127;
	else
		*loopback =
		    memcmp(b, one6, 16) == 0 ||
		    (memcmp(b, zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff && b[12] == 127);
	return true;
}

static void count_line(struct kernel_sampler *k, const char *p, const char *end, int words)
{
	while (p < end && *p == ' ')
		p++;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	if (!colon)
		return;
	p = colon + 1;
	while (p < end && *p == ' ')
		p++;
	bool lo_local, lo_remote;
	uint16_t lport, rport;
	uint32_t st;
	if (!parse_endpoint(&p, end, words, &lo_local, &lport) || p >= end || *p++ != ' ' ||
	    !parse_endpoint(&p, end, words, &lo_remote, &rport) || p >= end || *p++ != ' ' ||
	    !parse_hex(&p, end, 2, &st))
		return; /* the header line, or a format we do not know */
	uint32_t h = k->host_of_port[rport];
	if (lo_remote && h != PS_NONE) {
		struct kernel_host_sample *hs = &k->hosts[h];
		if (st == TCP_ST_ESTABLISHED)
			hs->established++;
		else if (st == TCP_ST_TIME_WAIT)
			hs->time_wait++;
		else
			hs->other++;
		return;
	}
	h = k->host_of_port[lport];
	if (lo_local && h != PS_NONE && st == TCP_ST_TIME_WAIT)
		k->hosts[h].server_time_wait++;
}

/* Streams one /proc/net file through the fixed buffer, line by line. */
static int scan_file(struct kernel_sampler *k, const char *path, int words)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* no IPv6 in this kernel: nothing to count */
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, k->buf + have, sizeof k->buf - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : 0;
			close(fd);
			return err;
		}
		have += (size_t)n;
		char *line = k->buf, *end = k->buf + have, *nl;
		while ((nl = memchr(line, '\n', (size_t)(end - line))) != NULL) {
			count_line(k, line, nl, words);
			line = nl + 1;
		}
		have = (size_t)(end - line);
		if (have == sizeof k->buf)
			have = 0; /* a line longer than the buffer: not a socket line, drop it */
		memmove(k->buf, line, have);
	}
}

int kernel_count_fds(void)
{
	int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	char buf[4096];
	int n_fds = 0;
	for (;;) {
		ssize_t n = getdents64(dfd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : 0;
			close(dfd);
			/* The directory's own descriptor is listed too: it is not the process's. */
			return err ? err : n_fds - 1;
		}
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (d->d_name[0] != '.')
				n_fds++;
			off += d->d_reclen;
		}
	}
}

int kernel_sample(struct kernel_sampler *k, struct kernel_sample *out)
{
	int fds = kernel_count_fds();
	memset(k->hosts, 0, (k->n_hosts ? k->n_hosts : 1) * sizeof *k->hosts);
	int err = scan_file(k, "/proc/net/tcp", 1);
	if (err == 0)
		err = scan_file(k, "/proc/net/tcp6", 4);
	memset(out, 0, sizeof *out);
	out->hosts = k->hosts;
	out->n_hosts = k->n_hosts;
	for (uint32_t i = 0; i < k->n_hosts; i++) {
		out->established += k->hosts[i].established;
		out->time_wait += k->hosts[i].time_wait;
		out->other += k->hosts[i].other;
		out->server_time_wait += k->hosts[i].server_time_wait;
	}
	out->fds = fds > 0 ? (uint32_t)fds : 0;
	return err < 0 ? err : (fds < 0 ? fds : 0);
}

/* ======================================================================
 * kernel_monitor: the sampler on its own thread; `lock` guards everything
 * below it in the struct.
 */

struct kernel_monitor {
	struct kernel_sampler *sampler;
	int64_t period_ns;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool have_latest;
	struct kernel_sample latest, peak; /* peak: field by field, since the last read */
	struct kernel_host_sample *latest_hosts, *peak_hosts;
};

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static void raise_peak(struct kernel_sample *peak, const struct kernel_sample *s)
{
	peak->established = max_u32(peak->established, s->established);
	peak->time_wait = max_u32(peak->time_wait, s->time_wait);
	peak->other = max_u32(peak->other, s->other);
	peak->server_time_wait = max_u32(peak->server_time_wait, s->server_time_wait);
	peak->fds = max_u32(peak->fds, s->fds);
	for (uint32_t h = 0; h < s->n_hosts; h++) {
		struct kernel_host_sample *p = &peak->hosts[h];
		const struct kernel_host_sample *q = &s->hosts[h];
		p->established = max_u32(p->established, q->established);
		p->time_wait = max_u32(p->time_wait, q->time_wait);
		p->other = max_u32(p->other, q->other);
		p->server_time_wait = max_u32(p->server_time_wait, q->server_time_wait);
	}
}

static void copy_sample(struct kernel_sample *to, struct kernel_host_sample *to_hosts,
                        const struct kernel_sample *from)
{
	memcpy(to_hosts, from->hosts, (from->n_hosts ? from->n_hosts : 1) * sizeof *to_hosts);
	*to = *from;
	to->hosts = to_hosts;
}

static void *monitor_thread(void *arg)
{
	struct kernel_monitor *m = arg;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&m->lock);
	while (!m->stop) {
		pthread_mutex_unlock(&m->lock);
		struct kernel_sample s;
		int err = kernel_sample(m->sampler, &s);
		pthread_mutex_lock(&m->lock);
		if (err == 0) {
			copy_sample(&m->latest, m->latest_hosts, &s);
			if (m->have_latest)
				raise_peak(&m->peak, &s);
			else
				copy_sample(&m->peak, m->peak_hosts, &s);
			m->have_latest = true;
		}
		int64_t ns = next.tv_nsec + m->period_ns;
		next.tv_sec += ns / 1000000000;
		next.tv_nsec = ns % 1000000000;
		while (!m->stop && pthread_cond_timedwait(&m->wake, &m->lock, &next) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

struct kernel_monitor *kernel_monitor_start(const uint16_t *ports, uint32_t n_hosts,
                                            int64_t period_ns, int *err)
{
	struct kernel_monitor *m = calloc(1, sizeof *m);
	if (!m) {
		*err = -ENOMEM;
		return NULL;
	}
	m->period_ns = period_ns > 0 ? period_ns : KERNEL_SAMPLE_PERIOD_NS;
	m->sampler = kernel_sampler_create(ports, n_hosts);
	m->latest_hosts = calloc(n_hosts ? n_hosts : 1, sizeof *m->latest_hosts);
	m->peak_hosts = calloc(n_hosts ? n_hosts : 1, sizeof *m->peak_hosts);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, &attr);
	pthread_condattr_destroy(&attr);
	/* The first sample before the thread: a record at time 0 has something to carry. */
	struct kernel_sample first;
	if (m->sampler && m->latest_hosts && m->peak_hosts &&
	    kernel_sample(m->sampler, &first) == 0) {
		copy_sample(&m->latest, m->latest_hosts, &first);
		copy_sample(&m->peak, m->peak_hosts, &first);
		m->have_latest = true;
	}
	*err = m->sampler && m->latest_hosts && m->peak_hosts
	           ? -pthread_create(&m->thread, NULL, monitor_thread, m)
	           : -ENOMEM;
	if (*err != 0) {
		pthread_cond_destroy(&m->wake);
		pthread_mutex_destroy(&m->lock);
		kernel_sampler_destroy(m->sampler);
		free(m->latest_hosts);
		free(m->peak_hosts);
		free(m);
		return NULL;
	}
	return m;
}

void kernel_monitor_stop(struct kernel_monitor *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
	kernel_sampler_destroy(m->sampler);
	free(m->latest_hosts);
	free(m->peak_hosts);
	free(m);
}

static void copy_out(struct kernel_sample *out, const struct kernel_sample *from)
{
	struct kernel_host_sample *hosts = out->hosts;
	*out = *from;
	out->hosts = hosts;
	memcpy(hosts, from->hosts, from->n_hosts * sizeof *hosts);
}

bool kernel_monitor_latest(struct kernel_monitor *m, struct kernel_sample *out,
                           struct kernel_sample *peak)
{
	pthread_mutex_lock(&m->lock);
	bool have = m->have_latest;
	if (have) {
		copy_out(out, &m->latest);
		if (peak)
			copy_out(peak, &m->peak);
		copy_sample(&m->peak, m->peak_hosts, &m->latest); /* the next peak starts here */
	}
	pthread_mutex_unlock(&m->lock);
	return have;
}
