# 模拟器丢弃一个帧的原因（数据包日志、报告里的 drops），以及请求失败的原因（报告里的
# failures）。src/reasons.rs 从模拟器的英文原文中识别出原因并填入参数。

## 接收帧

reason-host-down = 主机已宕机
reason-iface-down = 网卡接口已关闭（down）
reason-arp-ignore = arp_ignore={ $level }：不在 { $iface } 上应答对 { $ip } 的 ARP 请求
reason-rp-filter-wrong-iface = rp_filter=1：回到 { $src } 的路由走 { $via }，而不是收包的 { $iface }
reason-rp-filter-no-route = rp_filter={ $mode }：没有回到 { $src } 的路由
reason-multicast-not-joined = 本机没有加入这个组播组
reason-not-forwarding = 目的地址不是本机，而且 ip_forward=0（目的地址 { $dst }）
reason-ttl-exceeded = TTL 耗尽
reason-ipip-no-tunl0 = 收到 IPIP 数据包，但没有 tunl0（未加载 ipip 模块）
reason-ipip-tunl0-down = 收到 IPIP 数据包，但 tunl0 没有启用（down）
reason-after-decap = 在 tunl0 上解封装之后：{ $reason }
reason-inner-packet = 内层数据包：{ $reason }
reason-decap-not-local = 解封装后的数据包发往 { $dst }，不是本机地址
reason-no-vrrp = 本机没有 VRRP 实例
reason-backlog-full = 端口 { $port } 的监听队列（backlog）已满：SYN 被丢弃
reason-tcp-rst-no-conn = 收到的 TCP RST 不属于任何连接
reason-tcp-port-closed = TCP 端口 { $port } 没有监听：已回复 RST
reason-tcp-no-conn = 来自 { $ip }:{ $port } 的 TCP 报文段不属于任何连接：已回复 RST
reason-udp-port-closed = UDP 端口 { $port } 没有监听：已回复 ICMP 端口不可达
reason-sync-no-backup = 收到 IPVS 同步消息，但本机没有运行 backup 同步守护进程

## 发送数据包

reason-no-multicast-iface = 找不到组播源地址所在的接口
reason-no-route = 没有到 { $dst } 的路由
reason-mtu-exceeded = { $bytes } 字节的数据包超过了 MTU { $mtu }，且设置了 DF
reason-tunl0-send = 模拟器不支持经 tunl0 发送
reason-arp-queue-full = 等待解析 { $ip } 的 ARP 队列已满
reason-arp-no-reply = ARP：{ $ip } 没有应答
reason-link-loss = 在链路上丢失

## 调度器上的 IPVS

reason-ipvs-old-conntrack = ipvs：旧连接仍有 conntrack 条目
reason-ipvs-dest-deleted = ipvs：这个连接的真实服务器已被删除
reason-ipvs-template-no-dest = ipvs：持久连接模板没有对应的真实服务器
reason-ipvs-ipv6-dest = ipvs：IPv4 数据包对应的是 IPv6 真实服务器
reason-ipvs-no-dest = ipvs：没有可用的真实服务器（no destination available）
reason-ipvs-overloaded = ipvs：没有可用的真实服务器，所有真实服务器都已过载
reason-ipvs-port-zero = ipvs：只有持久服务才支持端口 0
reason-ipvs-dr-not-connected = ipvs DR：真实服务器 { $rip } 不在直连网络上
reason-ipvs-dr-no-route = ipvs DR：没有到真实服务器 { $rip } 的路由
reason-ipvs-tun-mtu = ipvs TUN：{ $bytes } 字节再加 20 字节外层头部，超过了 MTU { $mtu }（已设置 DF）：已发送 ICMP 需要分片
reason-ipvs-tun-no-route = ipvs TUN：没有到真实服务器 { $rip } 的路由

## 请求失败的原因

reason-request-timeout = 请求超时
reason-refused-icmp = 连接被拒绝（ICMP 端口不可达）
reason-refused-rst = 连接被拒绝（RST）
reason-reset = 连接被对端重置
reason-connect-timeout = 连接超时（没有收到 SYN-ACK）
reason-handshake-timeout = 握手超时（发出 SYN-ACK 后没有收到 ACK）
reason-rtx-timeout = 重传超时
reason-host-unreachable = 没有到主机的路由（ICMP 主机不可达）
reason-dest-unreachable = 目的不可达（ICMP）
reason-closed-no-response = 连接已关闭，但没有收到响应
reason-no-route-target = 没有到目标地址的路由
reason-port-in-use = 源端口已被占用
reason-no-ephemeral-port = 没有空闲的临时端口
reason-udp-port-unreachable = ICMP 端口不可达
