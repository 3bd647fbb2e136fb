#!/bin/sh
# start.sh - a private single-node Slurm cluster on this host, without systemd, for
# evsim's end-to-end test (cmd/evsim/slurm_test.go) and for trying evsim paper -slurm.
#
# Installs Debian's slurmctld, slurmd, slurm-client and munge if missing, writes its own
# configuration into the state folder (not /etc/slurm: clients need SLURM_CONF, printed at
# the end), starts munged (unless one already answers), slurmctld and slurmd, records the
# PID and start time of each daemon it started, and waits until the node is idle.
# stop.sh stops exactly those. Must run as root. Takes about 20 s with the install.
#
#   EVSIM_SLURM_DIR   state, logs and recorded PIDs (default /var/spool/evsim-slurm)
#   EVSIM_SLURM_PORT  slurmctld port; slurmd uses the next one (default 6917)
set -eu

base=${EVSIM_SLURM_DIR:-/var/spool/evsim-slurm}
port=${EVSIM_SLURM_PORT:-6917}
rec=$base/started
conf=$base/slurm.conf
node=$(hostname -s)

log() { echo "[start.sh $(date +%T)] $*"; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"

# 1. Packages (Debian 12: Slurm 22.05, munge 0.5). A policy-rc.d or the absence of
# systemd keeps the install from starting daemons; this script starts its own.
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
	! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
	command -v apt-get >/dev/null || die "Slurm is not installed and there is no apt-get"
	pkgs="slurmctld slurmd slurm-client munge"
	log "installing $pkgs"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs >"$base.apt.log" 2>&1; then
		log "install failed; apt-get update, then again"
		apt-get update >>"$base.apt.log" 2>&1 || die "apt-get update failed: see $base.apt.log"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs >>"$base.apt.log" 2>&1 ||
			die "apt-get install $pkgs failed: see $base.apt.log"
	fi
fi

mkdir -p "$base/ctld" "$base/spool" "$base/log" "$rec"

starttime() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }
# alive NAME: the process recorded for NAME still runs (same PID and start time, not a zombie).
alive() {
	[ -s "$rec/$1.pid" ] || return 1
	read -r pid st <"$rec/$1.pid"
	[ -r "/proc/$pid/stat" ] || return 1
	[ "$(awk '{print $3}' "/proc/$pid/stat")" != Z ] && [ "$(starttime "$pid")" = "$st" ]
}
# record NAME PIDFILE: wait for the daemon's own pidfile, keep its PID and start time.
record() {
	pid=""
	for _ in $(seq 1 100); do
		if [ -s "$2" ]; then
			pid=$(tr -dc 0-9 <"$2")
			[ -n "$pid" ] && [ -d "/proc/$pid" ] && break
		fi
		sleep 0.1
	done
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || die "$1 did not start: see $base/log"
	echo "$pid $(starttime "$pid")" >"$rec/$1.pid"
	log "$1 running, pid $pid"
}

# 2. munge: the key (Debian's postinst makes one), the socket folder, the daemon.
if [ ! -s /etc/munge/munge.key ]; then
	mkdir -p /etc/munge
	mungekey --create --keyfile=/etc/munge/munge.key --force
fi
chown munge:munge /etc/munge /etc/munge/munge.key
chmod 0700 /etc/munge
chmod 0600 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
if alive munged; then
	log "munged already started by this script"
elif munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
	log "a munged not started by this script answers; using it (stop.sh leaves it alone)"
	rm -f "$rec/munged.pid"
else
	rm -f /run/munge/munged.pid
	runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid --log-file=/var/log/munge/munged.log
	record munged /run/munge/munged.pid
	munge -n | unmunge >/dev/null || die "munge round trip failed"
fi

# 3. The configuration. Pitfalls: MailProg must exist; the node line needs its sockets
# and cores or slurmd reports other boundaries; kill_invalid_depend cancels a job whose
# dependency can no longer be met instead of leaving it pending forever.
cpus=$(nproc)
mem=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
[ -n "$mem" ] || mem=1000
cat >"$conf.tmp" <<CONF
ClusterName=evsim
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
DependencyParameters=kill_invalid_depend
ReturnToService=2
MinJobAge=300
StateSaveLocation=$base/ctld
SlurmdSpoolDir=$base/spool
SlurmctldPidFile=$base/slurmctld.pid
SlurmdPidFile=$base/slurmd.pid
SlurmctldLogFile=$base/log/slurmctld.log
SlurmdLogFile=$base/log/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus Sockets=1 CoresPerSocket=$cpus ThreadsPerCore=1 RealMemory=$mem State=UNKNOWN
PartitionName=evsim Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
mv "$conf.tmp" "$conf"
export SLURM_CONF="$conf"

# 4. The daemons (each daemonizes and writes its pidfile).
if alive slurmctld; then
	log "slurmctld already started by this script; reconfiguring"
	scontrol reconfigure || true
else
	rm -f "$base/slurmctld.pid"
	slurmctld -f "$conf"
	record slurmctld "$base/slurmctld.pid"
fi
if alive slurmd; then
	log "slurmd already started by this script"
else
	rm -f "$base/slurmd.pid"
	slurmd -f "$conf"
	record slurmd "$base/slurmd.pid"
fi

# 5. Wait for the node (a down node left by an earlier run is resumed once).
deadline=$(($(date +%s) + 60))
resumed=0
while :; do
	st=$(sinfo -h -n "$node" -o %t 2>/dev/null | head -1 || true)
	case "$st" in
	idle | mix | alloc | comp) break ;;
	down* | drain* | drng* | fail*)
		if [ $resumed = 0 ]; then
			log "node state $st: resuming it"
			scontrol update nodename="$node" state=resume || true
			resumed=1
		fi
		;;
	esac
	[ "$(date +%s)" -lt "$deadline" ] || die "node $node not idle after 60 s (state '$st'): see $base/log"
	sleep 0.2
done
log "node $node is $st"
echo "SLURM_CONF=$conf"
