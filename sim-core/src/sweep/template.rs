//! `real-servers = N`: the base's template real server and N - 1 copies of it.
//!
//! A copy is the template host with the next free name (`rs1` -> `rs4`, `rs5`, ... after the
//! names already taken) and the next free address on each of its Ethernet interfaces;
//! addresses on `lo` and `tunl0` (the VIP of DR and TUN real servers) stay as they are, and
//! MAC addresses are left to the builder. Every director's table gets the copy wherever it
//! has the template: a structured `[[host.ipvs.service.real_server]]` entry or an ipvsadm
//! `-a ... -r ADDR` line, with the same options.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

fn str_of<'a>(v: &'a toml::Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(|x| x.as_str())
}

fn split_name(name: &str) -> (&str, Option<u32>) {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (p, d) = name.split_at(name.len() - digits);
    (p, d.parse().ok())
}

/// The IPv4 addresses written on one interface table (prefix lengths dropped).
fn iface_addrs(iface: &toml::Value) -> impl Iterator<Item = Ipv4Addr> + '_ {
    iface
        .get("addrs")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().and_then(|s| s.split('/').next()?.parse().ok()))
}

/// Every IPv4 address any host owns (on any interface).
fn owned(hosts: &[toml::Value]) -> BTreeSet<Ipv4Addr> {
    let mut out = BTreeSet::new();
    for h in hosts {
        for i in h
            .get("iface")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            out.extend(iface_addrs(i));
        }
    }
    out
}

pub fn replicate(root: &mut toml::Table, template: &str, count: usize) -> Result<(), String> {
    let hosts = root
        .get("host")
        .and_then(|h| h.as_array())
        .ok_or("the base scenario has no hosts")?;
    let tpl = hosts
        .iter()
        .find(|h| str_of(h, "name") == Some(template))
        .ok_or_else(|| format!("real-servers: no host `{template}` in the base scenario"))?
        .clone();
    if str_of(&tpl, "role") != Some("real-server") {
        return Err(format!(
            "real-servers: `{template}` is not a real-server host"
        ));
    }
    if hosts.iter().any(|h| h.get("keepalived").is_some()) {
        return Err("real-servers: the base runs keepalived; copy real servers in its keepalived.conf instead".into());
    }
    // The template's Ethernet addresses: the ones that change per copy.
    let mut primary: Vec<Ipv4Addr> = Vec::new();
    for i in tpl
        .get("iface")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        if i.get("segment").is_some() {
            primary.extend(iface_addrs(i));
        }
    }
    let Some(&main_addr) = primary.first() else {
        return Err(format!(
            "real-servers: `{template}` has no address on a segment"
        ));
    };
    let mut taken_addrs = owned(hosts);
    let mut taken_names: BTreeSet<String> = hosts
        .iter()
        .filter_map(|h| str_of(h, "name").map(String::from))
        .collect();
    let (prefix, num) = split_name(template);
    let mut next_num = num.unwrap_or(1);
    let mut copies: Vec<(toml::Value, Vec<(Ipv4Addr, Ipv4Addr)>)> = Vec::new();
    for _ in 1..count {
        let name = loop {
            next_num += 1;
            let n = format!("{prefix}{next_num}");
            if !taken_names.contains(&n) {
                break n;
            }
        };
        taken_names.insert(name.clone());
        let mut map = Vec::new();
        for &a in &primary {
            let mut n = u32::from(a);
            let new = loop {
                n = n
                    .checked_add(1)
                    .ok_or("real-servers: ran out of addresses")?;
                let ip = Ipv4Addr::from(n);
                if !taken_addrs.contains(&ip) {
                    break ip;
                }
            };
            taken_addrs.insert(new);
            map.push((a, new));
        }
        let mut h = tpl.clone();
        if let Some(t) = h.as_table_mut() {
            t.insert("name".into(), name.into());
            if let Some(ifs) = t.get_mut("iface").and_then(|v| v.as_array_mut()) {
                for i in ifs.iter_mut().filter_map(|i| i.as_table_mut()) {
                    if !i.contains_key("segment") {
                        continue;
                    }
                    i.remove("mac");
                    if let Some(addrs) = i.get_mut("addrs").and_then(|v| v.as_array_mut()) {
                        for a in addrs.iter_mut() {
                            if let Some(s) = a.as_str() {
                                let (ip, rest) = s.split_once('/').unwrap_or((s, ""));
                                if let Some((_, new)) =
                                    map.iter().find(|(o, _)| o.to_string() == ip)
                                {
                                    *a = if rest.is_empty() {
                                        new.to_string().into()
                                    } else {
                                        format!("{new}/{rest}").into()
                                    };
                                }
                            }
                        }
                    }
                }
            }
        }
        copies.push((h, map));
    }
    let news: Vec<Ipv4Addr> = copies.iter().map(|(_, m)| m[0].1).collect();
    let hosts = root
        .get_mut("host")
        .and_then(|h| h.as_array_mut())
        .ok_or("the base scenario has no hosts")?;
    let mut found = false;
    for h in hosts.iter_mut() {
        let Some(ipvs) = h.get_mut("ipvs").and_then(|v| v.as_table_mut()) else {
            continue;
        };
        if let Some(rules) = ipvs.get("rules").and_then(|r| r.as_str()) {
            let (text, n) = copy_rule_lines(rules, main_addr, &news);
            found |= n > 0;
            ipvs.insert("rules".into(), text.into());
        }
        for s in ipvs
            .get_mut("service")
            .and_then(|v| v.as_array_mut())
            .into_iter()
            .flatten()
        {
            let Some(list) = s.get_mut("real_server").and_then(|v| v.as_array_mut()) else {
                continue;
            };
            let mut extra = Vec::new();
            for r in list.iter() {
                let Some(addr) = str_of(r, "address") else {
                    continue;
                };
                let (ip, port) = addr
                    .split_once(':')
                    .map(|(a, p)| (a, Some(p)))
                    .unwrap_or((addr, None));
                if ip == main_addr.to_string() {
                    for n in &news {
                        let mut c = r.clone();
                        if let Some(t) = c.as_table_mut() {
                            let a = match port {
                                Some(p) => format!("{n}:{p}"),
                                None => n.to_string(),
                            };
                            t.insert("address".into(), a.into());
                        }
                        extra.push(c);
                    }
                }
            }
            found |= !extra.is_empty();
            list.extend(extra);
        }
    }
    if !found && count > 1 {
        return Err(format!(
            "real-servers: no director's table has `{template}` ({main_addr}) as a real server"
        ));
    }
    hosts.extend(copies.into_iter().map(|(h, _)| h));
    Ok(())
}

/// Copies every `-a`/`--add-server` line naming `addr` as its real server once per new
/// address, right after the original. Returns the text and how many lines were copied.
fn copy_rule_lines(rules: &str, addr: Ipv4Addr, news: &[Ipv4Addr]) -> (String, usize) {
    let a = addr.to_string();
    let mut out = String::new();
    let mut n = 0;
    for line in rules.lines() {
        out.push_str(line);
        out.push('\n');
        let words: Vec<&str> = line.split_whitespace().collect();
        let adds = words.iter().any(|w| *w == "-a" || *w == "--add-server");
        let pos = words
            .iter()
            .position(|w| *w == "-r" || *w == "--real-server");
        if let (true, Some(p)) = (adds, pos) {
            if let Some(target) = words.get(p + 1) {
                let (ip, port) = target
                    .split_once(':')
                    .map(|(i, p)| (i, Some(p)))
                    .unwrap_or((target, None));
                if ip == a {
                    for new in news {
                        let t = match port {
                            Some(p) => format!("{new}:{p}"),
                            None => new.to_string(),
                        };
                        let mut w = words.clone();
                        w[p + 1] = &t;
                        out.push_str(&w.join(" "));
                        out.push('\n');
                        n += 1;
                    }
                }
            }
        }
    }
    (out, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_get_the_next_names_and_addresses_and_their_rules() {
        let mut t: toml::Table = toml::from_str(
            r#"
            [[host]]
            name = "ld"
            role = "director"
            [host.ipvs]
            rules = """
            -A -t 10.0.0.100:80 -s wlc
            -a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 2
            -a -t 10.0.0.100:80 -r 10.0.0.12:80 -g
            """
            [[host]]
            name = "rs1"
            role = "real-server"
            [[host.iface]]
            name = "eth0"
            segment = "lan"
            addrs = ["10.0.0.11/24"]
            mac = "02:00:00:00:00:11"
            [[host.iface]]
            name = "lo"
            addrs = ["10.0.0.100/32"]
            [[host]]
            name = "rs2"
            role = "real-server"
            [[host.iface]]
            name = "eth0"
            segment = "lan"
            addrs = ["10.0.0.12/24"]
            "#,
        )
        .unwrap();
        replicate(&mut t, "rs1", 3).unwrap();
        let hosts = t["host"].as_array().unwrap();
        assert_eq!(hosts.len(), 5);
        assert_eq!(hosts[3]["name"].as_str(), Some("rs3"));
        assert_eq!(
            hosts[3]["iface"][0]["addrs"][0].as_str(),
            Some("10.0.0.13/24")
        );
        assert!(hosts[3]["iface"][0].get("mac").is_none());
        assert_eq!(
            hosts[3]["iface"][1]["addrs"][0].as_str(),
            Some("10.0.0.100/32")
        );
        assert_eq!(hosts[4]["name"].as_str(), Some("rs4"));
        let rules = hosts[0]["ipvs"]["rules"].as_str().unwrap();
        assert!(rules.contains("-r 10.0.0.13:80 -g -w 2"), "{rules}");
        assert!(rules.contains("-r 10.0.0.14:80 -g -w 2"), "{rules}");
        assert_eq!(rules.matches("-a ").count(), 4);
        let e = replicate(&mut t.clone(), "ld", 2).unwrap_err();
        assert!(e.contains("not a real-server"), "{e}");
    }
}
