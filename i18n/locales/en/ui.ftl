# The browser lab's interface.

app-title = LVS Lab
skip-to-lab = Skip to the lab
tab-lab = Lab
tab-compare = NAT / DR / TUN
tab-whatif = What-if
projector-on = Projector mode
projector-off = Normal size
palette-safe = Colour-blind-safe colours
language = Language
lang-en = English
lang-zh-CN = 中文
dismiss = Dismiss

picker-lessons = Lessons
picker-scenarios = Scenarios
picker-show-all = All scenarios
lesson-pick-hint = Pick a lesson: each one guides you through one idea, step by step.
lesson-step-of = Step { $n } of { $total }
lesson-why = Why?
lesson-hint = Hint
lesson-predict = Your prediction
lesson-correct = Right.
lesson-wrong = Not quite.
lesson-reveal = Play to this moment
lesson-revealed = The lab is at this moment now: look at what the text points to.
lesson-task = Your task
lesson-show-me = Show me
lesson-checks = Checks
lesson-check-pass = done
lesson-check-wait = not yet
lesson-back = Back
lesson-next = Next
lesson-finish = Finish
lesson-exit = Leave the lesson
lesson-in-one-line = In one line
lesson-done = Task done: go on when you are ready.
lesson-answer-first = Answer the question to go on.
lesson-do-first = Do the task (or press “Show me”) to go on.
lesson-play-first = Play to the moment to go on.
lesson-error = This lesson could not start: { $error }

play = ▶ Play
pause = ❚❚ Pause
step-hop = Step one hop
run-to-end = Run to end
send-request = Send one request
restart = Restart
skip-idle = skip idle time
watch = Watch:

step-back = Step back one hop
marker-prev = ◀ Previous event
marker-next = Next event ▶
timeline = Time position (simulated milliseconds)
timeline-markers = { $n } events on the timeline
marker-conn = connection
marker-drop = drop
marker-fault = fault or change
marker-vrrp = VRRP state
marker-checker = checker verdict
speed = Speed
speed-option = { $mult } ({ $sim } simulated per second)
speed-real-time = real time (1 s per second)
palette-safe-label = Colour-blind-safe colours (Okabe–Ito)

log-title = Packet log ({ $n } hops so far, { $shown } shown, oldest first)
log-hide-arp = hide ARP
log-hide-vrrp = hide VRRP and gratuitous ARP
log-hide-checks = hide health checks and sync
log-node = node
log-conn = connection
log-all = all
log-first = first page
log-prev = previous page
log-next = next page
log-last = last page
log-page = page { $page } of { $pages }
log-region = Packet log: arrow keys move through the rows, the inspector shows the selected one
log-col-node = node
log-col-frame = frame
log-col-verdict = verdict
verdict-delivered = delivered
verdict-forwarded = forwarded
verdict-dropped = DROPPED

ha-title = High availability: VRRP and failover
ha-strip = VRRP strip: adverts, the wait for a silent master, state changes and gratuitous ARPs per director
ha-strip-help = Ticks are adverts, circles gratuitous ARPs; the bar is a backup waiting for adverts that no longer come (Master_Down_Interval) before it takes over.
ha-failover-title = Failover report
ha-no-failover = No takeover yet.
ha-instance = instance
ha-from-to = from → to
ha-established = established
ha-survived = survived
ha-lost = lost
ha-failover-help = Established: client connections open at the takeover. Survived: finished well or still open. Lost: reset or timed out.
hop-announce = { $node } { $dir }: { $summary }
run-over = The run is over: step back, scrub the timeline, or restart.
restart-keeps = Back to the start; your { $n } changes happen again at their moments.
discard-changes = Restart without my { $n } changes
diagnostics-stale = These diagnostics are about the file as written; the { $n } changes made in the lab since are not in it.

# Scenario picker: group headings, seed and share link
kind-lesson = Lesson
kind-failure = Failure
kind-whatif = What-if
kind-ha = High availability
kind-unparsed = Does not parse
picker-seed = Seed
picker-rerun-seed = Rerun with seed
picker-share-link = Share link

# Scenario editor
editor-title = Scenario TOML
editor-title-edited = Scenario TOML (edited)
editor-no-problems = No errors, no warnings.
editor-error = error
editor-warning = warning
editor-error-at = error line { $line }:{ $col }
editor-warning-at = warning line { $line }:{ $col }
editor-run = Run this text
editor-revert = Revert

# Build errors (the scenario does not build)
build-failed-title = This scenario does not build
build-failed-help = Fix these errors in the editor, then run it:

# Playback toolbar, counters and the diagram's legend
controls-label = Playback
key-space = Space
counter-clock = t =
counter-sent = requests sent
counter-completed = completed
counter-failed = failed
counter-frames = frames
counter-on-wire = on the wire
trace-stopped = The trace grew too large and was switched off: frames are no longer drawn.
legend-frames = Each connection has its own colour; yellow squares are ARP. Click a frame or a log row to inspect it.

# Charts panel
charts-title = Charts (sampled every simulated second)
chart-conns = ActiveConn / InActConn per real server
chart-conns-y = entries
chart-rps = Requests per second per server
chart-rps-y = requests/s
chart-latency = Latency p50 / p99
chart-x = simulated seconds
chart-active = { $server } active
chart-inactive = { $server } inactive

# Packet inspector
inspector-title = Inspector: { $node } at { $t } ms
inspector-close = Close
inspector-outcome = { $outcome }. Rewritten fields are highlighted.
inspector-highlight = Rewritten fields are highlighted.
inspector-layer = Layer
inspector-field = Field
inspector-arriving = Arriving at { $node }
inspector-leaving = Leaving { $node }
inspector-inner-ipv4 = inner IPv4
inspector-through = { $node } received it on { $from } and sent it on { $to }
inspector-originated = { $node } originated it on { $iface }
inspector-sent = { $node }: sent
inspector-delivered = { $node }: delivered to the local stack
inspector-forwarded = { $node }: forwarded
inspector-dropped = { $node }: dropped: { $reason }

# Nodes panel: toggles, scheduler and weights, ARP cache, changes
nodes-title = Nodes
toggle-kill-director = kill director
toggle-fail-host = fail host
toggle-recover = { $host } (down: recover)
toggle-set = { $setting } (on)
toggle-unset = { $setting } (off)
nodes-scheduler = { $service } scheduler
nodes-weight = { $dest } weight
arp-title = ARP cache of { $host }
arp-col-iface = if
arp-col-state = state
arp-col-owner = owner
arp-empty = (empty)
arp-incomplete = (incomplete)
nodes-changes = Changes made

# ipvsadm console
console-title = ipvsadm console
console-input-label = ipvsadm command
console-placeholder = ipvsadm -Ln   (help, clear; arrows for history)

# Downloads
export-title = Downloads
export-rules = ipvsadm rules (-S -n)
export-pcap = pcap of every segment
export-toml = scenario TOML
export-not-yet = not available yet
export-keepalived-not-yet = keepalived.conf (not available yet)
export-scripts = real-server scripts
export-scripts-not-yet = real-server scripts (not available yet)

# What-if panel
whatif-title = What if…
whatif-intro = Each run simulates every packet of every connection (no animation, no trace), then charts the result.
whatif-scenario = Scenario
whatif-base = DR cluster of three (one LAN)
whatif-current = the lab's current scenario
whatif-run = Run
whatif-running = Running…
whatif-weight = weight of { $dest }: { $weight }
whatif-scheduler = scheduler
whatif-fin = IPVS FIN timeout (ipvsadm --set): { $s } s
whatif-time-wait = hosts' TCP TIME_WAIT: { $s } s
whatif-rate = arrival rate: { $rate } connections/s
whatif-connections = connections: { $n }
whatif-totals = { $sent } sent, { $completed } completed, { $failed } failed
whatif-latency = { " " }— latency p50 { $p50 } ms, p99 { $p99 } ms; { $secs } simulated { $secs ->
        [one] second
       *[other] seconds
    }
whatif-served-by = served by: { $list }
whatif-failures = failures: { $list }
whatif-failure-item = { $n } { $reason }
whatif-timing = computed in { $ms } ms ({ $events } events, { $rate } M events/s, { $mode })
whatif-mode-bulk = connection-level bulk run
whatif-mode-packets = packet-level run
whatif-capacity = Real servers' capacity
whatif-capacity-note = Applies to every real server. Until you move these sliders, each server keeps what the scenario gives it.
whatif-workers = workers per real server: { $n }
whatif-service-mean = mean service time: { $ms } ms
whatif-service-dist = service-time distribution
whatif-dist-constant = constant
whatif-dist-exponential = exponential
whatif-dist-lognormal = log-normal (σ 0.5)
whatif-dist-uniform = uniform (mean ± 50 %)
whatif-throughput = throughput while connections arrived: { $rate } requests/s
whatif-previous = Previous run (lighter, dashed lines in the charts): p50 { $p50 } ms, p99 { $p99 } ms, { $failed } failed.
chart-previous = previous
whatif-download-csv = CSV
whatif-download-png = PNG
whatif-download-csv-label = Download “{ $chart }” as CSV
whatif-download-png-label = Download “{ $chart }” as a PNG image
whatif-sweep-title = Sweep one parameter
whatif-sweep-intro = Runs the same what-if at evenly spaced values of one parameter, one point at a time, and charts latency, throughput and failures against it.
whatif-sweep-param = parameter
whatif-sweep-param-rate = arrival rate (connections/s)
whatif-sweep-param-workers = workers per real server
whatif-sweep-param-service = mean service time (ms)
whatif-sweep-param-weight = weight of { $dest }
whatif-sweep-param-time-wait = TCP TIME_WAIT (s)
whatif-sweep-from = from
whatif-sweep-to = to
whatif-sweep-points = points
whatif-sweep-budget = At most { $max } points, and at most { $budget } connections in all (points × connections per run).
whatif-sweep-run = Run sweep
whatif-sweep-cancel = Stop
whatif-sweep-progress = Running point { $n } of { $total }…
whatif-sweep-done = { $total } points in { $ms } ms.
whatif-sweep-stopped = Stopped after { $done } of { $total } points.
whatif-sweep-col-p50 = p50 (ms)
whatif-sweep-col-p99 = p99 (ms)
whatif-sweep-col-throughput = throughput (requests/s)
whatif-sweep-col-failed = failed
whatif-sweep-chart-latency = Latency p50 / p99 against the parameter
whatif-sweep-chart-throughput = Throughput against the parameter
whatif-sweep-chart-failures = Failed requests against the parameter
whatif-sweep-throughput-y = requests/s
whatif-sweep-failures-y = requests
whatif-sweep-legend-throughput = throughput
whatif-sweep-legend-failed = failed
whatif-sweep-table-csv = Results table as CSV
whatif-sweep-previous = The lighter, dashed lines are the previous sweep of the same parameter.
whatif-sweep-error-points = A sweep runs { $min } to { $max } points, not { $got }.
whatif-sweep-error-range = Choose “from” and “to” between { $lo } and { $hi }, and not equal.
whatif-sweep-error-weight = That weight slider no longer exists: choose the parameter again.
whatif-sweep-error-budget = Too much work for the browser: { $points } points × { $connections } connections = { $work } connections, over the limit of { $budget }. Use fewer points or fewer connections.
list-sep = {", "}

# NAT / DR / TUN comparison
compare-title = The same request through NAT, DR and TUN
compare-back = Back to the first SYN
compare-clock = t = first SYN + { $ms } ms
compare-hops-title = What each hop changed
compare-request = { $lab }: the request
compare-reply = the reply (SYN-ACK)
compare-no-request = no request found
compare-unchanged = changed nothing
compare-unavailable = The comparison could not be built.
compare-changed = { $layer } { $field }: { $before } → { $after }
compare-added = { $layer } { $field }: added { $value }
compare-removed = { $layer } { $field }: removed (was { $value })

# Topology diagram
role-client = client
role-router = router
role-director = director
role-real-server = real server
role-host = host
role-down = DOWN
topology-label = Topology: hosts, segments and the frames on the wire

# Errors shown in the banner
error-no-lesson = no lesson `{ $id }`
error-no-scenario = no bundled scenario `{ $name }`
error-compare-diagnostics = { $name }: { $n } { $n ->
        [one] diagnostic
       *[other] diagnostics
    }
error-no-lab = the lab has no running scenario
error-not-running = no running scenario
error-not-available = not available for this scenario
error-seed = seed `{ $seed }` is not a number

log-col-dir = direction
