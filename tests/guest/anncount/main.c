/*
 * anncount: print the MAC announcements (gratuitous ARP, RARP) that reach
 * any interface of this host, for dom0's lab scenarios, which have no
 * tcpdump. One AF_PACKET socket on all interfaces, with a classic BPF
 * filter that keeps ARP and RARP frames; outgoing copies are skipped.
 *
 *   anncount [--seconds N] [MAC...]
 *
 * Prints "ready" once the socket is open, then one line per frame:
 *   garp|rarp SRC_MAC IFNAME SENDER_IP
 * where garp is an ARP request whose sender hardware address is the
 * frame's source and whose sender and target IP are equal, and rarp is
 * any frame of ethertype 0x8035. With MACs given, only frames from those
 * source addresses. Runs until SIGTERM/SIGINT or N seconds; exits 0.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_MACS 16

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (unsigned char)b[i];
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: anncount [--seconds N] [MAC...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	/* ldh [12]; jeq ARP, RARP: accept; else drop. */
	struct sock_filter code[] = {
		{ 0x28, 0, 0, 12 },
		{ 0x15, 2, 0, ETH_P_ARP },
		{ 0x15, 1, 0, ETH_P_RARP },
		{ 0x06, 0, 0, 0 },
		{ 0x06, 0, 0, 0xffff },
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	unsigned char macs[MAX_MACS][6], buf[2048];
	struct sigaction sa;
	struct timespec t0, t;
	long seconds = 0;
	int nmacs = 0, fd, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			seconds = strtol(argv[++i], NULL, 10);
		} else if (nmacs < MAX_MACS && !parse_mac(argv[i], macs[nmacs])) {
			nmacs++;
		} else {
			usage();
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
				 sizeof(prog))) {
		perror("anncount: socket");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	while (!stop) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		char ifname[IF_NAMESIZE] = "?";
		const unsigned char *src = buf + 6, *arp = buf + 14;
		const char *kind = NULL;
		unsigned short type;
		ssize_t n;

		if (seconds) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec >= seconds)
				break;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sll,
			     &sl);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("anncount: recvfrom");
			return 1;
		}
		if (n < 14 + 28 || sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		type = (unsigned short)(buf[12] << 8 | buf[13]);
		/* Ethernet/IPv4 ARP: op at 6, sha 8, spa 14, tha 18, tpa 24. */
		if (type == ETH_P_RARP)
			kind = "rarp";
		else if (type == ETH_P_ARP && arp[6] == 0 && arp[7] == 1 &&
			 !memcmp(arp + 8, src, 6) && !memcmp(arp + 14, arp + 24, 4))
			kind = "garp";
		if (!kind)
			continue;
		for (i = 0; i < nmacs; i++)
			if (!memcmp(macs[i], src, 6))
				break;
		if (nmacs && i == nmacs)
			continue;
		if_indextoname((unsigned int)sll.sll_ifindex, ifname);
		printf("%s %02x:%02x:%02x:%02x:%02x:%02x %s %u.%u.%u.%u\n", kind,
		       src[0], src[1], src[2], src[3], src[4], src[5], ifname,
		       arp[14], arp[15], arp[16], arp[17]);
		fflush(stdout);
	}
	close(fd);
	return 0;
}
