# 浏览器实验室的界面文字。

app-title = LVS 实验室
skip-to-lab = 跳到实验区
tab-lab = 实验
tab-compare = NAT / DR / TUN 对比
tab-whatif = 假设分析
projector-on = 投影模式
projector-off = 正常大小
palette-safe = 色盲友好配色
language = 语言
lang-en = English
lang-zh-CN = 中文
dismiss = 关闭

picker-lessons = 课程
picker-scenarios = 场景
picker-show-all = 全部场景
lesson-pick-hint = 选一门课：每门课围绕一个知识点，一步一步带你做。
lesson-step-of = 第 { $n } 步，共 { $total } 步
lesson-why = 为什么？
lesson-hint = 提示
lesson-predict = 你的预测
lesson-correct = 答对了。
lesson-wrong = 不太对。
lesson-reveal = 播放到这一刻
lesson-revealed = 实验已停在这一刻：看看文字指出的地方。
lesson-task = 你的任务
lesson-show-me = 演示给我看
lesson-checks = 检查
lesson-check-pass = 已完成
lesson-check-wait = 尚未完成
lesson-back = 上一步
lesson-next = 下一步
lesson-finish = 完成
lesson-exit = 退出课程
lesson-in-one-line = 一句话总结
lesson-done = 任务完成：准备好了就继续。
lesson-answer-first = 先回答问题，才能继续。
lesson-do-first = 先完成任务（或点“演示给我看”），才能继续。
lesson-play-first = 先播放到这一刻，才能继续。
lesson-error = 这门课无法开始：{ $error }

play = ▶ 播放
pause = ❚❚ 暂停
step-hop = 单步（一跳）
run-to-end = 运行到结束
send-request = 发送一个请求
restart = 重新开始
skip-idle = 跳过空闲时间
watch = 注意看：

step-back = 后退一跳
marker-prev = ◀ 上一个事件
marker-next = 下一个事件 ▶
timeline = 时间位置（模拟毫秒）
timeline-markers = 时间轴上有 { $n } 个事件
marker-conn = 新连接
marker-drop = 丢包
marker-fault = 故障或改动
marker-vrrp = VRRP 状态
marker-checker = 健康检查结果
speed = 速度
speed-option = { $mult }（每秒播放 { $sim } 模拟时间）
speed-real-time = 实时（每秒 1 s）
palette-safe-label = 色盲友好配色（Okabe–Ito）

log-title = 数据包日志（已有 { $n } 跳，显示 { $shown } 条，按时间先后）
log-hide-arp = 隐藏 ARP
log-hide-vrrp = 隐藏 VRRP 和免费 ARP
log-hide-checks = 隐藏健康检查和同步流量
log-node = 节点
log-conn = 连接
log-all = 全部
log-first = 第一页
log-prev = 上一页
log-next = 下一页
log-last = 最后一页
log-page = 第 { $page } 页，共 { $pages } 页
log-region = 数据包日志：方向键在各行之间移动，检查器显示选中的那一行
log-col-node = 节点
log-col-frame = 帧
log-col-verdict = 结果
verdict-delivered = 已接收
verdict-forwarded = 已转发
verdict-dropped = 已丢弃

ha-title = 高可用：VRRP 与主备切换
ha-strip = VRRP 条带：每台调度器的心跳通告、等待主节点的时间、状态变化和免费 ARP
ha-strip-help = 短竖线是心跳通告，圆点是免费 ARP；横条表示备节点在等已经不再到来的通告（Master_Down_Interval），等完就接管。
ha-failover-title = 切换报告
ha-no-failover = 还没有发生接管。
ha-instance = 实例
ha-from-to = 从 → 到
ha-established = 已建立
ha-survived = 幸存
ha-lost = 丢失
ha-failover-help = 已建立：接管时仍打开的客户端连接。幸存：正常完成或仍然打开。丢失：被重置或超时。
hop-announce = { $node } { $dir }：{ $summary }
run-over = 这次运行已经结束：可以后退一跳、拖动时间轴，或重新开始。
restart-keeps = 回到起点；你做的 { $n } 处改动会在原来的时刻再次生效。
discard-changes = 丢掉我的 { $n } 处改动，重新开始
diagnostics-stale = 这些提示针对的是文件原本的内容；之后你在实验里做的 { $n } 处改动没有写进文件。

# 场景列表：分组标题、随机种子和分享链接
kind-lesson = 教学实验
kind-failure = 故障排查
kind-whatif = 假设分析
kind-ha = 高可用
kind-unparsed = 无法解析
picker-seed = 随机种子
picker-rerun-seed = 用这个种子重新运行
picker-share-link = 分享链接

# 场景编辑器
editor-title = 场景 TOML
editor-title-edited = 场景 TOML（已修改）
editor-no-problems = 没有错误，也没有警告。
editor-error = 错误
editor-warning = 警告
editor-error-at = 错误（第 { $line } 行第 { $col } 列）
editor-warning-at = 警告（第 { $line } 行第 { $col } 列）
editor-run = 运行这段配置
editor-revert = 还原

# 构建错误（场景无法构建）
build-failed-title = 这个场景无法构建
build-failed-help = 请先在编辑器里改正下面的错误，再运行：

# 播放工具栏、计数器和拓扑图图例
controls-label = 播放控制
key-space = 空格键
counter-clock = 时刻 t =
counter-sent = 已发送请求
counter-completed = 已完成
counter-failed = 失败
counter-frames = 帧数
counter-on-wire = 正在传输
trace-stopped = 跟踪记录太大，已经关闭：不再绘制链路上的帧。
legend-frames = 每条连接用一种颜色，黄色方块是 ARP。点击一个帧或日志里的一行，就能在检查器里查看它。

# 图表
charts-title = 图表（每个模拟秒采样一次）
chart-conns = 每台真实服务器的 ActiveConn / InActConn
chart-conns-y = 连接条目数
chart-rps = 每台服务器每秒处理的请求数
chart-rps-y = 请求数/秒
chart-latency = 响应时延 p50 / p99
chart-x = 模拟时间（秒）
chart-active = { $server } 活动连接
chart-inactive = { $server } 非活动连接

# 数据包检查器
inspector-title = 检查器：{ $node }，时刻 { $t } ms
inspector-close = 关闭
inspector-outcome = { $outcome }。被改写的字段已高亮显示。
inspector-highlight = 被改写的字段已高亮显示。
inspector-layer = 协议层
inspector-field = 字段
inspector-arriving = 到达 { $node } 时
inspector-leaving = 离开 { $node } 时
inspector-inner-ipv4 = 内层 IPv4
inspector-through = { $node } 从 { $from } 收到这个帧，再从 { $to } 发出
inspector-originated = 这个帧由 { $node } 从 { $iface } 发出
inspector-sent = { $node }：已发出
inspector-delivered = { $node }：交给本机协议栈
inspector-forwarded = { $node }：已转发
inspector-dropped = { $node }：已丢弃：{ $reason }

# 节点面板：开关、调度算法与权重、ARP 缓存、改动记录
nodes-title = 节点
toggle-kill-director = 停掉调度器
toggle-fail-host = 让主机故障
toggle-recover = { $host }（已宕机：点击恢复）
toggle-set = { $setting }（已设置）
toggle-unset = { $setting }（未设置）
nodes-scheduler = { $service } 的调度算法
nodes-weight = { $dest } 的权重
arp-title = { $host } 的 ARP 缓存
arp-col-iface = 接口
arp-col-state = 状态
arp-col-owner = MAC 所属主机
arp-empty = （空）
arp-incomplete = （未解析）
nodes-changes = 已做的改动

# ipvsadm 控制台
console-title = ipvsadm 控制台
console-input-label = ipvsadm 命令
console-placeholder = ipvsadm -Ln   （help、clear；上下方向键翻看历史命令）

# 下载
export-title = 下载
export-rules = ipvsadm 规则（-S -n）
export-pcap = 所有网段的抓包文件（pcap）
export-toml = 场景 TOML
export-not-yet = 暂时还不能下载
export-keepalived-not-yet = keepalived.conf（暂时还不能下载）
export-scripts = 真实服务器配置脚本
export-scripts-not-yet = 真实服务器配置脚本（暂时还不能下载）

# 假设分析面板
whatif-title = 如果……会怎样？
whatif-intro = 每次运行都会模拟每条连接的每一个数据包（不播放动画，也不记录跟踪），然后把结果画成图表。
whatif-scenario = 场景
whatif-base = 三台真实服务器的 DR 集群（同一个局域网）
whatif-current = 实验区当前的场景
whatif-run = 运行
whatif-running = 正在运行……
whatif-weight = { $dest } 的权重：{ $weight }
whatif-scheduler = 调度算法
whatif-fin = IPVS 的 FIN 超时（ipvsadm --set）：{ $s } s
whatif-time-wait = 各主机的 TCP TIME_WAIT：{ $s } s
whatif-rate = 到达速率：每秒 { $rate } 个连接
whatif-connections = 连接数：{ $n }
whatif-totals = 已发送 { $sent }，已完成 { $completed }，失败 { $failed }
whatif-latency = ——响应时延 p50 { $p50 } ms，p99 { $p99 } ms；共模拟 { $secs } 秒
whatif-served-by = 各服务器处理的请求：{ $list }
whatif-failures = 失败原因：{ $list }
whatif-failure-item = { $reason }（{ $n } 次）
whatif-timing = 计算耗时 { $ms } ms（{ $events } 个事件，每秒 { $rate } 百万个事件，{ $mode }）
whatif-mode-bulk = 按连接批量模拟
whatif-mode-packets = 逐包模拟
whatif-capacity = 真实服务器的处理能力
whatif-capacity-note = 这里的设置作用于所有真实服务器。在拖动这几个滑块之前，每台服务器都沿用场景里原本的配置。
whatif-workers = 每台真实服务器的工作线程数：{ $n }
whatif-service-mean = 平均服务时间：{ $ms } ms
whatif-service-dist = 服务时间的分布
whatif-dist-constant = 固定值
whatif-dist-exponential = 指数分布
whatif-dist-lognormal = 对数正态分布（σ = 0.5）
whatif-dist-uniform = 均匀分布（均值上下各 50%）
whatif-throughput = 连接到达期间的吞吐量：每秒 { $rate } 个请求
whatif-previous = 上一次运行（图中颜色较浅的虚线）：p50 { $p50 } ms，p99 { $p99 } ms，失败 { $failed } 个。
chart-previous = 上一次
whatif-download-csv = CSV
whatif-download-png = PNG
whatif-download-csv-label = 把“{ $chart }”导出为 CSV
whatif-download-png-label = 把“{ $chart }”保存为 PNG 图片
whatif-sweep-title = 单参数扫描
whatif-sweep-intro = 让一个参数按等间距取若干个值，逐个重跑同一个假设分析，再把响应时延、吞吐量和失败数随这个参数的变化画成图表。
whatif-sweep-param = 扫描的参数
whatif-sweep-param-rate = 到达速率（每秒连接数）
whatif-sweep-param-workers = 每台真实服务器的工作线程数
whatif-sweep-param-service = 平均服务时间（ms）
whatif-sweep-param-weight = { $dest } 的权重
whatif-sweep-param-time-wait = TCP TIME_WAIT（秒）
whatif-sweep-from = 起始值
whatif-sweep-to = 终止值
whatif-sweep-points = 取值个数
whatif-sweep-budget = 最多取 { $max } 个值，所有运行加起来不超过 { $budget } 个连接（取值个数 × 每次运行的连接数）。
whatif-sweep-run = 开始扫描
whatif-sweep-cancel = 停止
whatif-sweep-progress = 正在计算第 { $n } 个点（共 { $total } 个）……
whatif-sweep-done = 全部 { $total } 个点已算完，用时 { $ms } ms。
whatif-sweep-stopped = 已停止：共 { $total } 个点，算完了 { $done } 个。
whatif-sweep-col-p50 = p50（ms）
whatif-sweep-col-p99 = p99（ms）
whatif-sweep-col-throughput = 吞吐量（每秒请求数）
whatif-sweep-col-failed = 失败数
whatif-sweep-chart-latency = 响应时延 p50 / p99 随参数的变化
whatif-sweep-chart-throughput = 吞吐量随参数的变化
whatif-sweep-chart-failures = 失败请求数随参数的变化
whatif-sweep-throughput-y = 请求数/秒
whatif-sweep-failures-y = 请求数
whatif-sweep-legend-throughput = 吞吐量
whatif-sweep-legend-failed = 失败
whatif-sweep-table-csv = 把结果表导出为 CSV
whatif-sweep-previous = 颜色较浅的虚线是上一次对同一参数的扫描结果。
whatif-sweep-error-points = 扫描的取值个数须在 { $min } 到 { $max } 之间，现在是 { $got }。
whatif-sweep-error-range = “起始值”和“终止值”都须在 { $lo } 到 { $hi } 之间，且两者不能相等。
whatif-sweep-error-weight = 这个权重滑块已经不在了，请重新选择要扫描的参数。
whatif-sweep-error-budget = 计算量超出了浏览器能承受的范围：{ $points } 个点 × { $connections } 个连接 = { $work } 个连接，上限是 { $budget } 个。请减少取值个数或连接数。
list-sep = 、

# NAT / DR / TUN 对比
compare-title = 同一个请求分别经过 NAT、DR 和 TUN
compare-back = 回到第一个 SYN
compare-clock = 时刻 t = 第一个 SYN + { $ms } ms
compare-hops-title = 每一跳改了什么
compare-request = { $lab }：请求
compare-reply = 应答（SYN-ACK）
compare-no-request = 没有找到请求
compare-unchanged = 什么也没改
compare-unavailable = 无法生成对比视图。
compare-changed = { $layer } { $field }：{ $before } → { $after }
compare-added = { $layer } { $field }：新增 { $value }
compare-removed = { $layer } { $field }：已去掉（原来是 { $value }）

# 拓扑图
role-client = 客户端
role-router = 路由器
role-director = 调度器
role-real-server = 真实服务器
role-host = 主机
role-down = 已宕机
topology-label = 拓扑图：主机、网段和链路上正在传输的帧

# 横幅中显示的错误
error-no-lesson = 没有 `{ $id }` 这门课
error-no-scenario = 没有名为 `{ $name }` 的内置场景
error-compare-diagnostics = { $name }：有 { $n } 条诊断信息
error-no-lab = 实验区没有正在运行的场景
error-not-running = 没有正在运行的场景
error-not-available = 这个场景不提供这项下载
error-seed = 随机种子 `{ $seed }` 不是数字

log-col-dir = 方向
