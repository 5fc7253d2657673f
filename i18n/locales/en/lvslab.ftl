# Messages of the model: lesson checks, lesson reports. Arguments are filled in by the
# simulator; `observed` is what the model shows now.

check-arp-owner = { $host }'s ARP entry for { $ip } points at { $owner } (now: { $observed })
check-arp-owner-none = { $host } has no resolved ARP entry for { $ip } (now: { $observed })
check-completed = requests completed: { $range } (now: { $observed })
check-completed-workload = requests of { $workload } completed: { $range } (now: { $observed })
check-failed = requests failed: { $range } (now: { $observed })
check-failed-reason = requests failed with “{ $reason }”: { $range } (now: { $observed })
check-served = connections served by { $host }: { $range } (now: { $observed })
check-share = { $host }'s share of the connections: { $range } (now: { $observed })
check-ipvs = { $director }'s { $counter } over the service: { $range } (now: { $observed })
check-ipvs-server = { $director }'s { $counter } for { $server }: { $range } (now: { $observed })
check-real-server-present = { $server } is in { $director }'s table (now: { $observed })
check-real-server-absent = { $server } is no longer in { $director }'s table (now: { $observed })
check-scheduler = { $director } schedules with { $scheduler } (now: { $observed })
check-sysctl = { $name } on { $host }: { $range } (now: { $observed })
check-vrrp-state = { $instance } on { $host } is { $state } (now: { $observed })
check-vip = { $ip } is held by { $holder } alone (now: { $observed })
check-vip-none = no host holds { $ip } (now: { $observed })
check-frame = frames at { $node } ({ $pattern }): { $range } (now: { $observed })
check-frame-iface = frames at { $node } { $iface } ({ $pattern }): { $range } (now: { $observed })
check-drops = frames dropped: { $range } (now: { $observed })
check-drops-at = frames dropped at { $node }: { $range } (now: { $observed })
check-drops-reason = frames dropped for “{ $reason }”: { $range } (now: { $observed })
check-drops-at-reason = frames dropped at { $node } for “{ $reason }”: { $range } (now: { $observed })
check-failover-established = connections established at the takeover: { $range } (now: { $observed })
check-failover-survived = connections that survived the takeover: { $range } (now: { $observed })
check-failover-lost = connections lost at the takeover: { $range } (now: { $observed })

# lvslab lesson check
phase-revealed = shown
phase-before = before acting, must not hold yet
phase-idle = after the same time without acting, must still not hold
phase-after = after acting
result-ok = ok
result-fail = FAIL
lesson-step = step { $n } ({ $kind }, line { $line }) at { $t }
lesson-step-error = cannot go on: { $error }
lesson-summary = lessons: { $passed } passed, { $failed } failed
lesson-scenario-error = the scenario does not build: { $error }
step-kind-explain = explain
step-kind-predict = predict
step-kind-observe = observe
step-kind-do = do
