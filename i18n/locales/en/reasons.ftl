# Why the simulator dropped a frame (packet log, "drops" in reports) or why a request failed
# ("failures" in reports). The English text is exactly the simulator's own; src/reasons.rs
# recognises it and fills in the arguments.

## Receiving a frame

reason-host-down = host is down
reason-iface-down = interface is down
reason-arp-ignore = arp_ignore={ $level }: not answering for { $ip } on { $iface }
reason-rp-filter-wrong-iface = rp_filter=1: the route back to { $src } leaves via { $via }, not { $iface }
reason-rp-filter-no-route = rp_filter={ $mode }: no route back to { $src }
reason-multicast-not-joined = multicast group not joined
reason-not-forwarding = not addressed to this host and ip_forward=0 (dst { $dst })
reason-ttl-exceeded = TTL exceeded
reason-ipip-no-tunl0 = IPIP packet but no tunl0 (ipip module not loaded)
reason-ipip-tunl0-down = IPIP packet but tunl0 is down
reason-after-decap = after decapsulation on tunl0: { $reason }
reason-inner-packet = inner packet: { $reason }
reason-decap-not-local = decapsulated packet for { $dst } is not local
reason-no-vrrp = no VRRP instance
reason-backlog-full = listen backlog of port { $port } full: SYN dropped
reason-tcp-rst-no-conn = TCP RST for no connection
reason-tcp-port-closed = TCP port { $port } closed: RST sent
reason-tcp-no-conn = TCP segment from { $ip }:{ $port } matches no connection: RST sent
reason-udp-port-closed = UDP port { $port } closed: ICMP port unreachable sent
reason-sync-no-backup = IPVS sync message but no backup sync daemon

## Sending a packet

reason-no-multicast-iface = no interface for multicast source
reason-no-route = no route to { $dst }
reason-mtu-exceeded = packet of { $bytes } bytes exceeds MTU { $mtu } with DF set
reason-tunl0-send = sending through tunl0 is not modelled
reason-arp-queue-full = ARP queue for { $ip } is full
reason-arp-no-reply = ARP: no reply for { $ip }
reason-link-loss = lost on the link

## IPVS on the director

reason-ipvs-old-conntrack = ipvs: old connection still has a conntrack entry
reason-ipvs-dest-deleted = ipvs: real server of this connection was deleted
reason-ipvs-template-no-dest = ipvs: template without a real server
reason-ipvs-ipv6-dest = ipvs: IPv6 real server for an IPv4 packet
reason-ipvs-no-dest = ipvs: no destination available
reason-ipvs-overloaded = ipvs: no destination available: all destinations are overloaded
reason-ipvs-port-zero = ipvs: port zero only supported in persistent services
reason-ipvs-dr-not-connected = ipvs DR: real server { $rip } is not on a directly connected network
reason-ipvs-dr-no-route = ipvs DR: no route to real server { $rip }
reason-ipvs-tun-mtu = ipvs TUN: { $bytes } bytes + 20 outer exceed MTU { $mtu } (DF set): ICMP fragmentation needed sent
reason-ipvs-tun-no-route = ipvs TUN: no route to real server { $rip }

## Why a request failed

reason-request-timeout = request timed out
reason-refused-icmp = connection refused (ICMP port unreachable)
reason-refused-rst = connection refused (RST)
reason-reset = connection reset by peer
reason-connect-timeout = connect timeout (no SYN-ACK)
reason-handshake-timeout = handshake timeout (no ACK for SYN-ACK)
reason-rtx-timeout = retransmission timeout
reason-host-unreachable = no route to host (ICMP host unreachable)
reason-dest-unreachable = destination unreachable (ICMP)
reason-closed-no-response = connection closed without a response
reason-no-route-target = no route to the target
reason-port-in-use = source port already in use
reason-no-ephemeral-port = no free ephemeral port
reason-udp-port-unreachable = ICMP port unreachable
