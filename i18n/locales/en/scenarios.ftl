# Scenario titles and what to watch for, shown in the scenario picker and `lvslab list`.
# The English text is the scenario file's own ([scenario] title and watch).

scenario-nat-lab-title = LVS-NAT: addresses rewritten both ways
scenario-nat-lab-watch = At the director the destination changes from the VIP to a RIP on the way in, and the source changes from the RIP back to the VIP on the way out. rr alternates rs1 and rs2.

scenario-dr-lab-title = LVS-DR: same packet, new MAC, direct replies
scenario-dr-lab-watch = The frame from the director to a real server keeps IP 10.1.0.100 -> 10.0.0.10; the director rewrites only the Ethernet header (destination MAC to the real server's, source MAC to its own) and, as a router does, decrements the TTL. Replies leave the real server from the VIP straight to the router; the director's OutPkts stay 0.

scenario-tun-lab-title = LVS-TUN: IPIP from the director, direct replies
scenario-tun-lab-watch = Between the director and a real server the packet carries an outer header 10.0.0.2 -> 10.2.0.x (IPIP) around the untouched 10.1.0.100 -> 10.0.0.10 packet. Replies go from the VIP straight to the client.

scenario-nat-wrong-gateway-title = NAT failure: replies bypass the director
scenario-nat-wrong-gateway-watch = rs2 answers from its RIP through another router; the client drops those replies (RST) and half of the requests time out.

scenario-dr-arp-flux-title = DR failure: ARP flux sends traffic around the director
scenario-dr-arp-flux-watch = The router learns the VIP at a real server's MAC: that server gets every connection and the director's table stays almost empty.

scenario-tun-rp-filter-title = TUN failure: rp_filter drops decapsulated packets
scenario-tun-rp-filter-watch = rs2 drops every decapsulated packet (rp_filter=1 on all); requests scheduled to it time out.

scenario-dr-port-mapping-title = DR mistake: port mapping is rejected
scenario-dr-port-mapping-watch = Validation stops the run: DR cannot map port 80 to 8080.

scenario-dr-gateway-dip-title = LVS-DR with the gateway on the DIP: it works, but replies cross the director
scenario-dr-gateway-dip-watch = Requests complete, but each reply 10.0.0.10 -> 10.1.0.100 goes from the real server to the director's MAC and is forwarded by the director to the router: the director's eth0 carries both directions. Point the real servers' default route at 10.0.0.1 and the replies bypass it.

scenario-schedulers-compare-title = rr, wrr, lc, wlc, sh on the same traffic
scenario-schedulers-compare-watch = Start with rr (1/3 each although the weights are 3/2/1). Switch with `ipvsadm -E -t 172.16.16.172:80 -s wrr` (then lc, wlc, sh) and watch Conns and InActConn per real server in `ipvsadm -Ln`: wrr splits 3:2:1, lc evens out InActConn, wlc makes it 3:2:1, sh pins each client address to one server.

scenario-testbed-nat-title = Kernel testbed, NAT: empty director for the console
scenario-testbed-nat-watch = Start with an empty table: add a service with ipvsadm -A / -a in the console and @connect to it.

scenario-testbed-dr-title = Kernel testbed, DR: empty director for the console
scenario-testbed-dr-watch = Start with an empty table: add a service with ipvsadm -A / -a in the console and @connect to it.

scenario-testbed-tun-title = Kernel testbed, TUN: empty director for the console
scenario-testbed-tun-watch = Start with an empty table: add a service with ipvsadm -A / -a in the console and @connect to it.

scenario-lc-time-wait-title = lc vs wlc: TIME_WAIT entries decide the split
scenario-lc-time-wait-watch = After 20 s: under lc (:80) rs-fast and rs-slow have about the same InActConn although rs-fast is four times faster; under wlc 4/1 (:81) the split is about 4:1.

scenario-persistence-pinning-title = Persistence: pinned clients, templates, and the weight-0 trap
scenario-persistence-pinning-watch = 10.0.0.101 stays on rs3 after rs3's weight is set to 0 at 20 s, and moves only after expire_quiescent_template = 1 at 35 s.

scenario-ha-nat-keepalived-title = keepalived NAT HA: VIP and floating DIP in a sync group
scenario-ha-nat-keepalived-watch = LD1 becomes MASTER of both instances 3.609 s after start (its Master_Down_Interval: state MASTER does not shortcut the election, sync group or not); LD2 boots 1 s later and stays BACKUP; LD1 crashes at 20 s and LD2 takes over VI_1 and VI_2 together about 3.6 s after LD1's last advert, sending 5+5 gratuitous ARPs per address; connections in flight at the crash are lost.

scenario-ha-failover-nosync-title = Failover without connection sync
scenario-ha-failover-nosync-watch = failover line in the report: every connection established at the takeover is lost (survived 0); new requests after the takeover complete.

scenario-ha-failover-sync-title = Failover with the connection sync daemon
scenario-ha-failover-sync-watch = At the takeover (~23.2 s) the report lists the established connections; with the sync daemon those synced before the crash survive (survived > 0, lost small: only connections opened in the last ~2 s before the crash, not yet synced). Trace: UDP 8848 to 224.0.0.81 from LD1's 172.18.1.1.

scenario-ha-dr-keepalived-title = LVS-DR + keepalived master/backup (seed deployment)
scenario-ha-dr-keepalived-watch = keepalived-stop at 15 s: the master's single priority-0 advert, the backup's MASTER 0.648 s later with 5+5 gratuitous ARPs for 1.1.1.1 and 192.168.1.1; the client's ARP entry for the VIP moves to the backup's MAC. Restart at 25 s: the master starts in BACKUP, discards the backup's priority-90 adverts, preempts when its own Master_Down_Timer runs out 3.609 s later (as real keepalived 2.2.7 does, sync group or not) and the backup removes its VIPs within a millisecond.

scenario-ha-nopreempt-title = nopreempt: the returning director stays BACKUP
scenario-ha-nopreempt-watch = LD1 (priority 100) is stopped at 10 s; LD2 takes over after 0.648 s. LD1 restarts at 15 s and, with nopreempt, accepts LD2's lower-priority adverts: it stays BACKUP to the end and the VIP stays on LD2.

scenario-ha-split-brain-title = Split brain: adverts lost between the directors
scenario-ha-split-brain-watch = At 10 s the network between LD1 and LD2 is cut (both stay up): LD2 hears no adverts and becomes MASTER 3.648 s after the last one; both own the VIP and both send gratuitous ARPs. At 20 s the link is restored: LD2 sees LD1's higher priority and backs off; LD1, hearing LD2's lower-priority advert, answers with an advert and another round of gratuitous ARPs.

scenario-ha-checker-dead-rs-title = A dead real server found by TCP_CHECK
scenario-ha-checker-dead-rs-watch = web2 stops at 10 s; the checker's failed attempt and its retry 1 s later remove web2 from IPVS (keepalived log: Removing server). Afterwards every new connection goes to web1; failures stop once it is out. At 25 s web2 is back and is added at the next check.

scenario-ha-checker-inhibit-title = inhibit_on_failure: weight 0 instead of removal
scenario-ha-checker-inhibit-watch = web2 stops at 10 s; after the check and its retry, `ipvsadm -Ln` still lists web2 with weight 0 and new connections go to web1 only. At 25 s web2 gets weight 1 back.

scenario-vm-nat-title = LVS-NAT on the reference test bed (wrr 4,3,2)
scenario-vm-nat-watch = Nine sequential connections: wrr 4,3,2 gives rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1, as the real kernel does.

scenario-vm-dr-title = LVS-DR on the reference test bed (wlc 4,3,2)
scenario-vm-dr-watch = Nine sequential connections: wlc 4,3,2 gives rs3 rs2 rs1 rs1 rs2 rs3 rs1 rs2 rs1, as the real kernel does.

scenario-vm-tun-title = LVS-TUN on the reference test bed (rr)
scenario-vm-tun-watch = Nine sequential connections: rr gives rs3 rs2 rs1 three times over, as the real kernel does.

scenario-capacity-dr-10rs-title = Capacity: ten DR real servers of three sizes
scenario-capacity-dr-10rs-watch = Which scheduler keeps p99 low as the rate grows? Run `lvslab sweep sweeps/capacity.toml`.
