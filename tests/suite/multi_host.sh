#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Suites across hosts with real SSH: three namespaces (dut, gen1, gen2) each run OpenSSH's sshd
# with a host key and a user key made for the test, joined by two bridges (control 198.18.20.0/24,
# data 198.18.21.0/24); the suite runs in a fourth namespace and reaches them only over ssh.
# Checks the merged counts against the namespaces' interface counters, the start spread, a host
# that refuses the connection, a remote side killed mid-run, a protocol mismatch and
# on_error = stop, and that no pkteng is left running anywhere. Usage: multi_host.sh PKTENG
set -u
PKTENG=$(realpath "$1")
P=pkt-mh$$ # namespaces: ${P}-br ${P}-s ${P}-a ${P}-b ${P}-c
T=$(mktemp -d /tmp/pkteng-multi-host.XXXXXX)
SSHD_PIDS=""
fails=0

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces)"; exit 77; }
[ -x /usr/sbin/sshd ] || { echo "SKIP: no /usr/sbin/sshd (apt-get install openssh-server)"; exit 77; }
command -v ssh >/dev/null || { echo "SKIP: no ssh (apt-get install openssh-client)"; exit 77; }

cleanup() {
	for p in $SSHD_PIDS; do kill "$p" 2>/dev/null; done
	for n in br s a b c; do
		for p in $(ip netns pids "$P-$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$P-$n" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# pkteng processes left in our namespaces (the suite's own namespace included)
leftovers() {
	local n p out=""
	for n in s a b c; do
		for p in $(ip netns pids "$P-$n"); do
			[ "$(cat /proc/"$p"/comm 2>/dev/null)" = pkteng ] && out="$out $n:$p"
		done
	done
	echo "$out"
}

# ---- the lab ---------------------------------------------------------------------------------
ip netns add "$P-br" || exit 1
ip -n "$P-br" link add bctl type bridge && ip -n "$P-br" link add bdata type bridge &&
	ip -n "$P-br" link set bctl up && ip -n "$P-br" link set bdata up && ip -n "$P-br" link set lo up ||
	{ echo "SKIP: no bridge in a namespace"; exit 77; }
i=0
for n in a b c s; do
	i=$((i + 1))
	[ $n = s ] && i=100
	ip netns add "$P-$n" && ip -n "$P-$n" link set lo up || exit 1
	ip link add ctl netns "$P-$n" type veth peer name pc$n netns "$P-br" || exit 1
	ip -n "$P-$n" link set ctl address 02:00:00:14:00:$(printf %02x $i)
	ip -n "$P-$n" addr add 198.18.20.$i/24 dev ctl && ip -n "$P-$n" link set ctl up &&
		ip -n "$P-br" link set pc$n master bctl up || exit 1
	[ $n = s ] && continue
	ip link add data netns "$P-$n" type veth peer name pd$n netns "$P-br" || exit 1
	ip -n "$P-$n" link set data address 02:00:00:15:00:$(printf %02x $i)
	ip -n "$P-$n" addr add 198.18.21.$i/24 dev data && ip -n "$P-$n" link set data up &&
		ip -n "$P-br" link set pd$n master bdata up || exit 1
	ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done

# ---- keys and sshd ---------------------------------------------------------------------------
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/host_key" -C pkteng-test-host || exit 1
ssh-keygen -q -t ed25519 -N '' -f "$T/id" -C pkteng-test-user || exit 1
cp "$T/id.pub" "$T/authorized_keys"
echo "198.18.20.1,198.18.20.2,198.18.20.3,198.18.20.100 $(cut -d' ' -f1,2 "$T/host_key.pub")" \
	>"$T/known_hosts"
cat >"$T/ssh_config" <<EOF
Host *
	User root
	IdentityFile $T/id
	IdentitiesOnly yes
	UserKnownHostsFile $T/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	LogLevel ERROR
EOF
i=0
for n in a b c; do
	i=$((i + 1))
	cat >"$T/sshd_$n" <<EOF
ListenAddress 198.18.20.$i
HostKey $T/host_key
AuthorizedKeysFile $T/authorized_keys
PidFile $T/sshd_$n.pid
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AcceptEnv none
EOF
	ip netns exec "$P-$n" /usr/sbin/sshd -D -f "$T/sshd_$n" -E "$T/sshd_$n.log" &
	SSHD_PIDS="$SSHD_PIDS $!"
done
for n in 1 2 3; do
	for _ in $(seq 50); do
		ip netns exec "$P-s" ssh -F "$T/ssh_config" -o BatchMode=yes 198.18.20.$n true 2>/dev/null &&
			break
		sleep 0.1
	done
done
ip netns exec "$P-s" ssh -F "$T/ssh_config" -o BatchMode=yes 198.18.20.3 true ||
	{ echo "FAIL: sshd in the namespaces does not answer"; cat "$T"/sshd_*.log; exit 1; }

hosts() {
	cat <<EOF
[host dut]
ssh = 198.18.20.1
addr = 198.18.21.1
bin = $PKTENG
ssh_config = $T/ssh_config

[host gen1]
ssh = 198.18.20.2
addr = 198.18.21.2
bin = $PKTENG
ssh_config = $T/ssh_config
cpus = 0

[host gen2]
ssh = root@198.18.20.3
addr = 198.18.21.3
bin = ${GEN2_BIN:-$PKTENG}
ssh_config = $T/ssh_config

[host nobody]
ssh = 198.18.20.100
addr = 198.18.20.100
bin = $PKTENG
ssh_config = $T/ssh_config
EOF
}

counters() { # NS IF: rx_packets tx_packets
	ip netns exec "$1" cat /sys/class/net/"$2"/statistics/rx_packets \
		/sys/class/net/"$2"/statistics/tx_packets | tr '\n' ' '
}

run_suite() { # NAME: runs $T/NAME.ini into $T/NAME, stderr in $T/NAME.err; returns its status
	timeout 120 ip netns exec "$P-s" "$PKTENG" suite "$T/$1.ini" --out "$T/$1" \
		>"$T/$1.out" 2>"$T/$1.err"
}

# ---- 1. a server on dut, clients on gen1 and gen2: counts, spread, offsets, metadata ---------
{
	printf '[global]\nruns = 2\nwarmup = 0\ntime = 1\n\n'
	hosts
	printf '\n[udp]\nmode = udp\nlen = 200\npps = 3000\nserver = dut\nclients = gen1, gen2\n'
} >"$T/ok.ini"
read -r a_rx0 a_tx0 <<<"$(counters "$P-a" data)"
read -r b_rx0 b_tx0 <<<"$(counters "$P-b" data)"
read -r c_rx0 c_tx0 <<<"$(counters "$P-c" data)"
run_suite ok
rc=$?
read -r a_rx1 a_tx1 <<<"$(counters "$P-a" data)"
read -r b_rx1 b_tx1 <<<"$(counters "$P-b" data)"
read -r c_rx1 c_tx1 <<<"$(counters "$P-c" data)"
[ $rc = 0 ] || fail "ok: exit $rc: $(cat "$T/ok.err")"
python3 - "$T/ok/runs.jsonl" $((a_rx1 - a_rx0)) $((b_tx1 - b_tx0)) $((c_tx1 - c_tx0)) <<'EOF' ||
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
a_rx, b_tx, c_tx = map(int, sys.argv[2:5])
bad = []
if len(runs) != 2:
    bad.append(f"{len(runs)} runs, expected 2")
tx = {"gen1": 0, "gen2": 0}
srv_rx = 0
for r in runs:
    if not r["ok"]:
        bad.append(f"run not ok: {r['error']}")
        continue
    m = r["metrics"]
    for h in ("gen1", "gen2"):
        rec = r["records"][h]["summary"]
        tx[h] += rec["client"]["udp_tx_datagrams"]
        srv_rx += rec["server"]["udp_rx_datagrams"]
        if rec["client"]["udp_tx_datagrams"] < 2500:
            bad.append(f"{h} sent only {rec['client']['udp_tx_datagrams']} datagrams in 1 s at 3000/s")
    s = m["gen1.tx_bits_per_s"] + m["gen2.tx_bits_per_s"]
    if abs(m["tx_bits_per_s"] - s) > 1e-5 * s:
        bad.append(f"tx_bits_per_s {m['tx_bits_per_s']} is not gen1 + gen2 = {s}")
    if m["lat_p99_ns" if "lat_p99_ns" in m else "tx_bits_per_s"] is None:
        bad.append("no metrics")
    if not (0 <= r["start_spread_ns"] < 20e6):
        bad.append(f"start spread {r['start_spread_ns']} ns, expected < 20 ms")
    hs = r["hosts"]
    if sorted(hs) != ["dut", "gen1", "gen2"] or hs["dut"]["role"] != "server":
        bad.append(f"hosts {sorted(hs)}")
    for h, v in hs.items():
        # one clock: the true offset, 0, lies within half the sample's round trip
        if abs(v["clock_offset_ns"]) > v["clock_rtt_ns"] / 2 + 1000 or v["clock_rtt_ns"] > 50e6:
            bad.append(f"{h}: clock offset {v['clock_offset_ns']} ns, round trip "
                       f"{v['clock_rtt_ns']} ns on one clock")
        if not v["host"]["kernel"] or v["dev"]["name"] != "data" or v["ssh"] is None:
            bad.append(f"{h}: metadata {v}")
# the interfaces saw every datagram, and little else (the control connection, ARP)
if not (srv_rx <= a_rx <= srv_rx + 300):
    bad.append(f"dut's data interface received {a_rx} packets, the server counted {srv_rx} datagrams")
if srv_rx < tx["gen1"] + tx["gen2"] - 10:
    bad.append(f"server got {srv_rx} of {tx['gen1'] + tx['gen2']} datagrams")
for h, n in (("gen1", b_tx), ("gen2", c_tx)):
    if not (tx[h] <= n <= tx[h] + 150):
        bad.append(f"{h}'s data interface sent {n} packets, its client {tx[h]} datagrams")
for b in bad:
    print("FAIL: ok:", b)
sys.exit(1 if bad else 0)
EOF
	fails=$((fails + 1))
[ -z "$(leftovers)" ] || fail "ok: pkteng left running:$(leftovers)"

# ---- 1b. frames injected on gen1, captured and counted with XDP on dut ---------------------------------------------
{
	printf '[global]\nruns = 1\nwarmup = 0\ntime = 1\n\n'
	hosts | sed 's/^addr = 198.18.21.\(.\)$/addr = 198.18.21.\1\ndev = data/'
	printf '\n[l2]\ncommand = inject\ninject = gen1\ncapture = dut\nxdp = dut\n'
	printf 'inject_args = --rate 4000 --size 100 --src-mac 02:00:00:15:00:02 --dst-mac 02:00:00:15:00:01 --src-ip 198.18.21.2 --dst-ip 198.18.21.1 --dport 9\n'
	printf 'capture_args = --incoming\n'
} >"$T/lab.ini"
read -r a_rx0 a_tx0 <<<"$(counters "$P-a" data)"
read -r b_rx0 b_tx0 <<<"$(counters "$P-b" data)"
run_suite lab
rc=$?
read -r a_rx1 a_tx1 <<<"$(counters "$P-a" data)"
read -r b_rx1 b_tx1 <<<"$(counters "$P-b" data)"
[ $rc = 0 ] || fail "lab: exit $rc: $(cat "$T/lab.err")"
python3 - "$T/lab/runs.jsonl" $((a_rx1 - a_rx0)) $((b_tx1 - b_tx0)) <<'EOF' ||
import json, sys
r = json.loads(open(sys.argv[1]).readline())
a_rx, b_tx = map(int, sys.argv[2:4])
bad = []
if not r["ok"]:
    bad.append(f"not ok: {r['error']}")
else:
    tx = r["records"]["gen1"]["summary"]["tx_frames"]
    cap = r["records"]["dut"]["summary"]
    if not 3500 <= tx <= 4100:
        bad.append(f"{tx} frames sent in 1 s at 4000/s")
    if cap["seq"]["frames"] != tx or cap["seq"]["missing"] != 0:
        bad.append(f"captured {cap['seq']} of {tx}")
    if r["metrics"]["loss_pct"] != 0:
        bad.append(f"loss {r['metrics']['loss_pct']}")
    # the interfaces: every frame left gen1 and reached dut (and little else did)
    if not tx <= b_tx <= tx + 20:
        bad.append(f"gen1's data interface sent {b_tx} packets, inject {tx} frames")
    if not tx <= a_rx <= tx + 20:
        bad.append(f"dut's data interface received {a_rx} packets, inject sent {tx}")
    if sorted(r["hosts"]) != ["dut", "dut.xdp", "gen1"] or r["hosts"]["dut"]["role"] != "capture" \
            or r["hosts"]["dut.xdp"]["role"] != "xdp":
        bad.append(f"hosts {sorted(r['hosts'])}")
    udp = r["records"]["dut.xdp"]["summary"]["l4"]["udp"]["rx_frames"]
    if not tx <= udp <= tx + 5:
        bad.append(f"the XDP counter saw {udp} UDP frames of {tx}")
    if not r["metrics"]["xdp_rx_frames_per_s"] > 0:
        bad.append(f"metrics {r['metrics']}")
    s = r["records"]["gen1"]["start"]["sync"]
    if not 0 <= s["started_ns"] - s["start_at_ns"] < 20e6:
        bad.append(f"inject started {s['started_ns'] - s['start_at_ns']} ns late")
for b in bad:
    print("FAIL: lab:", b)
sys.exit(1 if bad else 0)
EOF
	fails=$((fails + 1))
[ -z "$(leftovers)" ] || fail "lab: pkteng left running:$(leftovers)"

# ---- 2. a host that refuses the connection, and on_error = stop ------------------------------
{
	printf '[global]\nruns = 1\nwarmup = 0\ntime = 1\non_error = stop\n\n'
	hosts
	printf '\n[refused]\nmode = rr\nserver = dut\nclients = gen1, nobody\n'
	printf '\n[rr]\nmode = rr\nserver = dut\nclients = gen1\n'
} >"$T/refused.ini"
run_suite refused
rc=$?
[ $rc = 1 ] || fail "refused: exit $rc, expected 1"
grep -q '^pkteng suite: stopped after a failed run (on_error = stop' "$T/refused.err" ||
	fail "refused: stderr: $(cat "$T/refused.err")"
[ "$(wc -l <"$T/refused/runs.jsonl")" = 1 ] || fail "refused: the suite did not stop after one run"
err=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["error"])' \
	"$T/refused/runs.jsonl")
case $err in
"host nobody (198.18.20.100): cannot start pkteng suite --side: ssh: connect to host 198.18.20.100 port 22: Connection refused") ;;
*) fail "refused: error '$err'" ;;
esac
[ -z "$(leftovers)" ] || fail "refused: pkteng left running:$(leftovers)"

# ---- 3. a remote client killed mid-run, then a remote side itself -----------------------------
# kill_in NS PATTERN: kills (-9, or \$sig) the pkteng in NS whose command line matches PATTERN (once it runs)
kill_in() {
	local victim="" p
	for _ in $(seq 100); do
		for p in $(ip netns pids "$1"); do
			if [ "$(cat /proc/"$p"/comm 2>/dev/null)" = pkteng ] &&
				tr '\0' ' ' </proc/"$p"/cmdline | grep -q -- "$2"; then
				victim=$p
			fi
		done
		[ -n "$victim" ] && break
		sleep 0.1
	done
	[ -n "$victim" ] || return 1
	sleep 0.5
	kill -"${sig:-KILL}" "$victim"
}
for what in client side stopped; do
	{
		if [ $what = stopped ]; then
			printf '[global]\nruns = 1\nwarmup = 0\ntime = 1\ngrace = 1\n\n'
		else
			printf '[global]\nruns = 1\nwarmup = 0\ntime = 6\n\n'
		fi
		hosts
		printf '\n[rr]\nmode = rr\nserver = dut\nclients = gen1, gen2\n'
	} >"$T/killed-$what.ini"
	run_suite killed-$what &
	suite=$!
	if [ $what = client ]; then
		kill_in "$P-b" '^[^ ]*pkteng client 198.18.21.1 ' || fail "killed: no client on gen1"
		want="host gen1 (198.18.20.2): the client failed (exit 137): pkteng suite --side: pkteng client killed by signal 9"
	elif [ $what = side ]; then
		kill_in "$P-c" '^[^ ]*pkteng suite --side .* client ' || fail "killed: no side on gen2"
		want="host gen2 (root@198.18.20.3): the connection or the remote side ended (ssh exit 255)"
	else # a client that hangs: stopped, so it overruns its time and the grace
		sig=STOP kill_in "$P-b" '^[^ ]*pkteng client 198.18.21.1 ' || fail "stopped: no client"
		want="host gen1: did not finish in 2 s (time + grace)"
	fi
	t0=$(date +%s)
	wait $suite
	rc=$?
	[ $(($(date +%s) - t0)) -le 5 ] || fail "killed-$what: the suite took $(($(date +%s) - t0)) s to stop"
	[ $rc = 1 ] || fail "killed-$what: exit $rc, expected 1: $(cat "$T/killed-$what.err")"
	err=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["error"])' \
		"$T/killed-$what/runs.jsonl")
	[ "$err" = "$want" ] || fail "killed-$what: error '$err'"
	sleep 0.5
	[ -z "$(leftovers)" ] || fail "killed-$what: pkteng left running:$(leftovers)"
done

# ---- 4. a pkteng that speaks another control protocol ----------------------------------------
cat >"$T/old-pkteng" <<'EOF'
#!/bin/sh
echo '{"pkteng_side":1,"proto":99,"version":"0.0.1"}'
cat >/dev/null
EOF
chmod +x "$T/old-pkteng"
{
	printf '[global]\nruns = 1\nwarmup = 0\ntime = 1\n\n'
	GEN2_BIN=$T/old-pkteng hosts
	printf '\n[rr]\nmode = rr\nserver = dut\nclients = gen1, gen2\n'
} >"$T/old.ini"
run_suite old
rc=$?
[ $rc = 1 ] || fail "old: exit $rc, expected 1"
err=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["error"])' \
	"$T/old/runs.jsonl")
[ "$err" = "host gen2: $T/old-pkteng speaks control protocol 99 (side 1); this pkteng speaks 1 (side 1): install the same pkteng on every host" ] ||
	fail "old: error '$err'"
[ -z "$(leftovers)" ] || fail "old: pkteng left running:$(leftovers)"

if [ $fails = 0 ]; then
	echo "PASS: multi-host suites over ssh"
	exit 0
fi
cat "$T"/*.err
exit 1
