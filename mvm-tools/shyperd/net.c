// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperd's virtio network backend: each guest NIC (<interface>) is a tap
 * device in the MVM, plugged into the NIC's bridge, so that guests reach
 * the MVM and each other the way the MVM's own interfaces do.
 *
 * The hypervisor keeps the device and its queues; this side only moves
 * frames, each a 12-byte virtio_net_hdr and the Ethernet frame. The tap
 * speaks the same header (IFF_VNET_HDR), so frames go through unchanged:
 * a guest's checksum and TSO requests (devices/virtio_net.c offers them)
 * are the MVM kernel's to finish. The tap is given no offloads of its own,
 * so what it hands over is whole and checksummed, as the guest expects.
 *
 *   transmitq (1)  each request is a frame the guest sends: written to the
 *                  tap, answered with nothing.
 *   receiveq (0)   each request is an empty buffer the guest offers. They
 *                  are taken (fetched) ahead, up to NIC_RX_MAX, and
 *                  answered one by one with the frames read from the tap.
 *
 * The tap is made when the guest's driver first uses the device and goes
 * (and so leaves the bridge) when the VM stops: it is not persistent. Its
 * name is shy<VM id>-<slot>; its MAC is the guest's with the first byte
 * 0xfe, so that the bridge, which takes the lowest MAC of its ports, keeps
 * its own.
 *
 * A guest that arrived from another board keeps its MAC, but the bridges
 * and switches on the way still send its frames to the port where it was.
 * As QEMU does after a migration, its NICs announce it: a few RARP frames
 * from its MAC, written into its tap, from which every bridge learns where
 * it is now (net_announce_later()).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>

#include <shyper/domain.h>
#include <shyper/libshyper.h>

#include "shyperd.h"

#define NET_HDR 12              /* struct virtio_net_hdr with VIRTIO_F_VERSION_1 */
#define NET_HDR_NUM_BUFFERS 10  /* its le16 num_buffers: 1 without MRG_RXBUF */
#define ETH_MIN 14              /* an Ethernet header */
#define FRAME_MAX 65535         /* the most a tap hands over at once */
#define TX_MAX (NET_HDR + 65550) /* a 64 KiB TSO frame with its Ethernet header */
#define RXQ 0
#define TXQ 1

struct rx_buffer {
	uint64_t token;
	size_t room;            /* bytes the answer may have, header included */
};

struct nic {
	bool open;
	uint32_t vm_id;
	uint16_t slot;
	char vm_name[SHYPER_NAME_LEN];
	int tap;
	uint8_t mac[6];         /* the guest's */
	char ifname[IFNAMSIZ];
	struct rx_buffer rx[NIC_RX_MAX]; /* receive buffers taken, not yet filled */
	unsigned int rx_count;
	uint64_t dropped;       /* frames lost (too big, tap full): logged when closing */
};

static struct nic nics[SHYPERD_MAX_NICS];
/* One request or answer, SHYPER_VIO_IO_MAX bytes: the buffer shared with
 * the module (no copy on the way), or one of our own. */
static uint8_t *frame;

static void nic_close(struct nic *n)
{
	if (n->open) {
		close(n->tap);
		say(LOG_INFO, "VM '%s': %s removed%s", n->vm_name, n->ifname,
		    n->dropped ? " (some frames were dropped)" : "");
	}
	memset(n, 0, sizeof(*n));
}

void net_forget_vm(uint32_t vm_id)
{
	for (size_t i = 0; i < SHYPERD_MAX_NICS; i++)
		if (nics[i].open && nics[i].vm_id == vm_id)
			nic_close(&nics[i]);
}

bool net_is_nic(uint32_t vm_id, uint16_t slot)
{
	for (size_t i = 0; i < SHYPERD_MAX_NICS; i++)
		if (nics[i].open && nics[i].vm_id == vm_id && nics[i].slot == slot)
			return true;
	return false;
}

/* ifreq calls on an ordinary socket: MAC, flags, bridge ports. */
static int if_ioctl(unsigned long request, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (s < 0)
		return -1;
	rc = ioctl(s, request, ifr);
	if (rc < 0) {
		int saved = errno;

		close(s);
		errno = saved;
		return -1;
	}
	close(s);
	return 0;
}

/* Makes tap IFNAME with MAC, up, as a port of BRIDGE. Returns its fd or
 * -1 with *WHAT naming the step that failed (errno says why). */
static int tap_open(const char *ifname, const uint8_t mac[6], const char *bridge,
		    const char **what)
{
	struct ifreq ifr;
	int fd;

	*what = "opening /dev/net/tun";
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	*what = "creating the tap";
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	*what = "setting its header size";
	if (ioctl(fd, TUNSETVNETHDRSZ, &(int){ NET_HDR }) < 0)
		goto fail;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
	*what = "setting its MAC";
	if (if_ioctl(SIOCSIFHWADDR, &ifr) < 0)
		goto fail;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	*what = "bringing it up";
	if (if_ioctl(SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (if_ioctl(SIOCSIFFLAGS, &ifr) < 0)
		goto fail;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
	ifr.ifr_ifindex = (int)if_nametoindex(ifname);
	*what = "adding it to the bridge";
	if (!ifr.ifr_ifindex || if_ioctl(SIOCBRADDIF, &ifr) < 0)
		goto fail;
	return fd;
fail:;
	int saved = errno;

	close(fd); /* not persistent: the tap goes with its only fd */
	errno = saved;
	return -1;
}

/* The NIC behind VM ID's SLOT, its tap made on first use from the
 * definition the VM runs with. NULL if the slot is not a NIC. */
static struct nic *nic_get(struct shyper *h, uint32_t id, uint16_t slot)
{
	struct shyper_device_config dev;
	struct shyper_domain *dom;
	struct shyper_vm_info info;
	const char *bridge, *what;
	struct nic *n = NULL;
	size_t index;

	if (shyper_vm_info(h, id, &info))
		return NULL;
	for (size_t i = 0; i < SHYPERD_MAX_NICS; i++) {
		if (nics[i].open && nics[i].vm_id == id && nics[i].slot == slot) {
			if (!strncmp(nics[i].vm_name, info.name, SHYPER_NAME_LEN))
				return &nics[i];
			nic_close(&nics[i]); /* the id went to another VM */
		}
	}
	for (size_t i = 0; !n && i < SHYPERD_MAX_NICS; i++)
		if (!nics[i].open)
			n = &nics[i];
	if (!n) {
		say(LOG_ERR, "VM %u: no room for another NIC (%d at most)", id, SHYPERD_MAX_NICS);
		return NULL;
	}
	if (running_device(h, id, slot, n->vm_name, &dom, &dev, &index))
		return NULL;
	if (dev.kind != SHYPER_DEV_VIRTIO_NET) {
		shyper_domain_free(dom);
		return NULL;
	}
	bridge = shyper_domain_interface_bridge(&dom->interfaces[index]);
	snprintf(n->ifname, sizeof(n->ifname), "shy%u-%u", id, slot);
	n->tap = tap_open(n->ifname, dev.mac, bridge, &what);
	if (n->tap < 0) {
		say(LOG_ERR, "VM '%s': NIC %zu: %s %s (bridge %s): %s", n->vm_name, index, what,
		    n->ifname, bridge, strerror(errno));
		shyper_domain_free(dom);
		memset(n, 0, sizeof(*n));
		return NULL;
	}
	n->open = true;
	n->vm_id = id;
	n->slot = slot;
	memcpy(n->mac, dev.mac, sizeof(n->mac));
	say(LOG_INFO, "VM '%s': NIC %zu (%02x:%02x:%02x:%02x:%02x:%02x) is %s on bridge %s",
	    n->vm_name, index, dev.mac[0], dev.mac[1], dev.mac[2],
	    dev.mac[3], dev.mac[4], dev.mac[5], n->ifname, bridge);
	shyper_domain_free(dom);
	return n;
}

/* Takes a request from QUEUE into FRAME. 0, 1 when there is none, -1 when
 * the VM or its device is gone. */
static int fetch(struct shyper *h, struct nic *n, uint16_t queue, uint64_t *token,
		 size_t *readable, size_t *writable)
{
	/* Transmit may poll (--poll-us); receive buffers come with the
	 * guest's refills, which an event announces anyway. */
	int rc = queue == TXQ ? vio_fetch_polling(h, n->vm_id, n->slot, queue, frame,
						  SHYPER_VIO_IO_MAX, token, readable, writable)
			      : shyper_vio_fetch(h, n->vm_id, n->slot, queue, frame,
						 SHYPER_VIO_IO_MAX, token, readable, writable);

	if (rc == SHYPER_ERR_BUSY)
		return 1;
	if (rc == SHYPER_ERR_NO_ENTRY)
		return -1;
	if (rc) {
		say(LOG_ERR, "VM '%s' %s: %s", n->vm_name, n->ifname, shyper_last_error_message(h));
		return -1;
	}
	return 0;
}

/* Sends every frame the guest has queued. */
static int transmit(struct shyper *h, struct nic *n)
{
	for (;;) {
		uint64_t token;
		size_t readable, writable, done;
		int rc = fetch(h, n, TXQ, &token, &readable, &writable);

		if (rc)
			return rc < 0 ? -1 : 0;
		/* The header and the frame, as the guest made them: the kernel
		 * checks the header as it does any tap user's. */
		if (readable >= NET_HDR + ETH_MIN && readable <= TX_MAX) {
			ssize_t sent = write(n->tap, frame, readable);

			if (sent < 0)
				n->dropped++; /* queue full, or a bad header: as a wire would */
		} else {
			n->dropped++;
		}
		shyper_vio_complete(h, n->vm_id, token, NULL, 0, &done);
	}
}

/* A token's generation: a device reset (the guest's driver starting again)
 * makes a new one and kills the tokens of the old. */
static uint32_t generation(uint64_t token)
{
	return (uint32_t)(token >> 32);
}

/* Forgets the receive buffers of generation GEN: they died with a reset. */
static void drop_rx_generation(struct nic *n, uint32_t gen)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < n->rx_count; i++)
		if (generation(n->rx[i].token) != gen)
			n->rx[kept++] = n->rx[i];
	n->rx_count = kept;
}

/* Takes the receive buffers the guest offers, as many as there is room for. */
static int take_rx_buffers(struct shyper *h, struct nic *n)
{
	while (n->rx_count < NIC_RX_MAX) {
		uint64_t token;
		size_t readable, writable, done;
		int rc = fetch(h, n, RXQ, &token, &readable, &writable);

		if (rc)
			return rc < 0 ? -1 : 0;
		/* Buffers from before a reset are dead: make room for the new. */
		if (n->rx_count && generation(n->rx[0].token) != generation(token))
			drop_rx_generation(n, generation(n->rx[0].token));
		if (writable < NET_HDR + ETH_MIN) {
			/* Useless (or device-readable only): give it straight back. */
			shyper_vio_complete(h, n->vm_id, token, NULL, 0, &done);
			continue;
		}
		n->rx[n->rx_count].token = token;
		n->rx[n->rx_count].room = writable;
		n->rx_count++;
	}
	return 0;
}

/* Hands frames waiting on the tap to the guest, while it has buffers. */
static void receive(struct shyper *h, struct nic *n)
{
	while (n->rx_count) {
		struct rx_buffer *b = &n->rx[n->rx_count - 1];
		size_t room = b->room - NET_HDR < FRAME_MAX ? b->room - NET_HDR : FRAME_MAX;
		ssize_t got = read(n->tap, frame, NET_HDR + room);
		size_t done;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return; /* EAGAIN: nothing waiting */
		if (got <= NET_HDR)
			continue; /* no frame behind the header: nothing to hand over */
		/* The tap fills the first 10 bytes (no offloads: no flags, no
		 * GSO); num_buffers is 1 without VIRTIO_NET_F_MRG_RXBUF. */
		frame[NET_HDR_NUM_BUFFERS] = 1;
		frame[NET_HDR_NUM_BUFFERS + 1] = 0;
		n->rx_count--;
		/* A guest that reset its device meanwhile killed the token: the
		 * frame is lost, as it would be on a link going down. */
		if (shyper_vio_complete(h, n->vm_id, b->token, frame, (size_t)got, &done)) {
			n->dropped++;
			drop_rx_generation(n, generation(b->token));
		}
	}
}

void net_vm_paused(struct shyper *h, uint32_t vm_id)
{
	for (size_t i = 0; i < SHYPERD_MAX_NICS; i++) {
		struct nic *n = &nics[i];

		if (!n->open || n->vm_id != vm_id)
			continue;
		/* Given back empty (the guest's driver drops a frame too short to
		 * be one, and offers the buffer again): a paused guest's device
		 * holds nothing in flight, which its migration needs. */
		while (n->rx_count) {
			size_t done;

			n->rx_count--;
			shyper_vio_complete(h, n->vm_id, n->rx[n->rx_count].token, NULL, 0, &done);
		}
	}
}

void net_service(struct shyper *h, uint32_t id, uint16_t slot)
{
	struct nic *n;

	if (!frame)
		frame = shyper_vio_buffer(h);
	if (!frame && !(frame = malloc(SHYPER_VIO_IO_MAX))) {
		say(LOG_ERR, "out of memory for network frames");
		return;
	}
	n = nic_get(h, id, slot);
	if (!n)
		return;
	if (transmit(h, n) < 0 || take_rx_buffers(h, n) < 0) {
		/* The VM is gone or its device broke: the next event or the
		 * VM's stop tidies up. */
		if (shyper_vm_info(h, id, &(struct shyper_vm_info){ 0 }))
			nic_close(n);
		return;
	}
	receive(h, n);
}

void net_service_all(struct shyper *h)
{
	for (size_t i = 0; i < SHYPERD_MAX_NICS; i++)
		if (nics[i].open)
			net_service(h, nics[i].vm_id, nics[i].slot);
}

size_t net_pollfds(struct pollfd *fds, size_t max)
{
	size_t count = 0;

	for (size_t i = 0; i < SHYPERD_MAX_NICS && count < max; i++) {
		/* Only taps whose frames have somewhere to go: the others
		 * would wake the loop for nothing. */
		if (nics[i].open && nics[i].rx_count) {
			fds[count].fd = nics[i].tap;
			fds[count].events = POLLIN;
			fds[count].revents = 0;
			count++;
		}
	}
	return count;
}

void net_pollfds_ready(struct shyper *h, const struct pollfd *fds, size_t count)
{
	for (size_t f = 0; f < count; f++) {
		if (!(fds[f].revents & POLLIN))
			continue;
		for (size_t i = 0; i < SHYPERD_MAX_NICS; i++) {
			if (nics[i].open && nics[i].tap == fds[f].fd) {
				receive(h, &nics[i]);
				/* Room again: the guest may have offered more. */
				if (take_rx_buffers(h, &nics[i]) == 0)
					receive(h, &nics[i]);
				break;
			}
		}
	}
}

/* ---- Announcing a guest that arrived -------------------------------------------- */

/* QEMU's defaults for its self-announce: 5 rounds, the first 50 ms after
 * the start, each gap 100 ms longer than the one before. */
#define ANNOUNCE_ROUNDS 5
#define ANNOUNCE_FIRST_MS 50
#define ANNOUNCE_STEP_MS 100
/* A guest paused when it arrived is announced once it runs. */
#define ANNOUNCE_PAUSED_RETRY_MS 500
#define ETHERTYPE_RARP 0x8035
#define ETH_FRAME_MIN 60        /* without the FCS */

struct announce {
	bool used;
	uint32_t vm_id;
	char name[SHYPER_NAME_LEN]; /* the id may go to another VM meanwhile */
	unsigned int rounds;     /* done so far */
	int64_t due_ms;          /* CLOCK_MONOTONIC */
};

/* Filled by the migration's thread, served by the event loop. */
static struct announce announces[SHYPERD_MAX_NICS];
static pthread_mutex_t announce_lock = PTHREAD_MUTEX_INITIALIZER;

void net_announce_later(uint32_t vm_id, const char *name)
{
	int64_t now_ms = monotonic_ms();
	struct announce *a = NULL;

	pthread_mutex_lock(&announce_lock);
	for (size_t i = 0; i < SHYPERD_MAX_NICS; i++) {
		if (announces[i].used && announces[i].vm_id == vm_id) {
			a = &announces[i]; /* a second arrival starts over */
			break;
		}
		if (!a && !announces[i].used)
			a = &announces[i];
	}
	if (a) {
		*a = (struct announce){ .used = true, .vm_id = vm_id, .rounds = 0,
					.due_ms = now_ms + ANNOUNCE_FIRST_MS };
		snprintf(a->name, sizeof(a->name), "%s", name);
	}
	pthread_mutex_unlock(&announce_lock);
	if (!a)
		say(LOG_WARNING, "VM '%s': too many announcements at once: not announced", name);
}

/* A RARP "reverse request" from MAC, as QEMU's self-announce sends it,
 * behind the tap's virtio_net_hdr (all zero: no offloads). */
static size_t rarp_frame(uint8_t *buf, const uint8_t mac[6])
{
	uint8_t *eth = buf + NET_HDR, *arp = eth + ETH_MIN;

	memset(buf, 0, NET_HDR + ETH_FRAME_MIN);
	memset(eth, 0xff, 6);                  /* to everyone */
	memcpy(eth + 6, mac, 6);               /* from the guest */
	eth[12] = ETHERTYPE_RARP >> 8;
	eth[13] = ETHERTYPE_RARP & 0xff;
	arp[1] = ARPHRD_ETHER;                 /* hardware: Ethernet */
	arp[2] = 0x08;                         /* protocol: IPv4 */
	arp[4] = 6;                            /* hardware address length */
	arp[5] = 4;                            /* protocol address length */
	arp[7] = 3;                            /* reverse request */
	memcpy(arp + 8, mac, 6);               /* sender: the guest, no IP */
	memcpy(arp + 18, mac, 6);              /* target: the guest, no IP */
	return NET_HDR + ETH_FRAME_MIN;
}

/* One round for VM ID: a RARP frame out of each of its NICs' taps (made
 * now if the guest has not used them yet). Returns the NICs announced. */
static unsigned int announce_round(struct shyper *h, uint32_t id, const char *name)
{
	struct shyper_device_config devs[SHYPER_GUEST_VIRTIO_SLOTS];
	struct shyper_domain *dom;
	uint8_t buf[NET_HDR + ETH_FRAME_MIN];
	unsigned int done = 0;

	if (shyper_domain_lookup_running(h, name, &dom))
		return 0;
	shyper_domain_virtio_devices(dom, devs);
	shyper_domain_free(dom);
	for (uint16_t slot = 0; slot < SHYPER_GUEST_VIRTIO_SLOTS; slot++) {
		struct nic *n;
		size_t len;

		if (devs[slot].kind != SHYPER_DEV_VIRTIO_NET || !(n = nic_get(h, id, slot)))
			continue;
		len = rarp_frame(buf, n->mac);
		if (write(n->tap, buf, len) == (ssize_t)len)
			done++;
		else
			say(LOG_WARNING, "VM '%s': announcing its MAC on %s: %s", name, n->ifname,
			    strerror(errno));
	}
	return done;
}

int64_t net_announce_due(struct shyper *h, int64_t now_ms)
{
	int64_t next = -1;

	pthread_mutex_lock(&announce_lock);
	for (size_t i = 0; i < SHYPERD_MAX_NICS; i++) {
		struct announce *a = &announces[i];
		struct shyper_vm_info info;

		if (!a->used)
			continue;
		if (a->due_ms <= now_ms) {
			if (shyper_vm_info(h, a->vm_id, &info) ||
			    strncmp(info.name, a->name, SHYPER_NAME_LEN) ||
			    (info.state != SHYPER_VM_RUNNING && info.state != SHYPER_VM_PAUSED)) {
				a->used = false; /* gone, or stopped: nobody to announce */
				continue;
			}
			if (info.state == SHYPER_VM_PAUSED) {
				a->due_ms = now_ms + ANNOUNCE_PAUSED_RETRY_MS;
			} else {
				unsigned int nics_done = announce_round(h, a->vm_id, a->name);

				if (a->rounds == 0 && nics_done)
					say(LOG_INFO, "VM '%s': its MAC announced on %u NIC(s) (RARP)",
					    a->name, nics_done);
				a->due_ms = now_ms + ANNOUNCE_FIRST_MS + ANNOUNCE_STEP_MS * (a->rounds + 1);
				if (++a->rounds == ANNOUNCE_ROUNDS || !nics_done) {
					a->used = false;
					continue;
				}
			}
		}
		if (next < 0 || a->due_ms - now_ms < next)
			next = a->due_ms - now_ms;
	}
	pthread_mutex_unlock(&announce_lock);
	return next;
}
