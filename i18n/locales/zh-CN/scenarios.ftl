# 场景标题和“注意看”提示，显示在场景列表和 `lvslab list` 中。
# 英文原文来自场景文件的 [scenario] title 和 watch。

scenario-nat-lab-title = LVS-NAT：进出两个方向都改写地址
scenario-nat-lab-watch = 在调度器上，请求进来时目标地址从 VIP 改成某台真实服务器的 RIP，响应出去时源地址再从 RIP 改回 VIP。rr（轮询）让 rs1 和 rs2 交替接收请求。

scenario-dr-lab-title = LVS-DR：数据包不变，只换 MAC，响应直接返回
scenario-dr-lab-watch = 调度器发给真实服务器的帧，IP 仍是 10.1.0.100 -> 10.0.0.10；调度器只改写以太网头部（目标 MAC 换成真实服务器的，源 MAC 换成自己的），并像路由器一样把 TTL 减一。响应由真实服务器以 VIP 为源地址直接发给路由器，调度器的 OutPkts 始终是 0。

scenario-tun-lab-title = LVS-TUN：调度器用 IPIP 封装，响应直接返回
scenario-tun-lab-watch = 在调度器和真实服务器之间，原封不动的 10.1.0.100 -> 10.0.0.10 数据包外面又套了一层 IP 头 10.0.0.2 -> 10.2.0.x（IPIP）。响应从 VIP 直接发回客户端。

scenario-nat-wrong-gateway-title = NAT 故障：响应绕过了调度器
scenario-nat-wrong-gateway-watch = rs2 以自己的 RIP 为源地址、经另一台路由器回包；客户端丢弃这些响应（回以 RST），于是一半的请求超时。

scenario-dr-arp-flux-title = DR 故障：ARP flux 让流量绕过调度器
scenario-dr-arp-flux-watch = 路由器把 VIP 学到了某台真实服务器的 MAC 上：这台服务器拿到了所有连接，而调度器的连接表几乎一直是空的。

scenario-tun-rp-filter-title = TUN 故障：rp_filter 丢弃解封装后的数据包
scenario-tun-rp-filter-watch = rs2 丢弃了每一个解封装后的数据包（all 上 rp_filter=1）；调度到它的请求全部超时。

scenario-dr-port-mapping-title = DR 配置错误：端口映射被拒绝
scenario-dr-port-mapping-watch = 配置校验时就停止运行：DR 模式不能把 80 端口映射到 8080。

scenario-dr-gateway-dip-title = LVS-DR 把网关设成 DIP：能用，但响应要经过调度器
scenario-dr-gateway-dip-watch = 请求都能完成，但每个响应 10.0.0.10 -> 10.1.0.100 都从真实服务器先发到调度器的 MAC，再由调度器转发给路由器：调度器的 eth0 上两个方向的流量都有。把真实服务器的默认路由指向 10.0.0.1，响应就不再经过调度器。

scenario-schedulers-compare-title = rr、wrr、lc、wlc、sh 处理同样的流量
scenario-schedulers-compare-watch = 先看 rr：虽然权重是 3/2/1，每台仍各分到 1/3。用 `ipvsadm -E -t 172.16.16.172:80 -s wrr` 切换调度算法（之后依次换成 lc、wlc、sh），在 `ipvsadm -Ln` 里观察每台真实服务器的 Conns 和 InActConn：wrr 按 3:2:1 分配，lc 让各台的 InActConn 趋于一致，wlc 让它变成 3:2:1，sh 则把每个客户端地址固定到一台服务器上。

scenario-testbed-nat-title = 内核测试环境（NAT）：调度器规则为空，供控制台练习
scenario-testbed-nat-watch = 从空的规则表开始：在控制台里用 ipvsadm -A / -a 添加服务，再用 @connect 连上去。

scenario-testbed-dr-title = 内核测试环境（DR）：调度器规则为空，供控制台练习
scenario-testbed-dr-watch = 从空的规则表开始：在控制台里用 ipvsadm -A / -a 添加服务，再用 @connect 连上去。

scenario-testbed-tun-title = 内核测试环境（TUN）：调度器规则为空，供控制台练习
scenario-testbed-tun-watch = 从空的规则表开始：在控制台里用 ipvsadm -A / -a 添加服务，再用 @connect 连上去。

scenario-lc-time-wait-title = lc 与 wlc：TIME_WAIT 条目决定分配比例
scenario-lc-time-wait-watch = 20 s 之后：在 lc（:80）下，尽管 rs-fast 比 rs-slow 快四倍，两者的 InActConn 却差不多；在 wlc 4/1（:81）下，分配比例约为 4:1。

scenario-persistence-pinning-title = 持久连接：被固定的客户端、持久模板与权重 0 的陷阱
scenario-persistence-pinning-watch = 20 s 时 rs3 的权重被设为 0，10.0.0.101 却仍然留在 rs3 上；直到 35 s 设置 expire_quiescent_template = 1 之后，它才转到别的服务器。

scenario-ha-nat-keepalived-title = keepalived NAT 高可用：VIP 和浮动 DIP 在同一个同步组里
scenario-ha-nat-keepalived-watch = 启动 3.609 s 后（它的 Master_Down_Interval：配置成 state MASTER 也不能跳过选举，有没有同步组都一样），LD1 成为两个实例的 MASTER；LD2 晚 1 s 启动，一直是 BACKUP；LD1 在 20 s 时宕机，在 LD1 最后一次 VRRP 通告之后约 3.6 s，LD2 同时接管 VI_1 和 VI_2，并为每个地址发送 5+5 个免费 ARP；宕机时正在进行的连接全部丢失。

scenario-ha-failover-nosync-title = 不做连接同步的故障切换
scenario-ha-failover-nosync-watch = 看报告里的 failover 一行：切换时已建立的连接全部丢失（survived 0）；切换之后发起的新请求都能完成。

scenario-ha-failover-sync-title = 启用连接同步守护进程的故障切换
scenario-ha-failover-sync-watch = 切换时（约 23.2 s）报告会列出已建立的连接；有了同步守护进程，宕机前已经同步过的连接都能保住（survived > 0，lost 很少：只有宕机前最后约 2 s 内新建、还没来得及同步的连接）。在数据包跟踪里可以看到 LD1 的 172.18.1.1 发往 224.0.0.81 的 UDP 8848 报文。

scenario-ha-dr-keepalived-title = LVS-DR + keepalived 主备（参考资料中的部署）
scenario-ha-dr-keepalived-watch = 15 s 时执行 keepalived-stop：主调度器只发出一次优先级为 0 的通告，0.648 s 后备调度器成为 MASTER，并为 1.1.1.1 和 192.168.1.1 发送 5+5 个免费 ARP；客户端 ARP 缓存里 VIP 的条目随之指向备调度器的 MAC。25 s 时重新启动：主调度器先以 BACKUP 状态启动，丢弃备调度器优先级 90 的通告，等自己的 Master_Down_Timer 在 3.609 s 后到期才抢占（真实的 keepalived 2.2.7 就是这样，有没有同步组都一样），备调度器在 1 毫秒内撤下它的 VIP。

scenario-ha-nopreempt-title = nopreempt（非抢占）：恢复的调度器保持 BACKUP
scenario-ha-nopreempt-watch = LD1（优先级 100）在 10 s 时被停止，0.648 s 后 LD2 接管。LD1 在 15 s 时重新启动，由于配置了 nopreempt，它接受 LD2 优先级更低的通告：直到结束都保持 BACKUP，VIP 也一直留在 LD2 上。

scenario-ha-split-brain-title = 脑裂：两台调度器之间的心跳通告丢失
scenario-ha-split-brain-watch = 10 s 时 LD1 和 LD2 之间的网络被切断（两台都还在运行）：LD2 收不到通告，在最后一次通告之后 3.648 s 成为 MASTER；两台同时持有 VIP，也都发送免费 ARP。20 s 时链路恢复：LD2 发现 LD1 的优先级更高，主动退让；LD1 收到 LD2 优先级更低的通告后，回应一次通告，并再发一轮免费 ARP。

scenario-ha-checker-dead-rs-title = TCP_CHECK 发现一台宕掉的真实服务器
scenario-ha-checker-dead-rs-watch = web2 在 10 s 时停止；健康检查失败一次、1 s 后重试仍失败，随即把 web2 从 IPVS 中移除（keepalived 日志：Removing server）。此后所有新连接都发往 web1；web2 被移除后就不再有失败的请求。25 s 时 web2 恢复，在下一次检查时被重新加入。

scenario-ha-checker-inhibit-title = inhibit_on_failure：权重置 0，而不是移除
scenario-ha-checker-inhibit-watch = web2 在 10 s 时停止；经过一次检查和重试之后，`ipvsadm -Ln` 里仍然列着 web2，只是权重为 0，新连接只发往 web1。25 s 时 web2 的权重恢复为 1。

scenario-vm-nat-title = 参考测试环境上的 LVS-NAT（wrr 4,3,2）
scenario-vm-nat-watch = 依次建立九个连接：wrr 4,3,2 的分配顺序是 rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1，与真实内核完全一致。

scenario-vm-dr-title = 参考测试环境上的 LVS-DR（wlc 4,3,2）
scenario-vm-dr-watch = 依次建立九个连接：wlc 4,3,2 的分配顺序是 rs3 rs2 rs1 rs1 rs2 rs3 rs1 rs2 rs1，与真实内核完全一致。

scenario-vm-tun-title = 参考测试环境上的 LVS-TUN（rr）
scenario-vm-tun-watch = 依次建立九个连接：rr 的分配顺序是 rs3 rs2 rs1，重复三轮，与真实内核完全一致。

scenario-capacity-dr-10rs-title = 容量规划：三种规格的十台 DR 真实服务器
scenario-capacity-dr-10rs-watch = 请求速率上升时，哪种调度算法能让 p99 保持在低位？运行 `lvslab sweep sweeps/capacity.toml` 看看。
