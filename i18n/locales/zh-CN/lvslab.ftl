# 模型产生的消息：课程检查与课程报告。参数由模拟器填入；`observed` 是模型当前的值。

check-arp-owner = { $host } 的 ARP 缓存里，{ $ip } 指向 { $owner }（当前：{ $observed }）
check-arp-owner-none = { $host } 没有 { $ip } 的已解析 ARP 条目（当前：{ $observed }）
check-completed = 完成的请求数：{ $range }（当前：{ $observed }）
check-completed-workload = { $workload } 完成的请求数：{ $range }（当前：{ $observed }）
check-failed = 失败的请求数：{ $range }（当前：{ $observed }）
check-failed-reason = 因“{ $reason }”失败的请求数：{ $range }（当前：{ $observed }）
check-served = { $host } 处理的连接数：{ $range }（当前：{ $observed }）
check-share = { $host } 分到的连接比例：{ $range }（当前：{ $observed }）
check-ipvs = { $director } 上该服务的 { $counter }：{ $range }（当前：{ $observed }）
check-ipvs-server = { $director } 上 { $server } 的 { $counter }：{ $range }（当前：{ $observed }）
check-real-server-present = { $server } 在 { $director } 的规则表里（当前：{ $observed }）
check-real-server-absent = { $server } 已从 { $director } 的规则表中移除（当前：{ $observed }）
check-scheduler = { $director } 使用 { $scheduler } 调度算法（当前：{ $observed }）
check-sysctl = { $host } 上的 { $name }：{ $range }（当前：{ $observed }）
check-vrrp-state = { $host } 上的 { $instance } 处于 { $state } 状态（当前：{ $observed }）
check-vip = 只有 { $holder } 持有 { $ip }（当前：{ $observed }）
check-vip-none = 没有任何主机持有 { $ip }（当前：{ $observed }）
check-frame = { $node } 上的帧（{ $pattern }）：{ $range }（当前：{ $observed }）
check-frame-iface = { $node } { $iface } 上的帧（{ $pattern }）：{ $range }（当前：{ $observed }）
check-drops = 被丢弃的帧：{ $range }（当前：{ $observed }）
check-drops-at = 在 { $node } 被丢弃的帧：{ $range }（当前：{ $observed }）
check-drops-reason = 因“{ $reason }”被丢弃的帧：{ $range }（当前：{ $observed }）
check-drops-at-reason = 在 { $node } 因“{ $reason }”被丢弃的帧：{ $range }（当前：{ $observed }）
check-failover-established = 切换时已建立的连接：{ $range }（当前：{ $observed }）
check-failover-survived = 切换后幸存的连接：{ $range }（当前：{ $observed }）
check-failover-lost = 切换中丢失的连接：{ $range }（当前：{ $observed }）

# lvslab lesson check
phase-revealed = 揭晓时
phase-before = 动手之前，此时不应成立
phase-idle = 不动手、经过同样时间之后，仍不应成立
phase-after = 动手之后
result-ok = 通过
result-fail = 失败
lesson-step = 第 { $n } 步（{ $kind }，第 { $line } 行），时间 { $t }
lesson-step-error = 无法继续：{ $error }
lesson-summary = 课程：{ $passed } 个通过，{ $failed } 个失败
lesson-scenario-error = 场景无法构建：{ $error }
step-kind-explain = 讲解
step-kind-predict = 预测
step-kind-observe = 观察
step-kind-do = 动手
